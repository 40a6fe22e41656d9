"""The OAuth2 parts of ``smimetui account``: the ``add`` options, ``login`` and ``token``.

``account add NAME --email E --oauth2 microsoft --client-id ID`` fills the provider's servers,
saves the account and runs the sign-in once; ``account login NAME`` repeats it (a revoked or
expired sign-in); ``account token NAME`` prints a fresh access token, so other programs can use
smimetui as their token command.  Sign-in messages go to stderr: stdout stays the token.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys
from collections.abc import Callable

from smimetui.cli.context import Context
from smimetui.core.errors import AuthenticationError, ConfigError, InputError, SmimeTuiError
from smimetui.core.oauth import tokens
from smimetui.core.oauth.flows import SignInPrompt
from smimetui.core.oauth.presets import PRESET_NAMES, preset
from smimetui.core.settings import secrets
from smimetui.core.settings.accounts import Account, get_account


def add_options(add: argparse.ArgumentParser) -> None:
    group = add.add_argument_group("OAuth2 (Microsoft 365, Gmail, OpenID providers)")
    group.add_argument(
        "--oauth2",
        default="",
        metavar="PROVIDER",
        help=f"sign in instead of a password: {', '.join(PRESET_NAMES)} or an issuer URL",
    )
    group.add_argument("--client-id", default="", metavar="ID", help="your app registration")
    group.add_argument("--tenant", default="", metavar="T", help="Microsoft tenant (common)")
    group.add_argument("--oauth2-scopes", default="", metavar="S", help="space-separated")
    group.add_argument("--oauth2-mechanism", choices=("xoauth2", "oauthbearer"), default="")
    group.add_argument(
        "--oauth2-token-command", default="", metavar="CMD", help="prints an access token"
    )
    group.add_argument(
        "--store-client-secret",
        action="store_true",
        help="ask for the app's client secret (if the provider needs one) and keep it in the "
        "keyring",
    )
    _flow_options(group)


def _flow_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--device-code", action="store_true", help="sign in with a code on another device (SSH)"
    )
    parser.add_argument("--no-browser", action="store_true", help="print the URL, open nothing")


def register(cmds: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    login = cmds.add_parser("login", help="sign in again to an OAuth2 account")
    login.add_argument("name")
    _flow_options(login)
    login.set_defaults(handler=run_login)
    token = cmds.add_parser("token", help="print a fresh OAuth2 access token (a token command)")
    token.add_argument("name")
    token.set_defaults(handler=run_token)


def wanted(args: argparse.Namespace) -> bool:
    return bool(args.oauth2 or args.oauth2_token_command)


def oauth2_account(
    args: argparse.Namespace, build: Callable[[argparse.Namespace], Account]
) -> Account:
    """The account ``add`` describes, with the preset's servers where none were given."""
    if args.oauth2 and not args.oauth2.startswith(("https://", "http://")):
        servers = preset(args.oauth2, args.tenant).servers
        if servers is not None and not args.imap_host and not args.maildir:
            args.imap_host, args.imap_security = servers.imap_host, servers.imap_security
            args.imap_port = args.imap_port or servers.imap_port
        if servers is not None and not args.smtp_host:
            args.smtp_host, args.smtp_security = servers.smtp_host, servers.smtp_security
            args.smtp_port = args.smtp_port or servers.smtp_port
    args.username = args.username or args.email
    if args.password_command or args.store_password:
        raise ConfigError("An OAuth2 account has no password; leave out the password options.")
    base = build(args)
    return dataclasses.replace(
        base,
        auth="oauth2",
        oauth2_provider=args.oauth2,
        oauth2_client_id=args.client_id,
        oauth2_tenant=args.tenant,
        oauth2_scopes=args.oauth2_scopes,
        oauth2_mechanism=args.oauth2_mechanism,
        oauth2_token_command=args.oauth2_token_command,
    ).validate()


def after_add(account: Account, args: argparse.Namespace, ctx: Context) -> None:
    """Keep the client secret, then sign in once (unless a token command does that)."""
    if args.store_client_secret:
        if not sys.stdin.isatty():
            raise InputError("Storing a client secret needs a terminal to ask for it.")
        secret = getpass.getpass("Client secret of the app registration: ")
        if secret:
            secrets.set_secret(tokens.secret_entry(account), secret)
    if account.oauth2_token_command:
        return
    try:
        sign_in(account, args)
    except SmimeTuiError as err:
        raise AuthenticationError(
            f"{err.one_line()} The account was saved; sign in with "
            f"'smimetui account login {account.name}'.",
            title=err.title,
        ) from err


def sign_in(account: Account, args: argparse.Namespace) -> None:
    if not account.uses_oauth2 or account.oauth2_token_command:
        raise ConfigError(
            f"Account {account.name!r} does not sign in with OAuth2 here"
            + (" (its token command does)." if account.oauth2_token_command else ".")
        )

    def show(prompt: SignInPrompt) -> None:
        print(prompt.sentence(), file=sys.stderr, flush=True)

    _stored, kept = tokens.sign_in(
        account, show, device_code=args.device_code, open_browser=not args.no_browser
    )
    where = "the system keyring" if kept else "memory only (no keyring on this machine)"
    print(f"Signed in; account {account.name} keeps its sign-in in {where}.", file=sys.stderr)


def sign_in_state(account: Account) -> str:
    """For ``account list``: where the account's OAuth2 tokens come from."""
    if account.oauth2_token_command:
        return "oauth2 token command"
    try:
        stored = tokens.load_tokens(account)
    except SmimeTuiError:
        stored = None
    return "oauth2, signed in" if stored else "oauth2, sign-in needed (account login)"


def forget(account: Account) -> None:
    """``account remove``: drop the saved sign-in and client secret too."""
    tokens.forget_tokens(account)
    secrets.delete_secret(tokens.secret_entry(account))


def run_login(args: argparse.Namespace, ctx: Context) -> int:
    sign_in(get_account(ctx.home, args.name), args)
    return 0


def run_token(args: argparse.Namespace, ctx: Context) -> int:
    account = get_account(ctx.home, args.name)
    if not account.uses_oauth2:
        raise ConfigError(f"Account {account.name!r} logs in with a password, not OAuth2.")
    ctx.out(tokens.AccessTokens(account)())
    return 0
