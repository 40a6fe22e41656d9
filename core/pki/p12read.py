"""Why a PKCS#12 file did not open: the passphrase, or something inside that cannot be read.

cryptography says "invalid password or data" for a wrong passphrase, and raises a parse error
for a certificate it cannot read (a DSA certificate whose parameters are inherited from its
issuer, RFC 3279 §2.3.2, for one) even with the right passphrase.  The file's own integrity
check tells the two apart: the MAC (RFC 7292 §4 and appendix B) is keyed by the passphrase, so
when it verifies, the passphrase is right and the fault lies in the contents.  The bags are then
decrypted here (PBES2 as OpenSSL 3 and current Windows write it, or the PKCS#12 SHA-1/3DES
scheme of older exports) to name the certificate or key that cannot be read.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7

from smimetui.core.sanitize import clean_line

# A file's own iteration counts are used only up to here (exporters use 2,000 to 600,000): a
# crafted file must not keep the diagnosis busy for minutes.
MAX_ITERATIONS = 1_000_000
_MAC_HASHES = {"sha1": "sha1", "sha224": "sha224", "sha256": "sha256", "sha384": "sha384"}
_MAC_HASHES |= {"sha512": "sha512"}
_KEY_NAMES = {"rsa": "RSA", "rsassa_pss": "RSA-PSS", "dsa": "DSA", "ec": "EC", "ed25519": "Ed25519"}
_KEY_NAMES |= {"ed448": "Ed448", "x25519": "X25519", "x448": "X448"}


def _bmp(passphrase: bytes | None) -> bytes:
    """RFC 7292 B.1: the passphrase as a BMPString with a NUL terminator; none is empty."""
    if passphrase is None:
        return b""
    return passphrase.decode("utf-8", "replace").encode("utf-16-be") + b"\0\0"


def pkcs12_kdf(
    hash_name: str, passphrase: bytes | None, salt: bytes, iterations: int, purpose: int, size: int
) -> bytes:
    """RFC 7292 appendix B.2 (purpose 1: key, 2: IV, 3: MAC key)."""
    u = hashlib.new(hash_name).digest_size
    v = hashlib.new(hash_name).block_size
    password = _bmp(passphrase)

    def fill(data: bytes) -> bytes:  # repeated to a whole number of v-byte blocks
        if not data:
            return b""
        length = v * -(-len(data) // v)
        return (data * (length // len(data) + 1))[:length]

    i_block = bytearray(fill(salt) + fill(password))
    out = b""
    while len(out) < size:
        a = bytes([purpose]) * v + bytes(i_block)
        for _ in range(iterations):
            a = hashlib.new(hash_name, a).digest()
        out += a
        b = int.from_bytes((a * (v // u + 1))[:v], "big")
        for start in range(0, len(i_block), v):
            value = (int.from_bytes(i_block[start : start + v], "big") + b + 1) % (1 << (v * 8))
            i_block[start : start + v] = value.to_bytes(v, "big")
    return out[:size]


def mac_verifies(pfx: asn1_pkcs12.Pfx, passphrase: bytes | None) -> bool | None:
    """Whether ``passphrase`` is the one the file's MAC was made with; None when there is no
    MAC or it is of a kind not handled here (PBMAC1)."""
    mac_data = pfx["mac_data"]
    if not mac_data or mac_data.native is None:
        return None
    name = _MAC_HASHES.get(str(mac_data["mac"]["digest_algorithm"]["algorithm"].native))
    if name is None:
        return None
    salt = mac_data["mac_salt"].native
    iterations = mac_data["iterations"].native or 1
    if iterations > MAX_ITERATIONS:
        return None
    size = hashlib.new(name).digest_size
    key = pkcs12_kdf(name, passphrase, salt, iterations, 3, size)
    content = pfx["auth_safe"]["content"].native
    expected = mac_data["mac"]["digest"].native
    return hmac.compare_digest(hmac.new(key, content, name).digest(), expected)


def _decrypt(alg: asn1_keys.EncryptionAlgorithm, data: bytes, passphrase: bytes | None) -> bytes:
    """PBES2 (PBKDF2 + AES-CBC) and PKCS#12 PBE with SHA-1 and 3DES; ValueError otherwise."""
    if alg.kdf_iterations > MAX_ITERATIONS:
        raise ValueError("too many iterations")
    if alg.kdf == "pbkdf2" and alg.encryption_cipher == "aes" and passphrase is not None:
        key = hashlib.pbkdf2_hmac(
            alg.kdf_hmac, passphrase, alg.kdf_salt, alg.kdf_iterations, alg.key_length
        )
        cipher = Cipher(algorithms.AES(key), modes.CBC(alg.encryption_iv))
    elif alg.kdf == "pkcs12_kdf" and alg.encryption_cipher == "tripledes":  # 3-key 3DES
        salt, rounds = alg.kdf_salt, alg.kdf_iterations
        key = pkcs12_kdf("sha1", passphrase, salt, rounds, 1, 24)
        iv = pkcs12_kdf("sha1", passphrase, salt, rounds, 2, 8)
        cipher = Cipher(TripleDES(key), modes.CBC(iv))
    else:
        raise ValueError("unsupported encryption")
    decryptor = cipher.decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = PKCS7(alg.encryption_block_size * 8).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def _bags(pfx: asn1_pkcs12.Pfx, passphrase: bytes | None) -> Iterator[asn1_pkcs12.SafeBag]:
    for info in pfx.authenticated_safe:
        kind = info["content_type"].native
        if kind == "data":
            raw = info["content"].native
        elif kind == "encrypted_data":
            enc = info["content"]["encrypted_content_info"]
            alg = enc["content_encryption_algorithm"]
            raw = _decrypt(alg, enc["encrypted_content"].native, passphrase)
        else:
            continue
        yield from asn1_pkcs12.SafeContents.load(raw)


def _key_name(algorithm: str) -> str:
    return _KEY_NAMES.get(algorithm, algorithm)


def _certificate_fault(der: bytes) -> str | None:
    try:
        x509.load_der_x509_certificate(der).public_key()
        return None
    except Exception:  # cryptography's parse errors are of several kinds
        pass
    try:
        cert = asn1_x509.Certificate.load(der)
        kind = _key_name(str(cert.public_key["algorithm"]["algorithm"].native))
        subject = clean_line(cert.subject.human_friendly, max_length=120)
        return f"the {kind} certificate {subject}"
    except Exception:  # a damaged file: asn1crypto raises many kinds
        return "a certificate that is not valid DER"


def _key_fault(bag: asn1_pkcs12.SafeBag, passphrase: bytes | None) -> str | None:
    value = bag["bag_value"].untag()
    try:
        if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
            serialization.load_der_private_key(value.dump(), passphrase)
        else:
            serialization.load_der_private_key(value.dump(), None)
        return None
    except Exception:  # any failure here only means: name the key below
        pass
    try:
        if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
            alg = value["encryption_algorithm"]
            info = asn1_keys.PrivateKeyInfo.load(
                _decrypt(alg, value["encrypted_data"].native, passphrase)
            )
        else:
            info = value
        return f"the {_key_name(str(info['private_key_algorithm']['algorithm'].native))} key"
    except Exception:  # naming the key is a courtesy: damage must not hide the error
        return "the private key"


def unreadable_part(pfx: asn1_pkcs12.Pfx, passphrase: bytes | None) -> str | None:
    """Words for the first certificate or key in the file that cryptography cannot read."""
    try:
        for bag in _bags(pfx, passphrase):
            kind = bag["bag_id"].native
            if kind == "cert_bag" and bag["bag_value"]["cert_id"].native == "x509":
                fault = _certificate_fault(bag["bag_value"]["cert_value"].contents)
            elif kind in ("key_bag", "pkcs8_shrouded_key_bag"):
                fault = _key_fault(bag, passphrase)
            else:
                continue
            if fault:
                return fault
    except Exception:  # a diagnosis of a damaged file must never raise itself
        return None
    return None
