"""Facts about an X.509 certificate as plain, display-safe values: names, addresses, dates.

Every string is sanitised here once, so the signer of a SignedData, a recipient of an
EnvelopedData and a contact's certificate are described the same way everywhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509

from smimetui.core.errors import CertificateError
from smimetui.core.sanitize import clean_line


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
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
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
        except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
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
