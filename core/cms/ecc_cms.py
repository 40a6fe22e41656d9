"""ECDH ephemeral-static key agreement for CMS (RFC 5753): X9.63 KDF over ECC-CMS-SharedInfo.

The sender puts an ephemeral public key in the KeyAgreeRecipientInfo; both sides compute the
shared secret Z with ECDH, derive a key-encryption key with the ANSI X9.63 KDF, and the content
key is AES-key-wrapped (RFC 3394) under it.  Key unwrap has its own integrity check, so a wrong
key or KDF input fails cleanly instead of producing a wrong content key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap,
    aes_key_unwrap_with_padding,
)

from smimetui.core.cms.content_cipher import DECRYPT_FAILED
from smimetui.core.errors import CmsError, DecryptionError

# Key-agreement scheme OIDs -> KDF hash.  For the NIST prime curves the cofactor is 1, so the
# cofactor-DH schemes compute the same Z as standard DH.
KDF_SCHEMES: dict[str, type[hashes.HashAlgorithm]] = {
    "1.3.133.16.840.63.0.2": hashes.SHA1,  # dhSinglePass-stdDH-sha1kdf-scheme
    "1.3.132.1.11.0": hashes.SHA224,
    "1.3.132.1.11.1": hashes.SHA256,
    "1.3.132.1.11.2": hashes.SHA384,
    "1.3.132.1.11.3": hashes.SHA512,
    "1.3.133.16.840.63.0.3": hashes.SHA1,  # dhSinglePass-cofactorDH-sha1kdf-scheme
    "1.3.132.1.14.0": hashes.SHA224,
    "1.3.132.1.14.1": hashes.SHA256,
    "1.3.132.1.14.2": hashes.SHA384,
    "1.3.132.1.14.3": hashes.SHA512,
}

# AES key-wrap OIDs -> (key-encryption key size in bytes, with padding (RFC 5649)).
KEY_WRAPS: dict[str, tuple[int, bool]] = {
    "2.16.840.1.101.3.4.1.5": (16, False),
    "2.16.840.1.101.3.4.1.25": (24, False),
    "2.16.840.1.101.3.4.1.45": (32, False),
    "2.16.840.1.101.3.4.1.8": (16, True),
    "2.16.840.1.101.3.4.1.28": (24, True),
    "2.16.840.1.101.3.4.1.48": (32, True),
}

# Uncompressed point length -> curve name, to name the curve of a recipient before any key is
# at hand (the ephemeral key usually carries no curve parameters).
POINT_SIZES = {65: "P-256", 97: "P-384", 133: "P-521"}
CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element (tag below 31)."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def shared_info(key_info_der: bytes, ukm: bytes | None, kek_bits: int) -> bytes:
    """DER of ECC-CMS-SharedInfo: keyInfo, [0] entityUInfo (the UKM), [2] suppPubInfo."""
    body = key_info_der
    if ukm is not None:
        body += _tlv(0xA0, _tlv(0x04, ukm))
    body += _tlv(0xA2, _tlv(0x04, kek_bits.to_bytes(4, "big")))
    return _tlv(0x30, body)


@dataclass(frozen=True, slots=True)
class KeyAgreement:
    """What one KeyAgreeRecipientInfo says about deriving the key-encryption key."""

    scheme_oid: str
    wrap_oid: str
    wrap_der: bytes  # the key-wrap AlgorithmIdentifier as the message encoded it
    ephemeral_point: bytes
    ukm: bytes | None

    @property
    def unsupported(self) -> str:
        """Why this recipient cannot be opened here, or "" when it can."""
        if self.scheme_oid not in KDF_SCHEMES:
            return (
                f"This message uses the key-agreement scheme {self.scheme_oid}, "
                "which smimetui does not support."
            )
        if self.wrap_oid not in KEY_WRAPS:
            return (
                f"This message wraps its key with {self.wrap_oid} (not AES key wrap), "
                "which smimetui does not support."
            )
        return ""

    @property
    def curve_name(self) -> str:
        return POINT_SIZES.get(len(self.ephemeral_point), "EC")

    def _key_infos(self) -> Iterator[bytes]:
        # RFC 5753 says the keyInfo in SharedInfo is the wrap algorithm identifier.  Senders
        # differ on whether its absent parameters become NULL, so try the message's own
        # encoding first and the parameterless one second; unwrap tells which was used.
        yield self.wrap_der
        oid_only = _tlv(0x30, _oid_der(self.wrap_oid))
        if oid_only != self.wrap_der:
            yield oid_only

    def unwrap(self, key: ec.EllipticCurvePrivateKey, encrypted_key: bytes) -> bytes:
        """The content-encryption key; DecryptionError when this key does not fit."""
        if self.unsupported:
            raise CmsError(self.unsupported)
        try:
            peer = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, self.ephemeral_point)
            z = key.exchange(ec.ECDH(), peer)
        except ValueError as err:
            raise DecryptionError(
                "The sender's ephemeral key in this message is not a valid point on the "
                f"curve of your {CURVE_NAMES.get(key.curve.name, key.curve.name)} key."
            ) from err
        kek_size, padded = KEY_WRAPS[self.wrap_oid]
        hash_cls = KDF_SCHEMES[self.scheme_oid]
        for key_info in self._key_infos():
            kek = X963KDF(
                algorithm=hash_cls(),
                length=kek_size,
                sharedinfo=shared_info(key_info, self.ukm, kek_size * 8),
            ).derive(z)
            try:
                if padded:
                    return aes_key_unwrap_with_padding(kek, encrypted_key)
                return aes_key_unwrap(kek, encrypted_key)
            except (InvalidUnwrap, ValueError):
                continue
        raise DecryptionError(DECRYPT_FAILED)


def _oid_der(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray()
    for value in [parts[0] * 40 + parts[1], *parts[2:]]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))
