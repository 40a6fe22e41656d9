"""``smimetui account add|list|remove|password``: mail accounts in config.toml.

Passwords never go into the config: ``--password-command`` names a program that prints one
(``pass show mail``), ``--store-password`` (or ``account password NAME``) asks on the terminal and
puts it in the system keyring, and otherwise smimetui asks when it needs it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from smimetui.cli import account_setup, oauth_commands
from smimetui.cli.context import Context
from smimetui.core.errors import ConfigError, InputError, SecretStoreError
from smimetui.core.settings import secrets
from smimetui.core.settings.accounts import (
    DEFAULT_PORTS,
    SECURITY_CHOICES,
    Account,
    add_account,
    default_account,
    get_account,
    load_accounts,
    remove_account,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("account", help="set up mail accounts (IMAP or Maildir, SMTP)")
    cmds = p.add_subparsers(dest="account_command", metavar="ACTION", required=True)

    add = cmds.add_parser(
        "add",
        help="add an account",
        description="Add an IMAP account (--imap-host, --username) or a local Maildir account "
        "(--maildir); with only --email the settings are looked up (the domain's autoconfig, "
        "DNS SRV and MX records) and shown before saving. Ports default to 993 (tls) / 143 "
        "(starttls) for IMAP and 587 (starttls) / 465 (tls) for SMTP. Passwords never go into "
        "the config file.",
    )
    add.add_argument("name", help="a short name: letters, digits, '.', '_', '-'")
    add.add_argument("--email", required=True, metavar="ADDR", help="your address (From)")
    add.add_argument("--display-name", default="", metavar="NAME", help="your name in From")
    add.add_argument("--imap-host", default="", metavar="H")
    add.add_argument("--imap-port", type=int, metavar="N")
    add.add_argument("--imap-security", choices=SECURITY_CHOICES, default="tls")
    add.add_argument("--username", default="", metavar="U", help="login name (IMAP and SMTP)")
    add.add_argument(
        "--password-command",
        default="",
        metavar="CMD",
        help="prints the password, e.g. 'pass mail'",
    )
    add.add_argument("--smtp-host", default="", metavar="H")
    add.add_argument("--smtp-port", type=int, metavar="N")
    add.add_argument("--smtp-security", choices=SECURITY_CHOICES, default="starttls")
    add.add_argument("--smtp-username", default="", metavar="U", help="if not the IMAP username")
    add.add_argument("--maildir", default="", metavar="PATH", help="read mail from this Maildir")
    add.add_argument(
        "--ca-file", default="", metavar="F", help="CA certificates for private servers"
    )
    add.add_argument("--sent-folder", default="", metavar="F", help="instead of the Sent role")
    add.add_argument("--drafts-folder", default="", metavar="F", help="instead of the Drafts role")
    add.add_argument("--default", action="store_true", help="make this the default account")
    add.add_argument(
        "--store-password",
        action="store_true",
        help="ask for the password now and keep it in the system keyring",
    )
    account_setup.add_arguments(add)
    oauth_commands.add_options(add)
    add.set_defaults(handler=run_add)

    lst = cmds.add_parser("list", help="list the accounts")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=run_list)

    rm = cmds.add_parser("remove", help="remove an account (and its stored password)")
    rm.add_argument("name")
    rm.set_defaults(handler=run_remove)

    pw = cmds.add_parser("password", help="store an account's password in the system keyring")
    pw.add_argument("name")
    pw.set_defaults(handler=run_password)
    oauth_commands.register(cmds)


def _port(kind: str, security: str, given: int | None) -> int:
    return given if given is not None else DEFAULT_PORTS[(kind, security)]


def _existing_file(option: str, value: str) -> str:
    if not value:
        return ""
    path = Path(value).expanduser()
    if not path.is_file():
        raise InputError(f"{option} {value}: no such file.")
    return str(path.absolute())


def account_from_args(args: argparse.Namespace) -> Account:
    return Account(
        name=args.name,
        email=args.email,
        display_name=args.display_name,
        imap_host=args.imap_host,
        imap_port=_port("imap", args.imap_security, args.imap_port),
        imap_security=args.imap_security,
        username=args.username,
        password_command=args.password_command,
        ca_file=_existing_file("--ca-file", args.ca_file),
        smtp_host=args.smtp_host,
        smtp_port=_port("smtp", args.smtp_security, args.smtp_port),
        smtp_security=args.smtp_security,
        smtp_username=args.smtp_username,
        maildir=str(Path(args.maildir).expanduser().absolute()) if args.maildir else "",
        sent_folder=args.sent_folder,
        drafts_folder=args.drafts_folder,
        default=args.default,
    ).validate()


def _ask_password(account: Account) -> str:
    if not sys.stdin.isatty():
        raise InputError("Storing a password needs a terminal to ask for it; run this in one.")
    ok, why = secrets.keyring_status()
    if not ok:
        raise ConfigError(f"{why.rstrip('.')}; use --password-command instead.")
    password = getpass.getpass(f"Password for {account.username or account.email}: ")
    if not password:
        raise InputError("No password was given; nothing was stored.")
    return password


def _prepare_maildir(path: Path) -> bool:
    """Use an existing Maildir, or create one where nothing (or an empty folder) is; True when
    created.  Anything else (a file, a folder holding other things) is refused untouched."""
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.mail.maildir.backend import MaildirBackend

    if path.is_dir() and all((path / d).is_dir() for d in ("cur", "new")):
        return False
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{path} is a file, not a Maildir; give the Maildir's folder.")
    if path.is_dir() and any(path.iterdir()):
        raise ConfigError(
            f"{path} is not a Maildir (it has no cur and new folders) and is not empty; give "
            "the Maildir's folder, or a new or empty folder to create one in."
        )
    MaildirBackend(path, create=True)
    return True


def run_add(args: argparse.Namespace, ctx: Context) -> int:
    oauth2 = oauth_commands.wanted(args)
    if not oauth2 and not args.imap_host and not args.maildir:  # automatic setup
        found = account_setup.discover_settings(
            args, ctx, _existing_file("--ca-file", args.ca_file)
        )
        if found is None:
            ctx.out("Nothing was saved.")
            return 1
        if found.auth == "oauth2":  # a Microsoft 365 or Google domain: sign in at the provider
            if not args.client_id:
                raise ConfigError(
                    f"{args.email} is hosted by {found.provider}, which wants an OAuth2 sign-in: "
                    f"add --oauth2 {found.provider} --client-id ID (your app registration)."
                )
            args.oauth2, oauth2 = found.provider, True
    account = (
        oauth_commands.oauth2_account(args, account_from_args)
        if oauth2
        else account_from_args(args)
    )
    password = _ask_password(account) if args.store_password else None
    created = _prepare_maildir(Path(account.maildir)) if account.is_local else False
    add_account(ctx.home, account)
    if password is not None:
        secrets.set_secret(account.secret_key, password)
    ctx.out(f"Added account {account.name} ({account.email}).")
    if oauth2:
        oauth_commands.after_add(account, args, ctx)
    if created:
        ctx.out(f"Created an empty Maildir at {account.maildir}.")
    if account.imap_security == "none" and not account.is_local:
        ctx.out("Warning: IMAP without TLS sends your password and mail unencrypted.")
    if account.smtp_host and account.smtp_security == "none":
        ctx.out("Warning: SMTP without TLS sends your password and mail unencrypted.")
    return 0


def password_source(account: Account) -> str:
    if account.uses_oauth2:
        return oauth_commands.sign_in_state(account)
    if account.password_command:
        return "command"
    try:
        return "keyring" if secrets.get_secret(account.secret_key) else "asked when needed"
    except SecretStoreError:
        return "asked when needed"


def account_json(account: Account, is_default: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": account.name,
        "email": account.email,
        "display_name": account.display_name,
        "default": is_default,
        "kind": "maildir" if account.is_local else "imap",
        "password": password_source(account) if not account.is_local else None,
    }
    if account.is_local:
        data["maildir"] = account.maildir
    else:
        data["imap"] = {
            "host": account.imap_host,
            "port": account.imap_port,
            "security": account.imap_security,
            "username": account.username,
        }
    if account.smtp_host:
        data["smtp"] = {
            "host": account.smtp_host,
            "port": account.smtp_port,
            "security": account.smtp_security,
            "username": account.smtp_login,
        }
    return data


def run_list(args: argparse.Namespace, ctx: Context) -> int:
    accounts = load_accounts(ctx.home)
    chosen = default_account(accounts)
    rows = [account_json(a, a is chosen) for a in accounts]
    if args.json:
        ctx.print_json(rows)
        return 0
    if not rows:
        ctx.out("No accounts yet; add one with 'smimetui account add NAME --email ADDR ...'.")
        return 0
    for row in rows:
        mark = "*" if row["default"] else " "
        if row["kind"] == "maildir":
            where = f"maildir {row['maildir']}"
        else:
            imap = row["imap"]
            where = f"imap {imap['security']} {imap['host']}:{imap['port']} as {imap['username']}"
        smtp = row.get("smtp")
        send = f"smtp {smtp['security']} {smtp['host']}:{smtp['port']}" if smtp else "no smtp"
        password = f", password: {row['password']}" if row["password"] else ""
        ctx.out(f"{mark} {row['name']:<12} {row['email']:<28} {where}, {send}{password}")
    ok, why = secrets.keyring_status()
    if not ok:
        ctx.out(f"Note: {why}")
    return 0


def run_remove(args: argparse.Namespace, ctx: Context) -> int:
    removed = remove_account(ctx.home, args.name)
    secrets.delete_secret(removed.secret_key)
    oauth_commands.forget(removed)
    ctx.out(f"Removed account {removed.name} ({removed.email}).")
    return 0


def run_password(args: argparse.Namespace, ctx: Context) -> int:
    account = get_account(ctx.home, args.name)
    secrets.set_secret(account.secret_key, _ask_password(account))
    ctx.out(f"Stored the password of account {account.name} in the system keyring.")
    return 0
