"""Make keys and certificates: the demo CA, self-signed digital IDs, and the test fixture PKI.

One small immutable vocabulary: ``new_key(kind)``, ``make_ca(...)``, ``make_leaf(...)``.  Times are
explicit so that tests can build expired and not-yet-valid certificates relative to "now".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from smimetui.core.cms.keytypes import PrivateKey

KeyKind = Literal["rsa2048", "rsa3072", "rsa4096", "p256", "p384", "p521", "ed25519"]
KEY_KINDS: tuple[str, ...] = ("rsa2048", "rsa3072", "rsa4096", "p256", "p384", "p521", "ed25519")
Usage = Literal["sign", "encrypt", "both"]


_CURVES: dict[str, ec.EllipticCurve] = {
    "p256": ec.SECP256R1(),
    "p384": ec.SECP384R1(),
    "p521": ec.SECP521R1(),
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_key(kind: str = "rsa2048") -> PrivateKey:
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    if kind in _CURVES:
        return ec.generate_private_key(_CURVES[kind])
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unknown key kind {kind!r}; choose one of {', '.join(KEY_KINDS)}")


def _hash_for(key: CertificateIssuerPrivateKeyTypes) -> hashes.SHA256 | hashes.SHA384 | None:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None  # Ed25519 signs without a separate hash
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


@dataclass(frozen=True, slots=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self, passphrase: bytes | None = None) -> bytes:
        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
        )


def name(common_name: str, email: str | None = None, org: str | None = None) -> x509.Name:
    attrs = []
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)


def _key_usage(usage: Usage, key: PrivateKey, *, ca: bool = False) -> x509.KeyUsage:
    is_rsa = isinstance(key, rsa.RSAPrivateKey)
    is_ec = isinstance(key, ec.EllipticCurvePrivateKey)
    sign = ca or usage in ("sign", "both")
    encrypt = not ca and usage in ("encrypt", "both")
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign and not ca,
        key_encipherment=encrypt and is_rsa,
        data_encipherment=False,
        key_agreement=encrypt and is_ec,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(
    common_name: str,
    *,
    key_kind: str = "rsa2048",
    issuer: Issued | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    path_length: int | None = None,
    key: PrivateKey | None = None,
    org: str | None = None,
) -> Issued:
    """A root CA (no ``issuer``) or an intermediate CA signed by ``issuer``."""
    key = key or new_key(key_kind)
    now = utcnow()
    subject = name(common_name, org=org)
    issuer_name = issuer.cert.subject if issuer else subject
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage("sign", key, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    cert = builder.sign(signing_key, _hash_for(signing_key))
    return Issued(cert, key)


def make_leaf(
    issuer: Issued | None,
    emails: str | Sequence[str],
    *,
    common_name: str | None = None,
    key_kind: str = "rsa2048",
    key: PrivateKey | None = None,
    usage: Usage = "both",
    eku: Iterable[x509.ObjectIdentifier] | None = (ExtendedKeyUsageOID.EMAIL_PROTECTION,),
    san: bool = True,
    email_in_subject: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key_usage: x509.KeyUsage | None = None,
    extra_extensions: Iterable[tuple[x509.ExtensionType, bool]] = (),
    serial: int | None = None,
) -> Issued:
    """An S/MIME end-entity certificate; ``issuer=None`` makes it self-signed.

    ``eku=None`` omits the extendedKeyUsage extension altogether.
    """
    key = key or new_key(key_kind)
    addrs = [emails] if isinstance(emails, str) else list(emails)
    cn = common_name or (addrs[0] if addrs else "S/MIME user")
    now = utcnow()
    subject = name(cn, email=addrs[0] if (email_in_subject and addrs) else None)
    signing_key: PrivateKey = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage or _key_usage(usage, key), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if san and addrs:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(a) for a in addrs]), critical=False
        )
    for ext, critical in extra_extensions:
        builder = builder.add_extension(ext, critical=critical)
    cert = builder.sign(signing_key, _hash_for(signing_key))
    return Issued(cert, key)


def make_csr(key: PrivateKey, email: str, common_name: str) -> x509.CertificateSigningRequest:
    """A CSR for an S/MIME certificate: CN, SAN rfc822Name and the emailProtection EKU."""
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name(common_name, email=email))
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .sign(key, _hash_for(key))
    )
