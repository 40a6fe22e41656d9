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

from asn1crypto import algos, cms, core, keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.hazmat.primitives.padding import PKCS7

from smimetui.core.errors import RecipientCertificateError
from smimetui.core.smime.sign import OUR_CAPABILITIES

ECDH_SHA256_KDF = "1.3.132.1.11.1"  # dhSinglePass-stdDH-sha256kdf-scheme (RFC 5753)
GCM_TAG_LEN = 16
_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


class Preference(Enum):
    """What the user asked for: automatic choice, or forcing one family."""

    AUTO = "auto"
    GCM = "gcm"
    CBC = "cbc"


class GCMParameters(core.Sequence):
    """RFC 5084 GCMParameters (asn1crypto does not define it)."""

    _fields = [
        ("aes_nonce", core.OctetString),
        ("aes_icvlen", core.Integer, {"default": 12}),
    ]


class EccCmsSharedInfo(core.Sequence):
    """RFC 5753 ECC-CMS-SharedInfo: the X9.63 KDF input that binds the wrap algorithm."""

    _fields = [
        ("key_info", algos.EncryptionAlgorithm),
        ("entity_u_info", core.OctetString, {"explicit": 0, "optional": True}),
        ("supp_pub_info", core.OctetString, {"explicit": 2}),
    ]


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


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _issuer_serial(cert: asn1_x509.Certificate) -> cms.IssuerAndSerialNumber:
    return cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number})


def _oaep_algorithm() -> cms.KeyEncryptionAlgorithm:
    sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
    params = algos.RSAESOAEPParams(
        {
            "hash_algorithm": sha256,
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": sha256},
        }
    )
    return cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_oaep", "parameters": params})


def _ktri(recipient: Recipient, cek: bytes, oaep: bool) -> cms.RecipientInfo:
    key = recipient.cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    if oaep:
        sha256 = hashes.SHA256()
        wrapped = key.encrypt(cek, padding.OAEP(padding.MGF1(sha256), sha256, None))
        alg = _oaep_algorithm()
    else:
        wrapped = key.encrypt(cek, padding.PKCS1v15())
        alg = cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_pkcs1v15"})
    ktri = cms.KeyTransRecipientInfo(
        {
            "version": "v0",
            "rid": cms.RecipientIdentifier(
                name="issuer_and_serial_number",
                value=_issuer_serial(_asn1_cert(recipient.cert)),
            ),
            "key_encryption_algorithm": alg,
            "encrypted_key": wrapped,
        }
    )
    return cms.RecipientInfo(name="ktri", value=ktri)


def ecdh_kek(shared_secret: bytes, ukm: bytes | None = None) -> bytes:
    """RFC 5753 KEK for AES-256 key wrap: X9.63 KDF (SHA-256) over ECC-CMS-SharedInfo."""
    info: dict[str, object] = {
        "key_info": algos.EncryptionAlgorithm({"algorithm": "aes256_wrap"}),
        "supp_pub_info": (256).to_bytes(4, "big"),
    }
    if ukm is not None:
        info["entity_u_info"] = ukm
    shared_info = EccCmsSharedInfo(info).dump()
    return X963KDF(algorithm=hashes.SHA256(), length=32, sharedinfo=shared_info).derive(
        shared_secret
    )


def _kari(recipient: Recipient, cek: bytes) -> cms.RecipientInfo:
    peer = recipient.cert.public_key()
    assert isinstance(peer, ec.EllipticCurvePublicKey)
    ephemeral = ec.generate_private_key(peer.curve)
    kek = ecdh_kek(ephemeral.exchange(ec.ECDH(), peer))
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    originator = keys.PublicKeyInfo({"algorithm": {"algorithm": "ec"}, "public_key": point})
    key_alg = cms.KeyEncryptionAlgorithm(
        {
            "algorithm": ECDH_SHA256_KDF,
            "parameters": cms.KeyEncryptionAlgorithm({"algorithm": "aes256_wrap"}),
        }
    )
    kari = cms.KeyAgreeRecipientInfo(
        {
            "version": "v3",
            "originator": cms.OriginatorIdentifierOrKey(name="originator_key", value=originator),
            "key_encryption_algorithm": key_alg,
            "recipient_encrypted_keys": [
                {
                    "rid": cms.KeyAgreementRecipientIdentifier(
                        name="issuer_and_serial_number",
                        value=_issuer_serial(_asn1_cert(recipient.cert)),
                    ),
                    "encrypted_key": aes_key_wrap(kek, cek),
                }
            ],
        }
    )
    return cms.RecipientInfo(name="kari", value=kari)


def _recipient_infos(
    recipients: Sequence[Recipient], cek: bytes, oaep: bool
) -> list[cms.RecipientInfo]:
    infos = []
    seen: set[bytes] = set()
    for recipient in recipients:
        fingerprint = recipient.cert.fingerprint(hashes.SHA256())
        if fingerprint in seen:  # yourself also in To: one RecipientInfo is enough
            continue
        seen.add(fingerprint)
        if recipient.is_rsa:
            infos.append(_ktri(recipient, cek, oaep))
        else:
            _method(recipient, oaep)  # raises for keys that cannot receive
            infos.append(_kari(recipient, cek))
    return infos


def _cbc(content: bytes, cek: bytes) -> tuple[algos.EncryptionAlgorithm, bytes]:
    iv = os.urandom(16)
    padder = PKCS7(128).padder()
    padded = padder.update(content) + padder.finalize()
    encryptor = Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    return algos.EncryptionAlgorithm({"algorithm": "aes256_cbc", "parameters": iv}), ciphertext


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
    infos = _recipient_infos(recipients, cek, oaep)
    if choice.authenticated:
        nonce = os.urandom(12)
        sealed = AESGCM(cek).encrypt(nonce, content, None)
        ciphertext, tag = sealed[:-GCM_TAG_LEN], sealed[-GCM_TAG_LEN:]
        alg = algos.EncryptionAlgorithm(
            {
                "algorithm": "aes256_gcm",
                "parameters": GCMParameters({"aes_nonce": nonce, "aes_icvlen": GCM_TAG_LEN}),
            }
        )
        body = cms.AuthEnvelopedData(
            {
                "version": "v0",
                "recipient_infos": infos,
                "auth_encrypted_content_info": {
                    "content_type": "data",
                    "content_encryption_algorithm": alg,
                    "encrypted_content": ciphertext,
                },
                "mac": tag,
            }
        )
        info = cms.ContentInfo({"content_type": "authenticated_enveloped_data", "content": body})
    else:
        alg, ciphertext = _cbc(content, cek)
        all_ktri_v0 = all(ri.name == "ktri" for ri in infos)
        enveloped = cms.EnvelopedData(
            {
                "version": "v0" if all_ktri_v0 else "v2",
                "recipient_infos": infos,
                "encrypted_content_info": {
                    "content_type": "data",
                    "content_encryption_algorithm": alg,
                    "encrypted_content": ciphertext,
                },
            }
        )
        info = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped})
    return Encrypted(info.dump(), choice)
