"""``smimetui send IN.eml``: sign and/or encrypt as the account says, send, file the Sent copy.

The same path as the mail reader's send key: the account's digital ID bindings (signing_id,
encryption_id), its include_certs option and sign/encrypt defaults; SMTP with the account's
secret; the bytes that went out are saved to Sent; a failed send keeps a draft and says so.
An account without an SMTP server delivers into its local Outbox folder.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from smimetui.core.accounts import Account, get_account
from smimetui.core.backends.base import MailBackend
from smimetui.core.cli.cmd_sign import _pins, _read
from smimetui.core.cli.context import Context
from smimetui.core.errors import InputError
from smimetui.core.outbox import Sender
from smimetui.core.smime.compose import ComposeOptions, bcc_sentence, compose
from smimetui.core.smime.outgoing import Outgoing, default_passphrases, prepare
from smimetui.core.smime.sign import SignOptions
from smimetui.core.smime.trust import ChainValidator, TrustStore


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


def _sender(account: Account, backend: MailBackend) -> tuple[Sender, str]:
    from smimetui.core.backends.factory import open_sender
    from smimetui.core.outbox import LocalOutbox

    if not account.smtp_host:
        return LocalOutbox(backend), "the local Outbox folder"
    return open_sender(account, prompt=_prompt()), account.smtp_host


def run(args: argparse.Namespace, ctx: Context) -> int:
    from smimetui.core.backends.factory import open_backend
    from smimetui.core.outbox import send_and_save

    account = get_account(ctx.home, args.account)
    sign = account.sign_by_default if args.sign is None else args.sign
    encrypt = account.encrypt_by_default if args.encrypt is None else args.encrypt
    raw = _read(args.file)
    if sign or encrypt:
        composed = prepare(
            ctx.home,
            raw,
            Outgoing(
                sign=sign,
                encrypt=encrypt,
                options=ComposeOptions(
                    sign_options=SignOptions(include_certs=account.include_certs)
                ),
            ),
            passphrases=default_passphrases(args.passphrase_file),
            validator=ChainValidator(TrustStore(ctx.home)),
            signing_id=account.signing_id,
            encryption_id=account.encryption_id,
            pins=_pins(args.pin_file),
        )
        data, recipients, copies = composed.data, list(composed.envelope_to), composed.bcc_copies
    else:
        # Plain sending still goes through compose: Bcc is dropped, Date and Message-ID added.
        plain = compose(
            raw, options=ComposeOptions(sign=False, encrypt=False, protect_headers=False)
        )
        data, recipients, copies = plain.data, list(plain.envelope_to), ()
    if not recipients and not copies:
        raise InputError("The message has no recipients in To, Cc or Bcc.", title="No recipients")
    backend = open_backend(account, ctx.home, prompt=_prompt())
    try:
        sender, where = _sender(account, backend)
        send_and_save(account, backend, sender, data, recipients, bcc_copies=copies)
    finally:
        backend.close()
    how = " and ".join(w for w, on in (("signed", sign), ("encrypted", encrypt)) if on)
    everyone = recipients + [a for c in copies for a in c.envelope_to]
    ctx.out(f"Sent {how or 'unsigned, unencrypted'} to {', '.join(everyone)} via {where}.")
    if copies:
        ctx.out(bcc_sentence(copies))
    return 0
