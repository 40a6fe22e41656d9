"""The "doctor": is this digital ID fit for S/MIME mail?  Every finding is a sentence.

Checks: the chain up to a trusted root (or which certificate is missing), the emailProtection
extended key usage, whether keyUsage allows signing and/or encryption, the address in the
certificate, key size or curve, validity, and expiry within 30 days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.contacts import cert_addresses, normalise
from smimetui.core.pki.validator import Validator, to_asn1

EXPIRY_WARNING = dt.timedelta(days=30)
_GOOD_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


class Severity(Enum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    text: str


@dataclass(frozen=True, slots=True)
class DoctorReport:
    subject: str
    findings: tuple[Finding, ...]
    can_sign: bool
    can_encrypt: bool

    @property
    def healthy(self) -> bool:
        return not any(f.severity is Severity.PROBLEM for f in self.findings)

    def to_json(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "healthy": self.healthy,
            "can_sign": self.can_sign,
            "can_encrypt": self.can_encrypt,
            "findings": [{"severity": f.severity.value, "text": f.text} for f in self.findings],
        }


def _cn(name: x509.Name) -> str:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else name.rfc4514_string()


def _ext(cert: x509.Certificate, kind: type[x509.ExtensionType]) -> x509.ExtensionType | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _usage(cert: x509.Certificate) -> tuple[bool, bool, list[Finding]]:
    ku = _ext(cert, x509.KeyUsage)
    key = cert.public_key()
    if not isinstance(ku, x509.KeyUsage):
        note = Finding(Severity.OK, "No key usage restriction: the key may sign and encrypt.")
        return True, not isinstance(key, ed25519.Ed25519PublicKey), [note]
    sign = bool(ku.digital_signature or ku.content_commitment)
    if isinstance(key, rsa.RSAPublicKey):
        encrypt = bool(ku.key_encipherment)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        encrypt = bool(ku.key_agreement)
    else:
        encrypt = False
    found = []
    if sign and encrypt:
        found.append(Finding(Severity.OK, "The key usage allows both signing and encryption."))
    elif sign:
        found.append(
            Finding(
                Severity.WARNING,
                "This certificate can sign but not receive encrypted mail; use a second ID for "
                "encryption.",
            )
        )
    elif encrypt:
        found.append(
            Finding(
                Severity.WARNING,
                "This certificate can receive encrypted mail but not sign; use a second ID for "
                "signing.",
            )
        )
    else:
        found.append(
            Finding(Severity.PROBLEM, "The key usage allows neither signing nor encryption.")
        )
    return sign, encrypt, found


def _eku(cert: x509.Certificate) -> Finding:
    eku = _ext(cert, x509.ExtendedKeyUsage)
    if not isinstance(eku, x509.ExtendedKeyUsage):
        return Finding(Severity.OK, "No extended key usage restriction: email is allowed.")
    if ExtendedKeyUsageOID.EMAIL_PROTECTION in eku:
        return Finding(Severity.OK, "The certificate is meant for email (emailProtection).")
    if ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku:
        return Finding(Severity.OK, "The certificate allows any use, email included.")
    return Finding(
        Severity.PROBLEM,
        "The certificate is not meant for email: its extended key usage lacks emailProtection, "
        "so other mail programs will reject its signatures.",
    )


def _key(cert: x509.Certificate) -> Finding:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            return Finding(
                Severity.PROBLEM, f"The RSA key has only {key.key_size} bits; 2048 is the minimum."
            )
        return Finding(Severity.OK, f"RSA key of {key.key_size} bits.")
    if isinstance(key, ec.EllipticCurvePublicKey):
        curve = _GOOD_CURVES.get(key.curve.name)
        if curve is None:
            return Finding(
                Severity.WARNING,
                f"The key uses the curve {key.curve.name}, which many mail programs do not read.",
            )
        return Finding(Severity.OK, f"Elliptic-curve key on {curve}.")
    if isinstance(key, ed25519.Ed25519PublicKey):
        return Finding(
            Severity.WARNING,
            "Ed25519 keys sign, but many mail programs cannot verify them yet and nobody can "
            "encrypt to them.",
        )
    return Finding(Severity.PROBLEM, "The key type is not usable for S/MIME.")


def _validity(cert: x509.Certificate, now: dt.datetime) -> Finding:
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if end < now:
        return Finding(
            Severity.PROBLEM,
            f"The certificate expired on {end:%Y-%m-%d}; it still decrypts old mail, but "
            "get a new one to sign and receive new mail.",
        )
    if start > now:
        return Finding(Severity.PROBLEM, f"The certificate is not valid until {start:%Y-%m-%d}.")
    if end - now < EXPIRY_WARNING:
        days = (end - now).days
        return Finding(
            Severity.WARNING,
            f"The certificate expires in {days} day{'s' if days != 1 else ''} "
            f"({end:%Y-%m-%d}); renew it soon.",
        )
    return Finding(Severity.OK, f"Valid until {end:%Y-%m-%d}.")


def _address(cert: x509.Certificate, email: str | None) -> Finding:
    addrs = cert_addresses(cert)
    if not addrs:
        return Finding(
            Severity.PROBLEM, "The certificate names no email address, so it cannot sign mail."
        )
    if email is None or normalise(email) in addrs:
        return Finding(Severity.OK, f"The certificate is for {', '.join(addrs)}.")
    return Finding(
        Severity.PROBLEM,
        f"The certificate is for {', '.join(addrs)}, not {email}: mail from {email} signed with "
        "it will be flagged as not matching the sender.",
    )


def _chain(
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate],
    validator: Validator | None,
    now: dt.datetime,
) -> Finding:
    if validator is None:
        return Finding(Severity.WARNING, "The chain was not checked (no trust store given).")
    result = validator.validate(to_asn1(cert), [to_asn1(c) for c in chain], moment=now)
    if result.status is ChainStatus.TRUSTED:
        root = _cn(chain[-1].subject) if chain else _cn(cert.issuer)
        path = getattr(result, "path", ())
        if path:
            root = path[-1].cert.display_name
        return Finding(Severity.OK, f"The chain is complete up to the trusted root {root}.")
    if cert.issuer == cert.subject:
        return Finding(
            Severity.WARNING,
            "The certificate is self-signed: your correspondents must accept it explicitly, "
            "and their mail programs will warn them.",
        )
    subjects = {c.subject for c in chain}
    issuer, current = cert.issuer, cert
    while issuer in subjects:
        current = next(c for c in chain if c.subject == issuer)
        if current.issuer == current.subject:
            break
        issuer = current.issuer
    if result.status is ChainStatus.UNTRUSTED and issuer not in subjects:
        return Finding(
            Severity.PROBLEM,
            f"The chain is incomplete or not trusted: the certificate of {_cn(issuer)} (which "
            f"issued {_cn(current.subject)}) is missing; import it with `smimetui trust add` "
            "if it is a root you trust, or import the ID again with its full chain.",
        )
    detail = " ".join(result.problems) or f"The chain is {result.status.value}."
    return Finding(Severity.PROBLEM, detail)


def check_identity(
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    *,
    email: str | None = None,
    validator: Validator | None = None,
    now: dt.datetime | None = None,
) -> DoctorReport:
    """Examine one digital ID; ``email`` is the address it is used for (when known)."""
    when = now or dt.datetime.now(dt.UTC)
    can_sign, can_encrypt, usage = _usage(cert)
    findings = [
        _chain(cert, chain, validator, when),
        _validity(cert, when),
        _address(cert, email),
        _eku(cert),
        *usage,
        _key(cert),
    ]
    return DoctorReport(_cn(cert.subject), tuple(findings), can_sign, can_encrypt)
