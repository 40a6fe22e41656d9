"""``smimetui contacts``: your correspondents and their certificates.

``import`` takes a PEM/DER certificate, a .p7b/.p7c bundle, a certs-only S/MIME message, or a
signed message (whose signer's certificate is imported only when the signature is good and the
signer matches From).  Only a certs-only message at the root counts as one; CA certificates are
kept for building chains, never as trust anchors; the import lists what it stored.  Importing a
file is your explicit acceptance of its certificates; a changed certificate for a known address
needs ``--yes`` (or a yes at the prompt).
"""

from __future__ import annotations

import argparse
import email
from dataclasses import dataclass
from email import policy
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from smimetui.cli.context import Context
from smimetui.cli.directory_commands import register_contacts_lookup
from smimetui.core.errors import ContactsError, InputError
from smimetui.core.pki.contacts import (
    SOURCE_FILE,
    CertificateChange,
    Contact,
    Contacts,
    cert_addresses,
    fingerprint,
    is_ca,
)
from smimetui.core.pki.passphrase import interactive
from smimetui.core.read.harvest import harvest, why_not_harvestable
from smimetui.core.read.report import SignatureVerdict
from smimetui.core.sanitize import clean_line

_MESSAGE_TYPES = ("multipart/signed", "application/pkcs7-mime", "application/x-pkcs7-mime")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("contacts", help="your correspondents and their certificates")
    cmds = parser.add_subparsers(dest="contacts_command", metavar="SUBCOMMAND", required=True)
    p = cmds.add_parser(
        "import",
        help="import certificates from a file or a signed message",
        description="FILE: a PEM/DER certificate, a .p7b/.p7c bundle, a certs-only S/MIME "
        "message, or a signed .eml (its signer's certificate, only when the signature is good "
        "and the signer matches From). Certificates are stored under the addresses they name; "
        "CA certificates are kept for building chains, never trusted as roots.",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--name", help="the contact's name (default: from the certificate)")
    p.add_argument("--yes", action="store_true", help="accept changed certificates")
    p.set_defaults(handler=cmd_import)
    p = cmds.add_parser("list", help="list contacts and their certificates")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_list)
    p = cmds.add_parser("show", help="show one contact with every certificate")
    p.add_argument("address", metavar="ADDR")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_show)
    p = cmds.add_parser("remove", help="forget an address and its certificates")
    p.add_argument("address", metavar="ADDR")
    p.set_defaults(handler=cmd_remove)
    p = cmds.add_parser("prefer", help="always encrypt to this certificate of ADDR")
    p.add_argument("address", metavar="ADDR")
    p.add_argument("sha256", metavar="SHA256", help="fingerprint (or 'auto' to choose again)")
    p.set_defaults(handler=cmd_prefer)
    register_contacts_lookup(cmds)  # contacts lookup ADDR: ask the certificate directories


# -- reading files ------------------------------------------------------------------------------


def _bundle(data: bytes) -> list[x509.Certificate] | None:
    """Certificates of a PEM/DER certificate or PKCS#7 bundle; None when it is neither."""
    loaders = (
        (b"-----BEGIN PKCS7", pkcs7.load_pem_pkcs7_certificates),
        (b"-----BEGIN CERTIFICATE", x509.load_pem_x509_certificates),
    )
    for marker, pem_loader in loaders:
        if marker in data:
            try:
                return list(pem_loader(data))
            except ValueError as err:
                raise InputError(f"The PEM data cannot be read: {err}.") from err
    if data[:1] == b"\x30":
        for der_loader in (
            lambda d: [x509.load_der_x509_certificate(d)],
            pkcs7.load_der_pkcs7_certificates,
        ):
            try:
                return list(der_loader(data))
            except ValueError:
                continue
    return None


def _certs_only(msg: email.message.Message) -> list[x509.Certificate] | None:
    """The certificates of a certs-only message, only at its root: a certs-only part attached
    to other content (or inside a signature) is no import of its own (RFC 8551 §3.8)."""
    kind = msg.get_content_type()
    smime = str(msg.get_param("smime-type") or "").lower()
    name = str(msg.get_filename() or "").lower()
    if kind not in _MESSAGE_TYPES[1:] or not (smime == "certs-only" or name.endswith(".p7c")):
        return None
    payload = msg.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return None
    try:
        return list(pkcs7.load_der_pkcs7_certificates(payload))
    except ValueError as err:
        raise InputError(f"The certificates in the message are damaged: {err}.") from err


@dataclass(frozen=True, slots=True)
class _Stored:
    """What one import stored: certificates per address, and CA certificates kept for chains."""

    certs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (sha256, addresses)
    intermediates: tuple[str, ...] = ()  # sha256 of each CA certificate kept
    changes: tuple[CertificateChange, ...] = ()


def _import_signed(ctx: Context, raw: bytes, book: Contacts) -> _Stored:
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.core.read.inspect import InspectContext, inspect_message

    report = inspect_message(raw, InspectContext.from_home(ctx.home))
    sig = report.signature
    if sig is None:
        raise ContactsError("This message is not signed and carries no certificates to import.")
    if sig.verdict is not SignatureVerdict.GOOD:
        why = sig.problems[0] if sig.problems else f"the signature is {sig.verdict.value}"
        raise ContactsError(f"Not imported: the signature is not good ({why.rstrip('.')}).")
    if sig.signer is None or not sig.from_match:
        signer = ", ".join(sig.signer.email) if sig.signer else "unknown"
        raise ContactsError(
            f"Not imported: the signer ({signer}) does not match From ({report.from_addr})."
        )
    reason = why_not_harvestable(report)
    if reason is not None:
        raise ContactsError(f"Not imported: {reason}.")
    changes = harvest(book, report)
    info = book.address(report.from_addr)
    wanted = {sig.signer.sha256, sig.encryption_key_preference}
    certs = tuple((c.sha256, (c.address,)) for c in (info.certificates if info else ()))
    return _Stored(certs=tuple(c for c in certs if c[0] in wanted), changes=tuple(changes))


def _load(ctx: Context, path: Path, book: Contacts, name: str) -> _Stored:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"The file {path} cannot be read: {err.strerror or err}.") from err
    certs = _bundle(data)
    if certs is None:
        msg = email.message_from_bytes(data, policy=policy.compat32)
        certs = _certs_only(msg)
        if certs is None:
            if msg.get_content_type() in _MESSAGE_TYPES or msg.get("From"):
                return _import_signed(ctx, data, book)
            raise InputError(
                f"{path} is neither a certificate, a certificate bundle, nor an S/MIME message."
            )
    cas = [c for c in certs if is_ca(c.public_bytes(Encoding.DER))]
    for ca in cas:
        book.add_intermediate(ca)  # helps build chains; never trusted because of this
    changes: list[CertificateChange] = []
    stored: list[tuple[str, tuple[str, ...]]] = []
    for cert in (c for c in certs if c not in cas):
        changes += book.add_certificate(cert, source=SOURCE_FILE, name=name, accepted=True)
        stored.append((fingerprint(cert), cert_addresses(cert)))
    return _Stored(tuple(stored), tuple(fingerprint(c) for c in cas), tuple(changes))


def _confirm(book: Contacts, changes: list[CertificateChange], yes: bool) -> None:
    refused = []
    for change in changes:
        if yes:
            book.confirm(change)
            continue
        if interactive():
            answer = input(f"{change.describe()} Accept the new certificate? [y/N] ")
            if answer.strip().lower() in ("y", "yes"):
                book.confirm(change)
                continue
        book.reject(change)
        refused.append(change)
    if refused:
        raise ContactsError(
            " ".join(c.describe() for c in refused)
            + " Not imported; run again with --yes to accept."
        )


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    book = Contacts(ctx.home)
    stored = _load(ctx, Path(args.file), book, args.name or "")
    _confirm(book, list(stored.changes), args.yes)
    count = len(stored.certs)
    if count or not stored.intermediates:
        ctx.out(f"Imported {count} certificate{'s' if count != 1 else ''} from {args.file}.")
    for sha, addresses in stored.certs:
        ctx.out(f"  {', '.join(addresses)}  SHA-256 {sha}")
    if stored.intermediates:
        ctx.out(
            f"Kept {len(stored.intermediates)} CA certificate"
            f"{'s' if len(stored.intermediates) != 1 else ''} for building chains (not trusted "
            "as roots; `smimetui trust add` does that):"
        )
        for sha in stored.intermediates:
            ctx.out(f"  SHA-256 {sha}")
    return 0


# -- showing ------------------------------------------------------------------------------------


def _print_contact(ctx: Context, contact: Contact) -> None:
    ctx.out(clean_line(contact.name) or "(no name)")
    for addr in contact.addresses:
        caps = ", ".join(addr.capabilities) if addr.capabilities is not None else "unknown"
        ctx.out(f"  {addr.address}    reads: {caps}")
        for cert in addr.certificates:
            info = cert.info
            flags = [cert.source]
            if cert.pending:
                flags.append("CHANGED, waiting for your confirmation")
            if cert.accepted:
                flags.append("accepted")
            if addr.override == cert.sha256:
                flags.append("preferred by you")
            if addr.encryption_pref == cert.sha256:
                flags.append("preferred by them")
            name = clean_line(info.display_name) or "(no name)"
            ctx.out(
                f"    {info.sha256[:16]}  {name}  issued by {info.issuer}  "
                f"until {info.not_after:%Y-%m-%d}"
            )
            ctx.out(
                f"      {', '.join(flags)}; first seen {cert.first_seen:%Y-%m-%d}, "
                f"last seen {cert.last_seen:%Y-%m-%d}"
            )


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    contacts = Contacts(ctx.home).list()
    if args.json:
        ctx.print_json([c.to_json() for c in contacts])
        return 0
    if not contacts:
        ctx.out("No contacts yet; `smimetui contacts import FILE` adds one.")
    for contact in contacts:
        _print_contact(ctx, contact)
    return 0


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    contact = Contacts(ctx.home).contact(args.address)
    if contact is None:
        raise ContactsError(f"{args.address} is not in your contacts.")
    if args.json:
        ctx.print_json(contact.to_json())
    else:
        _print_contact(ctx, contact)
    return 0


def cmd_remove(args: argparse.Namespace, ctx: Context) -> int:
    if not Contacts(ctx.home).remove(args.address):
        raise ContactsError(f"{args.address} is not in your contacts.")
    ctx.out(f"Removed {args.address} and its certificates.")
    return 0


def cmd_prefer(args: argparse.Namespace, ctx: Context) -> int:
    book = Contacts(ctx.home)
    wanted = args.sha256.lower().replace(":", "")
    if wanted == "auto":
        book.set_override(args.address, None)
        ctx.out(f"Mail to {args.address} is encrypted to the best certificate again.")
        return 0
    info = book.address(args.address)
    matches = [c.sha256 for c in (info.certificates if info else ()) if c.sha256.startswith(wanted)]
    if len(matches) != 1:
        raise ContactsError(
            f"{args.sha256} matches {len(matches)} certificates of {args.address}; "
            "`smimetui contacts show` lists them."
        )
    book.set_override(args.address, matches[0])
    ctx.out(f"Mail to {args.address} is now encrypted to {matches[0][:16]}.")
    return 0
