"""Build CMS EnvelopedData / AuthEnvelopedData for outgoing S/MIME mail.

The algorithms are chosen per message from what the recipients' clients have said they read
(SMIMECapabilities harvested from their signed mail, RFC 8551 §2.7):

* AES-256-GCM in AuthEnvelopedData (RFC 5083/5084) with RSA-OAEP (SHA-256) key transport when
  every recipient advertises AES-256-GCM and every RSA recipient RSA-OAEP;
* otherwise AES-256-CBC in EnvelopedData with RSA PKCS#1 v1.5, which every S/MIME client reads.

EC recipients get ephemeral-static ECDH key agreement (RFC 5753:
dhSinglePass-stdDH-sha256kdf-scheme, X9.63 KDF over ECC-CMS-SharedInfo, AES-256 key wrap).
The choice comes back in words so that the user can see it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.hazmat.primitives.padding import PKCS7

from smimetui.core.cms import der as der_
from smimetui.core.cms.sign import OUR_CAPABILITIES
from smimetui.core.errors import RecipientCertificateError

ECDH_SHA256_KDF = "1.3.132.1.11.1"  # dhSinglePass-stdDH-sha256kdf-scheme (RFC 5753)
GCM_TAG_LEN = 16
_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


class Preference(Enum):
    """What the user asked for: automatic choice, or forcing one family."""

    AUTO = "auto"
    GCM = "gcm"
    CBC = "cbc"


@dataclass(frozen=True, slots=True)
class Recipient:
    """One recipient certificate; ``capabilities`` None means nothing is known about the client."""

    label: str  # the address, or "yourself"
    cert: x509.Certificate
    capabilities: tuple[str, ...] | None = None
    is_self: bool = False

    @property
    def known_capabilities(self) -> tuple[str, ...]:
        if self.is_self:
            return OUR_CAPABILITIES
        return self.capabilities or ()

    @property
    def is_rsa(self) -> bool:
        return isinstance(self.cert.public_key(), rsa.RSAPublicKey)


@dataclass(frozen=True, slots=True)
class EncryptionChoice:
    """The algorithms picked for one message and why, in words."""

    cipher: str  # "AES-256-GCM" or "AES-256-CBC"
    rsa_key_transport: str  # "RSA-OAEP (SHA-256)" or "RSA PKCS#1 v1.5"
    reason: str
    key_management: tuple[tuple[str, str], ...] = ()  # (recipient label, method)

    @property
    def authenticated(self) -> bool:
        return self.cipher.endswith("GCM")

    @property
    def smime_type(self) -> str:
        return "authEnveloped-data" if self.authenticated else "enveloped-data"

    @property
    def summary(self) -> str:
        methods = sorted({method for _, method in self.key_management})
        return f"{self.cipher}, keys by {', '.join(methods)}. {self.reason}"


@dataclass(frozen=True, slots=True)
class Encrypted:
    der: bytes  # ContentInfo
    choice: EncryptionChoice


def _curve_name(key: ec.EllipticCurvePublicKey) -> str:
    return _CURVE_NAMES.get(key.curve.name, key.curve.name)


def _method(recipient: Recipient, oaep: bool) -> str:
    key = recipient.cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA-OAEP (SHA-256)" if oaep else "RSA PKCS#1 v1.5"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDH {_curve_name(key)}"
    raise RecipientCertificateError(
        f"Cannot encrypt to {recipient.label}: their certificate has a "
        f"{type(key).__name__.removeprefix('_')} key, which cannot receive encrypted mail."
    )


def _names(recipients: Sequence[Recipient]) -> str:
    labels = [r.label for r in recipients]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def choose_algorithms(
    recipients: Sequence[Recipient], preference: Preference = Preference.AUTO
) -> EncryptionChoice:
    """Pick the content cipher and RSA key transport for these recipients, with the reason."""
    if not recipients:
        raise RecipientCertificateError("There is nobody to encrypt to.")
    others = [r for r in recipients if not r.is_self]
    no_gcm = [r for r in others if "aes256-gcm" not in r.known_capabilities]
    no_oaep = [r for r in others if r.is_rsa and "rsaes-oaep" not in r.known_capabilities]
    if preference is Preference.GCM:
        modern, reason = True, "You asked for AES-256-GCM."
    elif preference is Preference.CBC:
        modern, reason = False, "You asked for AES-256-CBC."
    elif not no_gcm and not no_oaep:
        modern = True
        reason = (
            "Every recipient's mail program has said (in signed mail) that it reads "
            "authenticated AES-256-GCM"
            + (" and RSA-OAEP." if any(r.is_rsa for r in others) else ".")
            if others
            else "The message is encrypted only to yourself."
        )
    else:
        modern = False
        missing = no_gcm or no_oaep
        what = "AES-256-GCM" if no_gcm else "RSA-OAEP"
        unknown = [r for r in missing if r.capabilities is None]
        why = (
            "has not sent you signed mail that lists what their mail program reads"
            if len(unknown) == len(missing)
            else f"has not said that their mail program reads {what}"
        )
        verb = (
            why
            if len(missing) == 1
            else why.replace("has not", "have not").replace(
                "their mail program reads", "their mail programs read"
            )
        )
        reason = (
            f"AES-256-CBC is used, which every S/MIME client reads, because {_names(missing)} "
            f"{verb}."
        )
    method = {r.label: _method(r, modern) for r in recipients}
    return EncryptionChoice(
        cipher="AES-256-GCM" if modern else "AES-256-CBC",
        rsa_key_transport="RSA-OAEP (SHA-256)" if modern else "RSA PKCS#1 v1.5",
        reason=reason,
        key_management=tuple(method.items()),
    )


_RID_CACHE: dict[bytes, bytes] = {}
_ID_DATA = der_.oid("1.2.840.113549.1.7.1")
_ID_ENVELOPED = der_.oid("1.2.840.113549.1.7.3")
_ID_AUTH_ENVELOPED = der_.oid("1.2.840.113549.1.9.16.1.23")
_AES256_CBC = der_.oid("2.16.840.1.101.3.4.1.42")
_AES256_GCM = der_.oid("2.16.840.1.101.3.4.1.46")
_EC_PUBLIC_KEY = der_.seq(der_.oid("1.2.840.10045.2.1"))
# RFC 3370 §4.2.1: rsaEncryption with NULL parameters.
_RSA_PKCS1 = der_.seq(der_.oid("1.2.840.113549.1.1.1"), der_.tlv(0x05, b""))
_AES256_WRAP = der_.seq(der_.oid("2.16.840.1.101.3.4.1.45"))  # RFC 3565: parameters absent
_ECDH_WRAP = der_.seq(der_.oid(ECDH_SHA256_KDF), _AES256_WRAP)


def _oaep_algorithm() -> bytes:
    sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
    params = algos.RSAESOAEPParams(
        {
            "hash_algorithm": sha256,
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": sha256},
        }
    )
    encoded: bytes = cms.KeyEncryptionAlgorithm(
        {"algorithm": "rsaes_oaep", "parameters": params}
    ).dump()
    return encoded


_RSA_OAEP = _oaep_algorithm()


def _rid(cert: x509.Certificate) -> bytes:
    """IssuerAndSerialNumber of ``cert`` (DER), cached: the same recipients recur all day."""
    fp = der_.fingerprint(cert)
    hit = _RID_CACHE.get(fp)
    if hit is None:
        parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
        hit = cms.IssuerAndSerialNumber(
            {"issuer": parsed.issuer, "serial_number": parsed.serial_number}
        ).dump()
        if len(_RID_CACHE) > 1024:
            _RID_CACHE.clear()
        _RID_CACHE[fp] = hit
    return hit


def _ktri(recipient: Recipient, cek: bytes, oaep: bool) -> bytes:
    key = recipient.cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    if oaep:
        sha256 = hashes.SHA256()
        wrapped = key.encrypt(cek, padding.OAEP(padding.MGF1(sha256), sha256, None))
        alg = _RSA_OAEP
    else:
        wrapped = key.encrypt(cek, padding.PKCS1v15())
        alg = _RSA_PKCS1
    # KeyTransRecipientInfo v0 (the RecipientInfo CHOICE leaves it untagged).
    return der_.seq(der_.small_int(0), _rid(recipient.cert), alg, der_.octets(wrapped))


def ecc_cms_shared_info(ukm: bytes | None = None) -> bytes:
    """RFC 5753 ECC-CMS-SharedInfo for AES-256 key wrap: the X9.63 KDF input.

    SEQUENCE { keyInfo AlgorithmIdentifier (id-aes256-wrap, no parameters),
    entityUInfo [0] EXPLICIT OCTET STRING OPTIONAL, suppPubInfo [2] EXPLICIT OCTET STRING
    (the KEK length in bits, 32-bit big-endian) }.
    """
    entity_u_info = der_.context(0, der_.octets(ukm)) if ukm is not None else b""
    supp_pub_info = der_.context(2, der_.octets((256).to_bytes(4, "big")))
    return der_.seq(_AES256_WRAP, entity_u_info, supp_pub_info)


_SHARED_INFO_NO_UKM = ecc_cms_shared_info()


def ecdh_kek(shared_secret: bytes, ukm: bytes | None = None) -> bytes:
    """RFC 5753 KEK for AES-256 key wrap: X9.63 KDF (SHA-256) over ECC-CMS-SharedInfo."""
    shared_info = _SHARED_INFO_NO_UKM if ukm is None else ecc_cms_shared_info(ukm)
    return X963KDF(algorithm=hashes.SHA256(), length=32, sharedinfo=shared_info).derive(
        shared_secret
    )


def _kari(recipient: Recipient, cek: bytes) -> bytes:
    peer = recipient.cert.public_key()
    assert isinstance(peer, ec.EllipticCurvePublicKey)
    ephemeral = ec.generate_private_key(peer.curve)
    kek = ecdh_kek(ephemeral.exchange(ec.ECDH(), peer))
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    # originator [0] EXPLICIT OriginatorIdentifierOrKey -> originatorKey [1] IMPLICIT.
    originator = der_.context(0, der_.context(1, _EC_PUBLIC_KEY + der_.tlv(0x03, b"\0" + point)))
    encrypted_keys = der_.seq(der_.seq(_rid(recipient.cert), der_.octets(aes_key_wrap(kek, cek))))
    kari = der_.seq(der_.small_int(3), originator, _ECDH_WRAP, encrypted_keys)
    return der_.context(1, der_.contents(kari))  # RecipientInfo: kari [1] IMPLICIT


def _recipient_infos(
    recipients: Sequence[Recipient], cek: bytes, oaep: bool
) -> tuple[list[bytes], bool]:
    """The RecipientInfos and whether all of them are KTRI v0 (EnvelopedData version 0)."""
    infos = []
    all_ktri = True
    seen: set[bytes] = set()
    for recipient in recipients:
        fingerprint = der_.fingerprint(recipient.cert)
        if fingerprint in seen:  # yourself also in To: one RecipientInfo is enough
            continue
        seen.add(fingerprint)
        if recipient.is_rsa:
            infos.append(_ktri(recipient, cek, oaep))
        else:
            _method(recipient, oaep)  # raises for keys that cannot receive
            infos.append(_kari(recipient, cek))
            all_ktri = False
    return infos, all_ktri


def encrypt(
    content: bytes,
    recipients: Sequence[Recipient],
    *,
    choice: EncryptionChoice | None = None,
    preference: Preference = Preference.AUTO,
) -> Encrypted:
    """Encrypt ``content`` (a canonical MIME entity) to every recipient; DER ContentInfo."""
    choice = choice or choose_algorithms(recipients, preference)
    cek = os.urandom(32)
    oaep = choice.rsa_key_transport.startswith("RSA-OAEP")
    infos, all_ktri = _recipient_infos(recipients, cek, oaep)
    if choice.authenticated:
        nonce = os.urandom(12)
        sealed = AESGCM(cek).encrypt(nonce, content, None)
        ciphertext, tag = sealed[:-GCM_TAG_LEN], sealed[-GCM_TAG_LEN:]
        alg = der_.seq(_AES256_GCM, der_.seq(der_.octets(nonce), der_.small_int(GCM_TAG_LEN)))
        body = der_.seq(
            der_.small_int(0),
            der_.set_of(infos),
            der_.seq(_ID_DATA, alg, der_.context(0, ciphertext, constructed=False)),
            der_.octets(tag),
        )
        return Encrypted(der_.seq(_ID_AUTH_ENVELOPED, der_.context(0, body)), choice)
    iv = os.urandom(16)
    padder = PKCS7(128).padder()
    padded = padder.update(content) + padder.finalize()
    encryptor = Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    alg = der_.seq(_AES256_CBC, der_.octets(iv))
    body = der_.seq(
        der_.small_int(0 if all_ktri else 2),
        der_.set_of(infos),
        der_.seq(_ID_DATA, alg, der_.context(0, ciphertext, constructed=False)),
    )
    return Encrypted(der_.seq(_ID_ENVELOPED, der_.context(0, body)), choice)
