"""Content-encryption algorithms of CMS: AES-CBC, AES-GCM (RFC 5084) and legacy 3DES-CBC.

Every failure that depends on the key or the ciphertext (padding, length, tag) raises the same
:class:`DecryptionError` text, so that a caller cannot tell a padding failure from any other and
nothing can serve as a padding oracle.  GCM plaintext is only returned after the tag verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from smimetui.core.errors import CmsError, DecryptionError

DECRYPT_FAILED = (
    "The message could not be decrypted: it was damaged or altered on the way, "
    "or it was not encrypted for this key."
)
WEAK_3DES = (
    "This message was encrypted with the weak 3DES cipher; ask the sender to use AES "
    "(their software may be outdated)."
)


@dataclass(frozen=True, slots=True)
class ContentCipher:
    """One content-encryption algorithm as CMS names it."""

    oid_name: str  # asn1crypto's name, e.g. "aes256_gcm"
    display: str  # e.g. "AES-256-GCM"
    key_size: int  # bytes
    mode: str  # "cbc" | "gcm"
    weak: bool = False


CIPHERS: dict[str, ContentCipher] = {
    c.oid_name: c
    for c in (
        ContentCipher("aes128_cbc", "AES-128-CBC", 16, "cbc"),
        ContentCipher("aes192_cbc", "AES-192-CBC", 24, "cbc"),
        ContentCipher("aes256_cbc", "AES-256-CBC", 32, "cbc"),
        ContentCipher("aes128_gcm", "AES-128-GCM", 16, "gcm"),
        ContentCipher("aes192_gcm", "AES-192-GCM", 24, "gcm"),
        ContentCipher("aes256_gcm", "AES-256-GCM", 32, "gcm"),
        ContentCipher("tripledes_3key", "3DES-CBC", 24, "cbc", weak=True),
    )
}

# Names for algorithms we recognise but refuse to use, so the user learns what the sender used.
LEGACY_NAMES = {"rc2": "RC2-CBC", "des": "DES-CBC", "rc4": "RC4", "rc5": "RC5-CBC"}


def cipher_display(oid_name: str) -> str:
    if oid_name in CIPHERS:
        return CIPHERS[oid_name].display
    return LEGACY_NAMES.get(oid_name, oid_name.upper().replace("_", "-"))


def _unpad_cbc(padded: bytes, block: int) -> bytes:
    """Remove PKCS#7 padding; every malformed case raises the one generic error."""
    if not padded or len(padded) % block:
        raise DecryptionError(DECRYPT_FAILED)
    pad = padded[-1]
    # Check all padding bytes without an early exit, so that timing says little.
    bad = int(pad == 0 or pad > block)
    for byte in padded[-block:][block - min(pad, block) :]:
        bad |= byte ^ pad
    if bad:
        raise DecryptionError(DECRYPT_FAILED)
    return padded[:-pad]


def decrypt_cbc(cipher: ContentCipher, key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    algorithm: algorithms.AES | TripleDES
    if cipher.weak:
        algorithm, block = TripleDES(key), 8
    else:
        algorithm, block = algorithms.AES(key), 16
    if len(iv) != block:
        raise CmsError(f"The {cipher.display} parameters of this message are malformed.")
    if not ciphertext or len(ciphertext) % block:
        raise DecryptionError(DECRYPT_FAILED)
    decryptor = Cipher(algorithm, modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    return _unpad_cbc(padded, block)


def decrypt_gcm(key: bytes, nonce: bytes, ciphertext: bytes, tag: bytes, aad: bytes) -> bytes:
    """AES-GCM with the tag verified before any plaintext is returned."""
    if not 12 <= len(tag) <= 16:
        raise CmsError("The AES-GCM tag of this message has an invalid length.")
    if not 8 <= len(nonce) <= 128:
        raise CmsError("The AES-GCM nonce of this message has an invalid length.")
    try:
        if len(tag) == 16:
            return AESGCM(key).decrypt(nonce, ciphertext + tag, aad or None)
        # Shorter tags (RFC 5084 allows 12..16 bytes): the streaming API, whose output we
        # hold back until finalize() has verified the tag.
        decryptor = Cipher(
            algorithms.AES(key), modes.GCM(nonce, tag, min_tag_length=len(tag))
        ).decryptor()
        if aad:
            decryptor.authenticate_additional_data(aad)
        held = decryptor.update(ciphertext)
        decryptor.finalize()
        return held
    except (InvalidTag, ValueError) as err:
        raise DecryptionError(DECRYPT_FAILED) from err
