"""Signature and digest algorithms of CMS signers: names in words, hashing, verification.

asn1crypto names the algorithms, pyca/cryptography does the mathematics.  Public keys are loaded
once per SubjectPublicKeyInfo (an LRU cache keyed by its DER) because the same few signers recur
in every mailbox.  Everything unknown raises :class:`UnsupportedAlgorithm` with a sentence.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from asn1crypto import algos, keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

__all__ = [
    "DigestSpec",
    "InvalidSignature",
    "UnsupportedAlgorithm",
    "digest_spec",
    "public_key",
    "verify_signature",
]


class UnsupportedAlgorithm(Exception):
    """An algorithm we do not (or will not) verify; ``str()`` is a sentence."""


@dataclass(frozen=True, slots=True)
class DigestSpec:
    asn1_name: str  # asn1crypto's name, e.g. "sha256"
    display: str  # e.g. "SHA-256"
    weak: bool  # collisions are practical: never shown as good without a problem

    def hash(self, data: bytes) -> bytes:
        return hashlib.new(self.asn1_name, data).digest()

    def crypto_hash(self) -> hashes.HashAlgorithm:
        return _CRYPTO_HASHES[self.asn1_name]()


_DIGESTS: dict[str, DigestSpec] = {
    "sha256": DigestSpec("sha256", "SHA-256", False),
    "sha384": DigestSpec("sha384", "SHA-384", False),
    "sha512": DigestSpec("sha512", "SHA-512", False),
    "sha224": DigestSpec("sha224", "SHA-224", False),
    "sha1": DigestSpec("sha1", "SHA-1", True),
    "md5": DigestSpec("md5", "MD5", True),
}

_CRYPTO_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha224": hashes.SHA224,
    "sha1": hashes.SHA1,
    "md5": hashes.MD5,
}

_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

# Signature algorithm identifiers that carry their own hash; it must agree with the digest.
_RSA_WITH_HASH = {f"{h}_rsa": h for h in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")}
_ECDSA_WITH_HASH = {f"{h}_ecdsa": h for h in ("sha1", "sha224", "sha256", "sha384", "sha512")}


def _oid_or_name(algorithm: algos.DigestAlgorithm | algos.SignedDigestAlgorithm) -> str:
    try:
        return str(algorithm["algorithm"].native)
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        return "(unreadable)"


def digest_spec(algorithm: algos.DigestAlgorithm) -> DigestSpec:
    """The digest named by a signerInfo's digestAlgorithm."""
    name = _oid_or_name(algorithm)
    spec = _DIGESTS.get(name)
    if spec is None:
        raise UnsupportedAlgorithm(f"The signature uses the unsupported digest algorithm {name}.")
    return spec


def digest_by_name(name: str) -> DigestSpec | None:
    return _DIGESTS.get(name)


@functools.lru_cache(maxsize=512)
def _load_spki(spki_der: bytes) -> PublicKeyTypes:
    return serialization.load_der_public_key(spki_der)


def public_key(spki: keys.PublicKeyInfo) -> PublicKeyTypes:
    """The cryptography public key of a SubjectPublicKeyInfo, cached by its DER."""
    try:
        return _load_spki(spki.dump())
    except Exception as exc:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        raise UnsupportedAlgorithm(
            "The signer's certificate holds a public key of a type that cannot be used "
            f"({type(exc).__name__})."
        ) from exc


def _pss_padding(params: algos.RSASSAPSSParams) -> tuple[padding.PSS, hashes.HashAlgorithm, str]:
    hash_name = str(params["hash_algorithm"]["algorithm"].native)
    mgf = params["mask_gen_algorithm"]
    if mgf["algorithm"].native != "mgf1":
        raise UnsupportedAlgorithm("The RSA-PSS signature uses an unsupported mask function.")
    mgf_hash = str(mgf["parameters"]["algorithm"].native)
    if hash_name not in _CRYPTO_HASHES or mgf_hash not in _CRYPTO_HASHES:
        raise UnsupportedAlgorithm(
            f"The RSA-PSS signature uses the unsupported digest {hash_name}/{mgf_hash}."
        )
    if params["trailer_field"].native not in ("trailer_field_bc", 1):
        raise UnsupportedAlgorithm("The RSA-PSS signature uses an unsupported trailer field.")
    salt = int(params["salt_length"].native)
    pad = padding.PSS(mgf=padding.MGF1(_CRYPTO_HASHES[mgf_hash]()), salt_length=salt)
    return pad, _CRYPTO_HASHES[hash_name](), hash_name


def verify_signature(
    key: PublicKeyTypes,
    algorithm: algos.SignedDigestAlgorithm,
    digest: DigestSpec,
    signature: bytes,
    data: bytes,
) -> str:
    """Verify ``signature`` over ``data``; return the algorithm in words.

    Raises :class:`InvalidSignature` when the mathematics fail and :class:`UnsupportedAlgorithm`
    for anything we do not verify (including a signature algorithm whose built-in hash contradicts
    the signerInfo's digestAlgorithm).
    """
    name = _oid_or_name(algorithm)
    if isinstance(key, rsa.RSAPublicKey):
        if name == "rsassa_pss":
            pad, hash_alg, hash_name = _pss_padding(algorithm["parameters"])
            if hash_name != digest.asn1_name:
                raise UnsupportedAlgorithm(
                    f"The RSA-PSS parameters name {hash_name}, but the signer's digest "
                    f"algorithm is {digest.display}."
                )
            key.verify(signature, data, pad, hash_alg)
            return "RSA-PSS"
        if name == "rsassa_pkcs1v15" or _RSA_WITH_HASH.get(name) == digest.asn1_name:
            key.verify(signature, data, padding.PKCS1v15(), digest.crypto_hash())
            return "RSA PKCS#1 v1.5"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        curve = _CURVE_NAMES.get(key.curve.name)
        if curve and (name == "ecdsa" or _ECDSA_WITH_HASH.get(name) == digest.asn1_name):
            key.verify(signature, data, ec.ECDSA(digest.crypto_hash()))
            return f"ECDSA {curve}"
        if curve is None:
            raise UnsupportedAlgorithm(
                f"The signature uses the unsupported elliptic curve {key.curve.name}."
            )
    elif isinstance(key, ed25519.Ed25519PublicKey) and name == "ed25519":
        # RFC 8419: pure Ed25519 over the signed attributes (or the content), no prehash.
        key.verify(signature, data)
        return "Ed25519"
    raise UnsupportedAlgorithm(
        f"The signature uses the unsupported algorithm {name} "
        f"with a {_key_kind(key)} key and the {digest.display} digest."
    )


def _key_kind(key: PublicKeyTypes) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    return type(key).__name__.removeprefix("_").replace("PublicKey", "")


def signature_algorithm_name(algorithm: algos.SignedDigestAlgorithm, key: object) -> str:
    """Best-effort words for an algorithm that could not be verified (for the report)."""
    name = _oid_or_name(algorithm)
    if name == "rsassa_pss":
        return "RSA-PSS"
    if name == "rsassa_pkcs1v15" or name in _RSA_WITH_HASH:
        return "RSA PKCS#1 v1.5"
    if name == "ecdsa" or name in _ECDSA_WITH_HASH:
        if isinstance(key, ec.EllipticCurvePublicKey):
            return f"ECDSA {_CURVE_NAMES.get(key.curve.name, key.curve.name)}"
        return "ECDSA"
    if name == "ed25519":
        return "Ed25519"
    return name


_CAPABILITY_NAMES = {"tripledes_3key": "des-ede3-cbc", "rsaes_oaep": "rsaes-oaep"}


def capability_name(asn1_name: str) -> str:
    """SMIMECapabilities identifiers in our vocabulary: "aes256-gcm", "des-ede3-cbc", ..."""
    if asn1_name in _CAPABILITY_NAMES:
        return _CAPABILITY_NAMES[asn1_name]
    return asn1_name.replace("_", "-")
