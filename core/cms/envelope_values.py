"""What EnvelopedData and AuthEnvelopedData are read into, and the decoders both readers share.

:mod:`envelope` (the full parser, through asn1crypto's object tree) and :mod:`envelope_fast`
(the common case, straight from the bytes) build the same :class:`ParsedEnvelope`; its parts
live here so that the full parser can call the fast one without the fast one importing it back.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from smimetui.core.cms.content_cipher import DECRYPT_FAILED
from smimetui.core.cms.ecc_cms import KeyAgreement
from smimetui.core.cms.keytypes import PrivateKey
from smimetui.core.errors import CmsError, DecryptionError
from smimetui.core.sanitize import clean_line

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _short_hex(value: str, keep: int = 16) -> str:
    return value if len(value) <= keep else value[:keep] + "…"


@dataclass(frozen=True, slots=True)
class RecipientId:
    """Whom one RecipientInfo is for: a certificate by issuer and serial, or by key identifier."""

    kind: str  # "issuer_serial" | "ski"
    issuer: str  # human-friendly issuer name ("" for ski), sanitised
    serial: str  # hex upper ("" for ski)
    ski: str  # hex ("" for issuer_serial)
    key_management: str  # "RSA-OAEP" | "RSA PKCS#1 v1.5" | "ECDH P-256" | ...
    issuer_der: bytes = field(default=b"", repr=False, compare=False)

    def describe(self) -> str:
        if self.kind == "ski":
            return f"the certificate with key identifier {_short_hex(self.ski.upper())}"
        issuer = self.issuer
        for part in issuer.split(", "):
            if part.startswith("Common Name: "):
                issuer = part.removeprefix("Common Name: ")
                break
        return f"certificate {_short_hex(self.serial)} from {issuer or 'an unnamed issuer'}"

    def _key_fits(self, cert: x509.Certificate) -> bool:
        public = cert.public_key()
        if self.key_management.startswith("RSA"):
            return isinstance(public, rsa.RSAPublicKey)
        if self.key_management.startswith("ECDH"):
            return isinstance(public, ec.EllipticCurvePublicKey)
        return False

    def matches(self, cert: x509.Certificate) -> bool:
        try:
            if not self._key_fits(cert):
                return False
            if self.kind == "ski":
                return _cert_ski(cert) == self.ski
            if self.serial != format(cert.serial_number, "X"):
                return False
            issuer_der = cert.issuer.public_bytes()
            if issuer_der == self.issuer_der:
                return True
            # Same name, different encoding (string types, case): compare as RFC 5280 does.
            ours = asn1_x509.Name.load(issuer_der)
            return bool(ours == asn1_x509.Name.load(self.issuer_der))
        except Exception:  # a certificate we cannot read does not match
            return False


def _cert_ski(cert: x509.Certificate) -> str:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        return ext.value.digest.hex()
    except x509.ExtensionNotFound:
        return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest.hex()


@dataclass(frozen=True, slots=True)
class EnvelopeInfo:
    kind: str  # "enveloped" | "auth-enveloped"
    algorithm: str  # "AES-256-GCM", "AES-128-CBC", "3DES-CBC", ...
    authenticated: bool  # True only for AuthEnvelopedData with GCM
    recipients: tuple[RecipientId, ...]


# -- parsing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecipientEntry:
    rid: RecipientId
    encrypted_key: bytes
    oaep: padding.OAEP | None = None  # key transport with OAEP; None means PKCS#1 v1.5
    agreement: KeyAgreement | None = None  # key agreement (ECDH)
    unsupported: str = ""  # why this recipient cannot be opened here (a sentence)

    def content_key(self, key: PrivateKey) -> bytes:
        if self.unsupported:
            raise CmsError(self.unsupported)
        if self.agreement is not None:
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise DecryptionError(DECRYPT_FAILED)
            return bytes(self.agreement.unwrap(key, self.encrypted_key))
        if not isinstance(key, rsa.RSAPrivateKey):
            raise DecryptionError(DECRYPT_FAILED)
        pad = self.oaep if self.oaep is not None else padding.PKCS1v15()
        try:
            return key.decrypt(self.encrypted_key, pad)
        except ValueError as err:
            raise DecryptionError(DECRYPT_FAILED) from err


@dataclass(frozen=True, slots=True)
class GcmParams:
    """RFC 5084 GCMParameters as values."""

    nonce: bytes
    icv_len: int


@dataclass(frozen=True, slots=True)
class ParsedEnvelope:
    info: EnvelopeInfo
    recipients: tuple[RecipientEntry, ...]
    cipher_name: str
    params: Any  # IV bytes (CBC), GcmParams, or None (unknown cipher)
    ciphertext: bytes
    mac: bytes = b""
    aad: bytes = b""


@functools.lru_cache(maxsize=256)
def _issuer_text(issuer_der: bytes) -> str:
    """The sanitised, human-friendly issuer name; cached because the same CAs recur."""
    try:
        text: str = clean_line(asn1_x509.Name.load(issuer_der).human_friendly)
        return text
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        return "(unreadable name)"


def issuer_serial_rid(issuer_der: bytes, serial: int, key_management: str) -> RecipientId:
    return RecipientId(
        kind="issuer_serial",
        issuer=_issuer_text(issuer_der),
        serial=format(serial, "X"),
        ski="",
        key_management=key_management,
        issuer_der=issuer_der,
    )


def ski_recipient_id(ski: bytes, key_management: str) -> RecipientId:
    return RecipientId("ski", "", "", ski.hex(), key_management)


def oaep_padding(params: Any) -> tuple[padding.OAEP, str]:
    hash_name = params["hash_algorithm"]["algorithm"].native
    mgf = params["mask_gen_algorithm"]
    if mgf["algorithm"].native != "mgf1":
        raise CmsError("This message uses an RSA-OAEP mask function that smimetui does not know.")
    mgf_hash = mgf["parameters"]["algorithm"].native
    label = params["p_source_algorithm"]["parameters"].native or None
    if hash_name not in _HASHES or mgf_hash not in _HASHES:
        raise CmsError(f"This message uses RSA-OAEP with {hash_name}, which is not supported.")
    pad = padding.OAEP(
        mgf=padding.MGF1(_HASHES[mgf_hash]()), algorithm=_HASHES[hash_name](), label=label
    )
    shown = "RSA-OAEP" if hash_name == "sha1" else f"RSA-OAEP ({hash_name.upper()})"
    return pad, shown.replace("SHA", "SHA-")
