"""``smimetui directory add|list|remove|password``: LDAP certificate directories in config.toml.

The bind password never goes into the config: ``--password-command`` names a program that prints
it, ``--store-password`` (or ``directory password NAME``) asks on the terminal and keeps it in the
system keyring, and otherwise smimetui asks when it needs it.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any

from smimetui.cli.context import Context
from smimetui.core.directory.servers import (
    DEFAULT_FILTER,
    DEFAULT_TIMEOUT,
    Directory,
    add_directory,
    get_directory,
    load_directories,
    password_source,
    remove_directory,
)
from smimetui.core.errors import ConfigError, InputError
from smimetui.core.pki.passphrase import interactive
from smimetui.core.settings import secrets


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("directory", help="LDAP directories to look certificates up in")
    cmds = parser.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    add = cmds.add_parser(
        "add",
        help="add a directory",
        description="Add an LDAP directory. Every account looks recipients up in every "
        "directory. The bind password never goes into the config file.",
    )
    add.add_argument("name", help="a short name: letters, digits, '.', '_', '-'")
    add.add_argument("--url", required=True, help="ldap://host[:port] or ldaps://host[:port]")
    add.add_argument("--base", required=True, metavar="DN", help="where to search")
    add.add_argument("--bind-dn", default="", metavar="DN", help="log in as (default: anonymous)")
    add.add_argument("--password-command", default="", metavar="CMD", help="prints the password")
    add.add_argument(
        "--store-password",
        action="store_true",
        help="ask for the password now, keep it in the keyring",
    )
    add.add_argument("--starttls", action="store_true", help="upgrade ldap:// with STARTTLS")
    add.add_argument(
        "--filter",
        default=DEFAULT_FILTER,
        metavar="TEMPLATE",
        help=f"search filter; {{address}} is replaced, escaped (default {DEFAULT_FILTER})",
    )
    add.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S", help="seconds (default 10)"
    )
    add.add_argument("--ca-file", default="", metavar="PEM", help="CA bundle for a private TLS CA")
    add.set_defaults(handler=cmd_add)
    lst = cmds.add_parser("list", help="list directories")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(handler=cmd_list)
    rm = cmds.add_parser("remove", help="remove a directory (and its stored password)")
    rm.add_argument("name")
    rm.set_defaults(handler=cmd_remove)
    pw = cmds.add_parser("password", help="store a directory's bind password in the keyring")
    pw.add_argument("name")
    pw.set_defaults(handler=cmd_password)


def _ca_file(value: str) -> str:
    if not value:
        return ""
    path = Path(value).expanduser()
    if not path.is_file():
        raise InputError(f"--ca-file {value}: no such file.")
    return str(path.absolute())


def _ask_to_store(directory: Directory) -> str:
    if not directory.bind_dn:
        raise ConfigError(
            f"The directory {directory.name} logs in anonymously; add --bind-dn to use a password."
        )
    if not interactive():
        raise InputError("Storing a password needs a terminal to ask for it; run this in one.")
    ok, why = secrets.keyring_status()
    if not ok:
        raise ConfigError(f"{why.rstrip('.')}; use --password-command instead.")
    password = getpass.getpass(f"Password for {directory.bind_dn}: ")
    if not password:
        raise InputError("No password was given; nothing was stored.")
    return password


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    directory = Directory(
        name=args.name,
        url=args.url,
        base_dn=args.base,
        bind_dn=args.bind_dn,
        password_command=args.password_command,
        starttls=args.starttls,
        filter=args.filter,
        timeout=args.timeout,
        ca_file=_ca_file(args.ca_file),
    ).validate()
    password = _ask_to_store(directory) if args.store_password else None
    add_directory(ctx.home, directory)
    if password is not None:
        secrets.set_secret(directory.secret_key, password)
    ctx.out(f"Added directory {directory.name} ({directory.url}, base {directory.base_dn}).")
    if not directory.uses_tls:
        ctx.out("Warning: without TLS, lookups (and a bind password) travel unencrypted.")
    return 0


def directory_json(directory: Directory) -> dict[str, Any]:
    return {
        "name": directory.name,
        "url": directory.url,
        "base_dn": directory.base_dn,
        "bind_dn": directory.bind_dn,
        "starttls": directory.starttls,
        "filter": directory.filter,
        "timeout": directory.timeout,
        "ca_file": directory.ca_file,
        "password": password_source(directory),
    }


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    directories = load_directories(ctx.home)
    if args.json:
        ctx.print_json([directory_json(d) for d in directories])
        return 0
    if not directories:
        ctx.out("No directories yet; `smimetui directory add NAME --url URL --base DN` adds one.")
    for d in directories:
        tls = "STARTTLS" if d.starttls else ("TLS" if d.uses_tls else "no TLS")
        login = f"bind {d.bind_dn} (password: {password_source(d)})" if d.bind_dn else "anonymous"
        ctx.out(f"{d.name}  {d.url}  {tls}")
        ctx.out(f"  base {d.base_dn}  filter {d.filter}  {login}  timeout {d.timeout:g} s")
    return 0


def cmd_remove(args: argparse.Namespace, ctx: Context) -> int:
    removed = remove_directory(ctx.home, args.name)
    ctx.out(f"Removed directory {removed.name} ({removed.url}).")
    return 0


def cmd_password(args: argparse.Namespace, ctx: Context) -> int:
    directory = get_directory(ctx.home, args.name)
    secrets.set_secret(directory.secret_key, _ask_to_store(directory))
    ctx.out(f"Stored the password for {directory.bind_dn} in the keyring.")
    return 0
