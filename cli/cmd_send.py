"""``smimetui send IN.eml``: sign and/or encrypt as the account says, send, file the Sent copy.

The same path as the mail reader's send key (``core/write/send``): the account's digital ID
bindings (signing_id, encryption_id), its include_certs option and sign/encrypt defaults; SMTP
with the account's secret; the bytes that went out are saved to Sent; a failed send keeps a
draft and says so. An account without an SMTP server delivers into its local Outbox folder.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from dataclasses import replace

from smimetui.cli.cmd_sign import _pins, _read
from smimetui.cli.context import Context
from smimetui.core.mail.factory import open_backend
from smimetui.core.settings.accounts import get_account
from smimetui.core.write.prepare import default_passphrases
from smimetui.core.write.send import Writer, build, deliver


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "send",
        help="sign/encrypt a message as the account says and send it",
        description="Send IN.eml through the account's SMTP server (signed and/or encrypted as "
        "asked or as the account's defaults say) and save the sent bytes to Sent.",
    )
    p.add_argument("file", metavar="IN.eml", help="the message, or - for standard input")
    p.add_argument("--account", metavar="NAME", help="the account (default: the default one)")
    p.add_argument("--passphrase-file", metavar="F", help="passphrase of your digital ID")
    p.add_argument("--pin-file", metavar="F", help="PIN of your smart card (token IDs)")
    p.add_argument(
        "--sign",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="sign (default: the account's sign_by_default)",
    )
    p.add_argument(
        "--encrypt",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="encrypt to every recipient and yourself (default: encrypt_by_default)",
    )
    p.set_defaults(handler=run)


def _ask(question: str) -> str:
    return getpass.getpass(f"{question}: ")


def _prompt() -> Callable[[str], str] | None:
    """Ask on the terminal; without one the password must come from the command or keyring."""
    return _ask if sys.stdin.isatty() else None


def run(args: argparse.Namespace, ctx: Context) -> int:
    account = get_account(ctx.home, args.account)
    sign = account.sign_by_default if args.sign is None else args.sign
    encrypt = account.encrypt_by_default if args.encrypt is None else args.encrypt
    passphrases = default_passphrases(args.passphrase_file)
    writer = Writer(
        ctx.home, account, passphrases, password_prompt=_prompt(), pins=_pins(args.pin_file)
    )
    # Built before the mail store opens: the passphrase is asked first, as it always was.
    composed = build(writer, _read(args.file), sign=sign, encrypt=encrypt)
    backend = open_backend(account, ctx.home, prompt=_prompt())
    try:
        done = deliver(replace(writer, backend=backend), composed)
    finally:
        backend.close()
    if done.partly is not None:  # sent and saved, one Bcc copy not: a script must see it
        raise done.partly
    ctx.out(done.summary)
    if done.bcc_note:
        ctx.out(done.bcc_note)
    return 0
