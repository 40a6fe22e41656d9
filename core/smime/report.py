"""The security report: one value object for the CLI's JSON and the TUI's security pane.

Frozen, slotted dataclasses and enums.  Every string in here is already sanitised for display.
``problems`` are sentences a user can act on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from asn1crypto import x509 as asn1_x509

from smimetui.core.errors import CertificateError
from smimetui.core.sanitize import clean_line
from smimetui.core.smime.authresults import AuthenticationReport
from smimetui.core.smime.delivery import DeliveryReport
from smimetui.core.smime.links import Link


class SignatureVerdict(Enum):
    GOOD = "good"  # mathematically valid over exactly the displayed signed content
    BAD = "bad"  # does not verify: the content was altered after signing
    ERROR = "error"  # could not be evaluated: malformed, unsupported, no signer


class ChainStatus(Enum):
    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    REVOKED = "revoked"
    WRONG_USAGE = "wrong-usage"
    INVALID = "invalid"


class Coverage(Enum):
    WHOLE = "whole"
    PARTIAL = "partial"


class RevocationStatus(Enum):
    NOT_CHECKED = "not-checked"
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


class EncryptionStatus(Enum):
    DECRYPTED = "decrypted"
    NO_KEY = "no-key"
    LOCKED = "locked"  # for one of your digital IDs, which stayed locked (no or a wrong passphrase)
    ERROR = "error"


def _name(name: asn1_x509.Name) -> str:
    try:
        return clean_line(name.human_friendly)
    except Exception:  # malformed names must not break a report
        return "(unreadable name)"


# Per certificate object (held in the entry, so its id() is not reused): the read path asks for
# the addresses of the same shared certificate objects with every message.
_EMAILS: dict[int, tuple[asn1_x509.Certificate, tuple[str, ...]]] = {}


def cert_emails(cert: asn1_x509.Certificate) -> tuple[str, ...]:
    """Addresses of a certificate: rfc822Name SANs, else emailAddress in the subject DN.

    Local parts keep their case, domains are lower-cased (RFC 5321: domains are case-insensitive).
    """
    hit = _EMAILS.get(id(cert))
    if hit is not None and hit[0] is cert:
        return hit[1]
    emails = _read_emails(cert)
    if len(_EMAILS) >= 1024:
        _EMAILS.clear()
    _EMAILS[id(cert)] = (cert, emails)
    return emails


def _read_emails(cert: asn1_x509.Certificate) -> tuple[str, ...]:
    found: list[str] = []
    try:
        san = cert.subject_alt_name_value
    except Exception:
        san = None
    if san is not None:
        for general_name in san:
            try:
                if general_name.name == "rfc822_name":
                    found.append(str(general_name.native))
            except Exception:  # undecodable bytes in one entry must not hide the others
                continue
    if not found:
        try:
            for rdn in cert.subject.chosen:
                for attr in rdn:
                    if attr["type"].native == "email_address":
                        found.append(str(attr["value"].native))
        except Exception:
            pass
    out: list[str] = []
    for addr in found:
        local, sep, domain = addr.strip().rpartition("@")
        norm = f"{local}@{domain.lower()}" if sep else addr.strip()
        norm = clean_line(norm, max_length=320)
        if norm and norm not in out:
            out.append(norm)
    return tuple(out)


# CertInfo is immutable and correspondents send the same certificates with every message.
_INFO_CACHE_SIZE = 1024
_INFO_CACHE: dict[bytes, CertInfo] = {}
# In front of it, by object identity: the read path shares one parsed object per certificate
# (signeddata.parsed_certificate), and even ``contents`` walks the whole parsed tree to look for
# changes (about 50 us per call).  The entry holds the object, so its id() is not reused.
_BY_OBJECT: dict[int, tuple[asn1_x509.Certificate, CertInfo]] = {}
_BY_DER: dict[bytes, CertInfo] = {}  # from_der, keyed by the whole encoding


@dataclass(frozen=True, slots=True)
class CertInfo:
    """Display facts about one certificate (and its DER, for import and export)."""

    email: tuple[str, ...]
    subject: str
    issuer: str
    serial: str  # hex, upper case, no separators
    not_before: datetime
    not_after: datetime
    sha256: str  # hex fingerprint of the DER, lower case
    self_signed: bool = False
    der: bytes = field(default=b"", repr=False, compare=False)

    @classmethod
    def from_asn1(cls, cert: asn1_x509.Certificate) -> CertInfo:
        hit = _BY_OBJECT.get(id(cert))
        if hit is not None and hit[0] is cert:
            return hit[1]
        info = cls._from_encoding(cert)
        if len(_BY_OBJECT) >= _INFO_CACHE_SIZE:
            _BY_OBJECT.clear()
        _BY_OBJECT[id(cert)] = (cert, info)
        return info

    @classmethod
    def _from_encoding(cls, cert: asn1_x509.Certificate) -> CertInfo:
        # A parsed, unmodified certificate keeps its original encoding in ``contents``; using
        # it as the key avoids dump(), which walks every parsed child to look for changes.
        key = cert.contents if cert.contents is not None else cert.dump()
        cached = _INFO_CACHE.get(key)
        if cached is None:
            cached = cls._build(cert, cert.dump())
            if len(_INFO_CACHE) >= _INFO_CACHE_SIZE:
                _INFO_CACHE.pop(next(iter(_INFO_CACHE)))
            _INFO_CACHE[key] = cached
        return cached

    @classmethod
    def _build(cls, cert: asn1_x509.Certificate, der: bytes) -> CertInfo:
        return cls(
            email=cert_emails(cert),
            subject=_name(cert.subject),
            issuer=_name(cert.issuer),
            serial=format(cert.serial_number, "X"),
            not_before=cert.not_valid_before,
            not_after=cert.not_valid_after,
            sha256=hashlib.sha256(der).hexdigest(),
            self_signed=cert.self_signed in ("yes", "maybe"),
            der=der,
        )

    @classmethod
    def from_der(cls, der: bytes) -> CertInfo:
        """Raises :class:`CertificateError` (never a parser exception) for damaged DER."""
        key = der if isinstance(der, bytes) else None  # bytearray etc. are not cached
        cached = _BY_DER.get(key) if key is not None else None
        if cached is not None:
            return cached
        try:
            info = cls.from_asn1(asn1_x509.Certificate.load(der, strict=True))
        except Exception as exc:  # asn1crypto parses lazily: damage surfaces anywhere in here
            raise CertificateError(
                "The certificate is damaged and cannot be read.",
                details=f"{type(exc).__name__}: {exc}",
            ) from exc
        if key is not None:
            if len(_BY_DER) >= _INFO_CACHE_SIZE:
                _BY_DER.clear()
            _BY_DER[key] = info
        return info

    @property
    def display_name(self) -> str:
        """The subject's common name, or the subject as a whole."""
        for part in self.subject.split(", "):
            if part.startswith("Common Name: "):
                return part.removeprefix("Common Name: ")
        return self.subject

    def to_json(self) -> dict[str, Any]:
        return {
            "email": list(self.email),
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One certificate of the path from signer to root, with its status in words."""

    cert: CertInfo
    status: str  # e.g. "valid until 2027-05-01", "expired on 2026-11-22", "trusted root"
    ok: bool


@dataclass(frozen=True, slots=True)
class SignatureReport:
    verdict: SignatureVerdict
    chain: ChainStatus
    from_match: bool
    covers: Coverage
    signer: CertInfo | None
    problems: tuple[str, ...] = ()
    chain_path: tuple[ChainLink, ...] = ()
    digest_algorithm: str = ""  # e.g. "SHA-256"
    signature_algorithm: str = ""  # e.g. "RSA PKCS#1 v1.5", "ECDSA P-256"
    signing_time: datetime | None = None
    revocation: RevocationStatus = RevocationStatus.NOT_CHECKED
    signed_text: str = ""  # the displayed text this signature covers
    certificates: tuple[CertInfo, ...] = ()  # every certificate the message carried
    # RFC 8551 attributes harvested from a good signature (capability names such as
    # "aes256-gcm", "aes256-cbc", "rsaes-oaep"), for choosing algorithms when we write.
    capabilities: tuple[str, ...] = ()
    encryption_key_preference: str | None = None  # sha256 of the preferred encryption cert
    signer_count: int = 1
    over_ciphertext: bool = False  # an outer signature over encrypted content
    notes: tuple[str, ...] = ()  # facts that do not make it worse ("revocation not checked")

    @property
    def is_trustworthy(self) -> bool:
        """Good, trusted and matching From, with no problem at all: the only 'all green'."""
        return (
            self.verdict is SignatureVerdict.GOOD
            and self.chain is ChainStatus.TRUSTED
            and self.from_match
            and self.covers is Coverage.WHOLE
            and not self.problems
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.verdict.value,
            "chain": self.chain.value,
            "from_match": self.from_match,
            "covers": self.covers.value,
            "signer": self.signer.to_json() if self.signer else None,
            "problems": list(self.problems),
            "chain_path": [
                {"subject": link.cert.subject, "sha256": link.cert.sha256, "status": link.status}
                for link in self.chain_path
            ],
            "digest_algorithm": self.digest_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "revocation": self.revocation.value,
            "signed_text": self.signed_text,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class EncryptionReport:
    status: EncryptionStatus
    algorithm: str  # e.g. "AES-256-GCM", "AES-128-CBC", "3DES-CBC"
    authenticated: bool  # AEAD (GCM) protects integrity; CBC does not
    problems: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()  # for whom it was encrypted, in words
    key_management: str = ""  # e.g. "RSA-OAEP", "RSA PKCS#1 v1.5", "ECDH P-256"
    decrypted_with: CertInfo | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "algorithm": self.algorithm,
            "authenticated": self.authenticated,
            "problems": list(self.problems),
            "recipients": list(self.recipients),
            "key_management": self.key_management,
        }


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str  # sanitised, safe to show and to save
    content_type: str
    size: int
    data: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class TextSegment:
    """A run of displayed text, and whether a signature covers it (for partial signatures)."""

    text: str
    signed: bool


@dataclass(frozen=True, slots=True)
class SecurityReport:
    """What a user is shown about one message."""

    from_addr: str  # addr-spec of the (first) From mailbox, sanitised
    from_display: str  # the From header as displayed (name and address), sanitised
    subject: str
    text: str  # displayed text, after decryption, sanitised
    signature: SignatureReport | None = None
    encryption: EncryptionReport | None = None
    problems: tuple[str, ...] = ()  # message-level problems (malformed MIME, limits, ...)
    to: str = ""
    cc: str = ""
    date: str = ""
    attachments: tuple[Attachment, ...] = ()
    validated_at: datetime | None = None  # set by --at: chain validated as of this time
    headers_protected: bool = False  # RFC 9788 protected headers were shown
    was_html: bool = False  # the text was converted from HTML
    segments: tuple[TextSegment, ...] = ()  # ``text`` cut where signature coverage changes
    certificates: tuple[CertInfo, ...] = ()  # certificates carried (certs-only and signatures)
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    reply_to: str = ""
    authentication: AuthenticationReport | None = None  # your server's RFC 8601 results
    delivery: DeliveryReport | None = None  # Received hops and MIME defects
    links: tuple[Link, ...] = ()  # numbered links of HTML text

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "from": self.from_addr,
            "subject": self.subject,
            "text": self.text,
            "signature": self.signature.to_json() if self.signature else None,
            "encryption": self.encryption.to_json() if self.encryption else None,
            "problems": list(self.problems),
            "from_display": self.from_display,
            "to": self.to,
            "cc": self.cc,
            "date": self.date,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in self.attachments
            ],
            "headers_protected": self.headers_protected,
            "authentication": self.authentication.to_json() if self.authentication else None,
            "delivery": self.delivery.to_json() if self.delivery else None,
            "links": [link.to_json() for link in self.links],
        }
        if self.validated_at is not None:
            data["validated_at"] = self.validated_at.isoformat()
        return data
