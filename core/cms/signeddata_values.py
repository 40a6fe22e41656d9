"""What a SignedData verification yields, and the cached decoders both verification paths share.

:mod:`signeddata` (the full path, through asn1crypto's object tree) and :mod:`signeddata_fast`
(the common case, straight from the bytes) build the same values; they live here so that the
full path can call the fast one without the fast one importing it back.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, x509

from smimetui.core.cms import sigalgs
from smimetui.core.cms.certinfo import cert_emails
from smimetui.core.sanitize import clean_line


@dataclass(frozen=True, slots=True)
class SignerOutcome:
    """What one signerInfo proved (``valid``) and what is known about it."""

    valid: bool
    cert: x509.Certificate | None
    digest_algorithm: str  # "SHA-256", "SHA-1", ...
    signature_algorithm: str  # "RSA PKCS#1 v1.5", "RSA-PSS", "ECDSA P-256", "Ed25519"
    signing_time: datetime | None
    weak_digest: bool
    problems: tuple[str, ...]
    capabilities: tuple[str, ...] = ()
    encryption_key_preference: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class SignedDataResult:
    content_type: str  # eContentType: asn1crypto's name ("data") or the dotted OID
    econtent: bytes | None  # the embedded content (opaque signing), else None
    signers: tuple[SignerOutcome, ...]
    certificates: tuple[x509.Certificate, ...]
    content_mismatch: bool  # detached content given AND eContent present AND they differ


@functools.lru_cache(maxsize=1024)
def parsed_certificate(der: bytes) -> x509.Certificate | None:
    """One parsed, checked certificate object per DER encoding, shared across messages.

    The same few certificates arrive with every message from a correspondent; reusing the object
    keeps asn1crypto's derived values (name hashes, key identifiers) and our key cache warm, and
    a certificate that does not parse all the way is refused once, here, instead of raising later
    in whoever reads it.
    """
    try:
        cert = x509.Certificate.load(der, strict=True)
        cert.subject.human_friendly  # noqa: B018
        cert.issuer.human_friendly  # noqa: B018
        cert.subject.hashable  # noqa: B018
        cert.issuer.hashable  # noqa: B018
        cert.serial_number  # noqa: B018
        cert.not_valid_before  # noqa: B018
        cert.not_valid_after  # noqa: B018
        cert.public_key.dump()
        cert.public_key.sha1  # noqa: B018
        cert.self_signed  # noqa: B018
        cert.key_identifier  # noqa: B018
        cert.authority_key_identifier  # noqa: B018
        cert_emails(cert)  # decodes every SAN entry (an undecodable rfc822Name raises)
        cert.key_usage_value  # noqa: B018
        cert.extended_key_usage_value  # noqa: B018
        cert.basic_constraints_value  # noqa: B018
        cert.ca  # noqa: B018
        return cert
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        return None


# A correspondent sends the same capabilities with every message: parse each encoding once.
@functools.lru_cache(maxsize=256)
def capabilities_of(attr_der: bytes) -> tuple[str, ...]:
    """The algorithm names of an SMIMECapabilities attribute (its DER); () when unreadable."""
    try:
        attr = cms.CMSAttribute.load(attr_der)
        names = [
            sigalgs.capability_name(str(cap["capability_id"].native))
            for caps in attr["values"]
            for cap in caps
        ]
        return tuple(dict.fromkeys(names))
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        return ()


@functools.lru_cache(maxsize=256)
def key_preference_of(attr_der: bytes) -> tuple[str, str] | None:
    """An SMIMEEncryptionKeyPreference attribute (its DER) as (kind, value), or None."""
    try:
        value = cms.CMSAttribute.load(attr_der)["values"][0]
        pref = cms.SMIMEEncryptionKeyPreference.load(value.dump())
        if pref.name == "issuer_and_serial_number":
            issuer = clean_line(pref.chosen["issuer"].human_friendly)
            return ("issuer_serial", f"{issuer}|{pref.chosen['serial_number'].native:X}")
        if pref.name == "recipientKeyId":
            return ("ski", pref.chosen["subjectKeyIdentifier"].native.hex())
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        pass
    return None
