"""``smimetui id new / install-cert / export / check / remove``: the life cycle of a digital ID.

Registered by ``cmd_id`` (``SUBCOMMANDS``); one ``_register_<name>`` and one ``cmd_<name>`` per
subcommand, like the rest of ``smimetui id``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509

from smimetui.cli.context import Context
from smimetui.core.errors import IdentityError, InputError
from smimetui.core.pki.doctor import DoctorReport, Severity, check_identity
from smimetui.core.pki.keystore import DigitalId, Keystore
from smimetui.core.pki.lifecycle import (
    NEW_KEY_KINDS,
    PendingRequest,
    export_certificate,
    export_pkcs12,
    install_certificate,
    new_identity,
)
from smimetui.core.pki.passphrase import interactive, prompt_new_passphrase, read_passphrase_file
from smimetui.core.write.prepare import default_passphrases

if TYPE_CHECKING:
    from smimetui.core.pki.trust import ChainValidator

_SubParsers = Any
_MARK = {Severity.OK: "ok", Severity.WARNING: "warning", Severity.PROBLEM: "PROBLEM"}


def _write(path: str, data: bytes, *, private: bool = False) -> None:
    try:
        target = Path(path)
        if private:
            target.touch(mode=0o600, exist_ok=True)
        target.write_bytes(data)
    except OSError as err:
        raise InputError(f"{path} cannot be written: {err.strerror or err}.") from err


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise InputError(f"The file {path} cannot be read: {err.strerror or err}.") from err


def _validator(ctx: Context) -> ChainValidator:
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.pki.trust import ChainValidator, TrustStore

    return ChainValidator(TrustStore(ctx.home))


def doctor(ctx: Context, ident: DigitalId, email: str | None = None) -> DoctorReport:
    chain = [x509.load_der_x509_certificate(c.der) for c in ident.chain]
    return check_identity(
        ident.load_cert(), chain, email=email or ident.label, validator=_validator(ctx)
    )


def print_doctor(ctx: Context, ident: DigitalId, report: DoctorReport) -> None:
    ctx.out(f"Digital ID {ident.short_id} ({ident.label}):")
    for finding in report.findings:
        ctx.out(f"  [{_MARK[finding.severity]}] {finding.text}")


# -- id new ---------------------------------------------------------------------------------


def _register_new(sub: _SubParsers) -> None:
    p = sub.add_parser(
        "new",
        help="create a key with a self-signed certificate or a request (CSR) for a CA",
        description="The key is stored encrypted with a passphrase (from --passphrase-file or "
        "asked twice).",
    )
    p.add_argument("--email", required=True, metavar="E")
    p.add_argument("--name", required=True, metavar="N", help="your name, for the certificate")
    p.add_argument("--key", choices=NEW_KEY_KINDS, default="rsa3072")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--self-signed", action="store_true", help="make a self-signed ID now")
    mode.add_argument("--csr", metavar="OUT.csr", help="write a request to send to a CA")
    p.add_argument("--passphrase-file", metavar="F", help="the passphrase to protect the key")
    p.set_defaults(handler=cmd_new)


def cmd_new(args: argparse.Namespace, ctx: Context) -> int:
    passphrase = (
        read_passphrase_file(args.passphrase_file)
        if args.passphrase_file
        else prompt_new_passphrase(args.email)
    )
    result = new_identity(
        Keystore(ctx.home),
        args.email,
        args.name,
        key_kind=args.key,
        passphrase=passphrase,
        self_signed=args.self_signed,
    )
    if isinstance(result, PendingRequest):
        _write(args.csr, result.csr_pem)
        ctx.out(f"Wrote the certificate request to {args.csr}; send it to your CA, then run")
        ctx.out("`smimetui id install-cert FILE` with the certificate they return.")
        return 0
    ctx.out(f"Created self-signed digital ID {result.short_id} for {result.label}.")
    ctx.out("Correspondents must accept it explicitly; `smimetui id export --cert` shares it.")
    return 0


# -- id install-cert ------------------------------------------------------------------------


def _register_install(sub: _SubParsers) -> None:
    p = sub.add_parser(
        "install-cert", help="install the certificate a CA issued for your `id new --csr`"
    )
    p.add_argument("file", metavar="FILE", help="PEM/DER certificate or .p7b with the chain")
    p.add_argument("--passphrase-file", metavar="F", help="the passphrase chosen at `id new`")
    p.set_defaults(handler=cmd_install_cert)


def cmd_install_cert(args: argparse.Namespace, ctx: Context) -> int:
    ident = install_certificate(
        Keystore(ctx.home), _read(args.file), default_passphrases(args.passphrase_file)
    )
    ctx.out(f"Installed digital ID {ident.short_id} for {ident.label}.")
    print_doctor(ctx, ident, doctor(ctx, ident))
    return 0


# -- id export ------------------------------------------------------------------------------


def _register_export(sub: _SubParsers) -> None:
    p = sub.add_parser("export", help="export your certificate (to share) or a .p12 backup")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--cert", metavar="OUT.pem", help="your certificate and its chain")
    what.add_argument("--p12", metavar="OUT.p12", help="key, certificate and chain (backup)")
    p.add_argument("ident", nargs="?", metavar="EMAIL|ID", help="which ID (default: the only one)")
    p.add_argument("--passphrase-file", metavar="F", help="passphrase of the stored key")
    p.add_argument(
        "--p12-passphrase-file",
        metavar="F",
        help="protect the .p12 with this passphrase (default: the stored key's)",
    )
    p.add_argument("--yes", action="store_true", help="overwrite an existing file without asking")
    p.set_defaults(handler=cmd_export)


def _may_overwrite(path: str, yes: bool) -> bool:
    """False when ``path`` exists and the user did not agree to replace it."""
    if yes or not Path(path).exists():
        return True
    question = f"{path} already exists and would be replaced."
    if not interactive():
        raise InputError(f"{question} Run again with --yes to overwrite it.", title="File exists")
    return input(f"{question} Overwrite? [y/N] ").strip().lower() in ("y", "yes")


def _pick(store: Keystore, selector: str | None) -> DigitalId:
    if selector:
        found = store.find(selector) if "@" in selector else [store.get(selector)]
        if not found:
            raise IdentityError(f"You have no digital ID for {selector}.")
        return found[0]  # newest first
    idents = store.list()
    if len(idents) != 1:
        raise IdentityError(
            f"You have {len(idents)} digital IDs; say which one (an address or an ID from "
            "`smimetui id list`)."
        )
    return idents[0]


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    store = Keystore(ctx.home)
    ident = _pick(store, args.ident)
    if not _may_overwrite(args.cert or args.p12, args.yes):
        ctx.out("Nothing was written.")
        return 0
    if args.cert:
        _write(args.cert, export_certificate(ident))
        ctx.out(f"Wrote the certificate of {ident.label} to {args.cert}.")
        return 0
    if args.p12_passphrase_file:
        protect = read_passphrase_file(args.p12_passphrase_file)
    elif args.passphrase_file:
        protect = read_passphrase_file(args.passphrase_file)
    else:
        protect = prompt_new_passphrase(f"{ident.label} (.p12 backup)")
    data = export_pkcs12(store, ident, default_passphrases(args.passphrase_file), protect)
    _write(args.p12, data, private=True)
    ctx.out(f"Wrote a passphrase-protected backup of {ident.label} to {args.p12}.")
    return 0


# -- id check -------------------------------------------------------------------------------


def _register_check(sub: _SubParsers) -> None:
    p = sub.add_parser(
        "check",
        help="explain whether your digital IDs are fit for S/MIME (exit 1 on problems)",
    )
    p.add_argument("email", nargs="?", metavar="EMAIL")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_check)


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    store = Keystore(ctx.home)
    idents = store.find(args.email) if args.email else store.list()
    if not idents:
        raise IdentityError(
            f"You have no digital ID{' for ' + args.email if args.email else ''}; "
            "import one with `smimetui id import` or create one with `smimetui id new`."
        )
    reports = [(i, doctor(ctx, i, args.email)) for i in idents]
    if args.json:
        ctx.print_json([{"id": i.id, **r.to_json()} for i, r in reports])
    else:
        for ident, report in reports:
            print_doctor(ctx, ident, report)
    return 0 if all(r.healthy for _, r in reports) else 1


# -- id remove ------------------------------------------------------------------------------


def _register_remove(sub: _SubParsers) -> None:
    p = sub.add_parser("remove", help="delete a digital ID and its private key")
    p.add_argument("ident", metavar="ID|EMAIL")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(handler=cmd_remove)


def cmd_remove(args: argparse.Namespace, ctx: Context) -> int:
    store = Keystore(ctx.home)
    ident = store.get(args.ident)
    now = dt.datetime.now(dt.UTC)
    warning = (
        f"This deletes the private key of {ident.label} ({ident.short_id}); mail encrypted to "
        "it can no longer be read unless you have a backup (`smimetui id export --p12`)."
    )
    if not args.yes:
        if not interactive():
            raise IdentityError(warning + " Run again with --yes to delete it.")
        if input(f"{warning} Delete? [y/N] ").strip().lower() not in ("y", "yes"):
            ctx.out("Nothing was deleted.")
            return 0
    store.remove(ident.id)
    expired = " (expired)" if ident.cert.not_after < now else ""
    ctx.out(f"Deleted digital ID {ident.short_id} for {ident.label}{expired}.")
    return 0


LIFECYCLE_SUBCOMMANDS: tuple[Callable[[_SubParsers], None], ...] = (
    _register_new,
    _register_install,
    _register_export,
    _register_check,
    _register_remove,
)
