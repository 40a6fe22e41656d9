"""Find recipients' certificates in LDAP directories, and validate each one before it is offered.

A directory entry may carry ``userCertificate;binary`` (one DER certificate per value) and
``userSMIMECertificate`` (a PKCS#7 SignedData bundle per value, RFC 2798; some directories put a
plain certificate there too).  Every end-entity certificate found becomes a :class:`Found` that
says whether it can be used (a chain to a trusted root, fit for e-mail encryption, and made out to
the address that was looked up) and, when not, why, in sentences.  Nothing found here is trusted
because of where it came from: the directory is only a way to deliver certificates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from smimetui.core.cms.certinfo import CertInfo, cert_emails
from smimetui.core.directory.connection import AskPassword, connect, search
from smimetui.core.directory.servers import Directory, load_directories
from smimetui.core.errors import ContactsError, DirectoryError
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.contacts import CertificateChange, Contacts, normalise
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.sanitize import clean_line
from smimetui.core.settings.home import Home

CERT_ATTRIBUTES = ["userSMIMECertificate", "userCertificate;binary"]
_CERT_NAMES = frozenset({"usersmimecertificate", "usercertificate"})
_MAX_VALUES = 16  # per entry: a directory must not make us parse without bound
_MAX_VALUE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Found:
    """One certificate found for ``email`` in a directory, with its validation in words."""

    email: str  # the address that was looked up
    subject: str
    issuer: str
    not_after: dt.datetime
    sha256: str
    source: str  # "directory <url>", as stored in contacts
    usable: bool
    problems: tuple[str, ...]  # sentences; empty when usable
    entry: str = ""  # the DN it was found in
    der: bytes = field(default=b"", repr=False, compare=False)
    chain: tuple[bytes, ...] = field(default=(), repr=False, compare=False)  # CA certs with it

    @property
    def url(self) -> str:
        return self.source.removeprefix("directory ")

    def to_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "subject": self.subject,
            "issuer": self.issuer,
            "not_after": self.not_after.isoformat(),
            "sha256": self.sha256,
            "source": self.source,
            "usable": self.usable,
            "problems": list(self.problems),
        }


# -- reading attribute values ---------------------------------------------------------------


def _certificates(value: bytes) -> list[x509.Certificate]:
    """The certificates in one attribute value (DER or PEM certificate, PKCS#7 bundle)."""
    if len(value) > _MAX_VALUE_BYTES:
        return []
    loaders = (
        lambda v: [x509.load_der_x509_certificate(v)],
        pkcs7.load_der_pkcs7_certificates,
        x509.load_pem_x509_certificates,
        pkcs7.load_pem_pkcs7_certificates,
    )
    for loader in loaders:
        try:
            return list(loader(value))
        except (ValueError, TypeError):
            continue
    return []


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _values(raw: dict[str, list[bytes]]) -> list[bytes]:
    values = [
        v for name, vs in raw.items() if name.split(";")[0].lower() in _CERT_NAMES for v in vs
    ]
    return values[:_MAX_VALUES]


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


# -- validation -----------------------------------------------------------------------------


class Assessor:
    """Validates certificates found for an address: chain, usage for encryption, address."""

    def __init__(self, validator: ChainValidator, extra_certs: Sequence[bytes] = ()) -> None:
        self.validator = validator
        self.extra = [asn1_x509.Certificate.load(d) for d in extra_certs]

    @classmethod
    def for_home(cls, home: Home) -> Assessor:
        intermediates = [_der(c) for c in Contacts(home).intermediates()]
        return cls(ChainValidator(TrustStore(home)), intermediates)

    def assess(
        self,
        address: str,
        der: bytes,
        chain: Sequence[bytes],
        *,
        source: str,
        entry: str,
        moment: dt.datetime | None = None,
    ) -> Found:
        cert = asn1_x509.Certificate.load(der)
        info = CertInfo.from_asn1(cert)
        others = [asn1_x509.Certificate.load(d) for d in chain] + self.extra
        result = self.validator.validate(cert, others, moment=moment, usage="encrypt")
        problems = [_reword(p) for p in result.problems]
        if result.status is not ChainStatus.TRUSTED and not problems:
            problems.append(f"The certificate is not trusted ({result.status.value}).")
        names = cert_emails(cert)
        if normalise(address) not in {normalise(n) for n in names}:
            made_for = ", ".join(names) or "no e-mail address"
            problems.append(
                f"The certificate is made out to {made_for}, not to {clean_line(address)}."
            )
        return Found(
            email=clean_line(address, max_length=320),
            subject=info.subject,
            issuer=info.issuer,
            not_after=info.not_after,
            sha256=info.sha256,
            source=clean_line(source, max_length=300),
            usable=not problems,
            problems=tuple(dict.fromkeys(problems)),
            entry=clean_line(entry, max_length=300),
            der=der,
            chain=tuple(chain),
        )


def _reword(problem: str) -> str:
    # The chain wording is written for signatures; a directory certificate signed nothing.
    for said, meant in (
        ("The signer's certificate", "The certificate"),
        ("the signer cannot", "the certificate cannot"),
        ("neither in the message nor", "neither in the directory entry nor"),
    ):
        problem = problem.replace(said, meant)
    return problem


def assess_entry(
    assessor: Assessor, directory: Directory, address: str, dn: str, raw: dict[str, list[bytes]]
) -> list[Found]:
    """Every end-entity certificate of one entry, assessed, usable first."""
    certs = [c for value in _values(raw) for c in _certificates(value)]
    # CA certificates of any value help every leaf of the entry (a bundle in
    # userSMIMECertificate often carries the intermediate for userCertificate too).
    cas = list(dict.fromkeys(_der(c) for c in certs if _is_ca(c)))
    found: dict[str, Found] = {}
    for der in dict.fromkeys(_der(c) for c in certs if not _is_ca(c)):
        try:
            item = assessor.assess(address, der, cas, source=directory.source, entry=dn)
        except Exception:  # asn1crypto rejects what cryptography accepted: not usable
            continue
        found.setdefault(item.sha256, item)
    return sort_found(found.values())


def sort_found(found: Iterable[Found]) -> list[Found]:
    return sorted(found, key=lambda f: (not f.usable, -f.not_after.timestamp()))


# -- lookups --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lookup:
    """What all directories said about some addresses."""

    found: dict[str, list[Found]]  # per address (as given), usable first
    matched: dict[str, bool]  # some directory has an entry for the address
    errors: tuple[DirectoryError, ...]  # directories that could not be asked
    asked: int  # directories that answered


def lookup_in(
    directory: Directory,
    addresses: Sequence[str],
    assessor: Assessor,
    *,
    ask: AskPassword | None = None,
) -> tuple[dict[str, list[Found]], dict[str, bool]]:
    """Ask one directory about each address over one connection."""
    found: dict[str, list[Found]] = {}
    matched: dict[str, bool] = {}
    with connect(directory, ask=ask) as conn:
        for address in addresses:
            entries = search(directory, conn, address, CERT_ATTRIBUTES)
            matched[address] = bool(entries)
            found[address] = [
                item
                for dn, raw in entries
                for item in assess_entry(assessor, directory, address, dn, raw)
            ]
    return found, matched


def lookup_all(
    home: Home,
    addresses: Sequence[str],
    *,
    directories: Sequence[Directory] | None = None,
    ask: AskPassword | None = None,
    assessor: Assessor | None = None,
) -> Lookup:
    """Ask every directory (or the given ones) about each address; failures are collected."""
    wanted = list(dict.fromkeys(a.strip() for a in addresses if a.strip()))
    dirs = load_directories(home) if directories is None else list(directories)
    judge = assessor or Assessor.for_home(home)
    found: dict[str, dict[str, Found]] = {a: {} for a in wanted}
    matched = dict.fromkeys(wanted, False)
    errors: list[DirectoryError] = []
    asked = 0
    for directory in dirs:
        try:
            per_address, hits = lookup_in(directory, wanted, judge, ask=ask)
        except DirectoryError as err:
            errors.append(err)
            continue
        asked += 1
        for address, items in per_address.items():
            matched[address] = matched[address] or hits[address]
            for item in items:
                found[address].setdefault(f"{item.source} {item.sha256}", item)
    return Lookup(
        {a: sort_found(v.values()) for a, v in found.items()}, matched, tuple(errors), asked
    )


def lookup_recipients(
    home: Home, addresses: Sequence[str], *, ask: AskPassword | None = None
) -> dict[str, list[Found]]:
    """For the compose screen (run it in a worker): certificates per address, usable first.

    An address without an entry maps to an empty list; no configured directory means every list
    is empty.  A directory that cannot be asked is skipped while another one answers; when none
    answers, the first failure is raised as :class:`DirectoryError`.
    """
    result = lookup_all(home, addresses, ask=ask)
    if result.errors and result.asked == 0:
        raise result.errors[0]
    return result.found


def find_certificates(
    home: Home,
    address: str,
    *,
    directory: str | None = None,
    ask: AskPassword | None = None,
) -> list[Found]:
    """Every certificate for ``address`` (usable or not); DirectoryError when there is none."""
    if "@" not in address or any(ch.isspace() for ch in address.strip()):
        raise DirectoryError(f"{clean_line(address)!r} is not an e-mail address.")
    dirs = load_directories(home)
    if directory is not None:
        dirs = [d for d in dirs if d.name == directory]
        if not dirs:
            raise DirectoryError(
                f"There is no directory named {directory!r}; see smimetui directory list."
            )
    if not dirs:
        raise DirectoryError(
            "No certificate directory is set up; add one with "
            "'smimetui directory add NAME --url URL --base DN'.",
            title="No directory",
        )
    result = lookup_all(home, [address], directories=dirs, ask=ask)
    key = address.strip()
    shown = clean_line(key)
    if result.found[key]:
        return result.found[key]
    if result.errors and (result.asked == 0 or not result.matched[key]):
        raise result.errors[0]
    names = ", ".join(d.name for d in dirs)
    if not result.matched[key]:
        raise DirectoryError(
            f"No directory entry for {shown} was found (searched: {names}).", title="Not found"
        )
    raise DirectoryError(
        f"The directory entry for {shown} holds no certificate (searched: {names}).",
        title="No certificate",
    )


def unusable_error(address: str, found: Sequence[Found]) -> DirectoryError:
    """The sentence for an address whose directory certificates are all unusable."""
    first = found[0].problems[0].rstrip(".") if found and found[0].problems else "not usable"
    count = len(found)
    what = "certificate" if count == 1 else f"{count} certificates"
    return DirectoryError(
        f"The directory has only expired or untrusted certificates for {clean_line(address)} "
        f"({what}; {first}).",
        title="No usable certificate",
    )


def import_found(home: Home, found: Sequence[Found]) -> list[CertificateChange]:
    """Store the usable certificates in contacts with their directory as source.

    Their CA certificates are kept as intermediates (for building chains, never as trust).
    Returns changed certificates for known addresses: they wait for the user's confirmation.
    """
    usable = [f for f in found if f.usable]
    if not usable:
        raise ContactsError("None of the certificates found is usable, so nothing was imported.")
    book = Contacts(home)
    known = {normalise(f.email) for f in usable if _has_certificates(book, f.email)}
    changes: list[CertificateChange] = []
    for item in usable:
        for ca in item.chain:
            book.add_intermediate(x509.load_der_x509_certificate(ca))
        cert = x509.load_der_x509_certificate(item.der)
        name = CertInfo.from_der(item.der).display_name
        changes += book.add_certificate(
            cert, source=item.source, name=name, addresses=[normalise(item.email)]
        )
    # Several certificates for a new address arrive together from one entry: none of them
    # "changes" what we knew.  For a known address every new key still needs a yes.
    for change in [c for c in changes if c.address not in known]:
        book.settle(change)
    return [c for c in changes if c.address in known]


def _has_certificates(book: Contacts, address: str) -> bool:
    info = book.address(address)
    return info is not None and any(not c.pending for c in info.certificates)
