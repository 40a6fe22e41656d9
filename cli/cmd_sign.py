"""``smimetui sign`` and ``smimetui encrypt``: S/MIME for scripts and tests.

Both read a message (RFC 5322, from a file or ``-``), take the identity from its From address and
the recipients from To/Cc/Bcc, and write the message ready to send to standard output (or
``-o FILE``).  What was chosen (algorithms and why) goes to standard error.

Encrypted mail with Bcc is several messages: ``-o OUT.eml`` holds the copy for To/Cc (and the
Sent folder), ``OUT.bcc1.eml``, ``OUT.bcc2.eml``, ... each Bcc recipient's own copy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from smimetui.cli.context import Context
from smimetui.core.cms.encrypt import Preference
from smimetui.core.cms.sign import SignOptions
from smimetui.core.errors import InputError
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.write.prepare import Outgoing, default_passphrases, prepare
from smimetui.core.write.sign_encrypt import ComposeOptions

if TYPE_CHECKING:
    from smimetui.core.pki.tokens.pin import ChainedPins


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="IN.eml", help="the message to send, or - for standard input")
    p.add_argument("-o", "--output", metavar="OUT.eml", help="write here instead of stdout")
    p.add_argument("--passphrase-file", metavar="F", help="passphrase of your digital ID")
    p.add_argument("--pin-file", metavar="F", help="PIN of your smart card (token IDs)")
    p.add_argument(
        "--signing-id",
        metavar="ID",
        default="",
        help="sign with this ID (keystore fingerprint or token:NAME/FINGERPRINT); "
        "default: the newest for the From address",
    )
    p.add_argument(
        "--encryption-id",
        metavar="ID",
        default="",
        help="your ID for the copy to yourself and the encryption preference",
    )
    p.add_argument("--opaque", action="store_true", help="opaque signed-data, not multipart/signed")
    p.add_argument("--rsa-pss", action="store_true", help="sign RSA keys with RSASSA-PSS")
    p.add_argument(
        "--no-certs", action="store_true", help="leave your certificate and chain out of it"
    )
    p.add_argument(
        "--no-header-protection",
        action="store_true",
        help="do not copy Subject/From/To/... into the protected part (RFC 9788)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sign",
        help="sign a message with your digital ID",
        description="Sign IN.eml as its From address; write the signed message to stdout.",
    )
    _common(p)
    p.set_defaults(handler=run_sign)
    p = sub.add_parser(
        "encrypt",
        help="encrypt a message to its recipients (and yourself)",
        description="Encrypt IN.eml to every To/Cc/Bcc recipient and to yourself, optionally "
        "signing it first; Bcc is removed from the output, and each Bcc recipient gets a "
        "separately encrypted copy (OUT.bcc1.eml, ...; needs -o). Exit 2 naming every recipient "
        "without a usable certificate.",
    )
    _common(p)
    p.add_argument("--sign", action="store_true", help="sign first (sign, then encrypt)")
    p.add_argument(
        "--cipher",
        choices=[pref.value for pref in Preference],
        default="auto",
        help="auto (default): AES-256-GCM when every recipient reads it, else AES-256-CBC",
    )
    p.set_defaults(handler=run_encrypt)


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as err:
        raise InputError(f"The file {name} cannot be read: {err.strerror or err}.") from err


def _run(args: argparse.Namespace, ctx: Context, *, sign: bool, encrypt: bool) -> int:
    raw = _read(args.file)
    options = ComposeOptions(
        opaque=args.opaque,
        protect_headers=not args.no_header_protection,
        sign_options=SignOptions(include_certs=not args.no_certs, rsa_pss=args.rsa_pss),
        preference=Preference(getattr(args, "cipher", "auto")),
    )
    composed = prepare(
        ctx.home,
        raw,
        Outgoing(sign=sign, encrypt=encrypt, options=options),
        passphrases=default_passphrases(args.passphrase_file),
        validator=ChainValidator(TrustStore(ctx.home)),
        signing_id=args.signing_id,
        encryption_id=args.encryption_id,
        pins=_pins(args.pin_file),
    )
    if composed.bcc_copies and not args.output:
        raise InputError(
            "Encrypted mail with Bcc is one message per Bcc recipient besides the one for To and "
            "Cc: give -o OUT.eml, and their copies are written beside it as OUT.bcc1.eml, ...",
            title="Bcc needs -o",
        )
    if args.output:
        _write(Path(args.output), composed.data)
    else:
        sys.stdout.buffer.write(composed.data)
        sys.stdout.buffer.flush()
    if composed.encryption is not None:
        print(f"smimetui: encrypted with {composed.encryption.summary}", file=sys.stderr)
    for number, copy in enumerate(composed.bcc_copies, 1):
        path = _bcc_path(Path(args.output), number)
        _write(path, copy.data)
        who = ", ".join(copy.envelope_to)
        print(
            f"smimetui: Bcc: the copy for {who} is encrypted separately (to them and you only) "
            f"and written to {path}; send it to {who} alone.",
            file=sys.stderr,
        )
    return 0


def _pins(pin_file: str | None) -> ChainedPins | None:
    """PIN sources for token IDs; None (and no PKCS#11 import) without a PIN file."""
    if not pin_file:
        return None
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.pki.tokens.pin import default_pins

    return default_pins(pin_file)


def _bcc_path(output: Path, number: int) -> Path:
    return output.with_name(f"{output.stem}.bcc{number}{output.suffix or '.eml'}")


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as err:
        raise InputError(f"{path} cannot be written: {err.strerror or err}.") from err


def run_sign(args: argparse.Namespace, ctx: Context) -> int:
    return _run(args, ctx, sign=True, encrypt=False)


def run_encrypt(args: argparse.Namespace, ctx: Context) -> int:
    return _run(args, ctx, sign=args.sign, encrypt=True)
