"""Private keys that stay on the token, behind cryptography's own key interfaces.

The CMS code signs with ``key.sign(data, padding, hash)``, opens key transport with
``key.decrypt(data, padding)`` and key agreement with ``key.exchange(ECDH(), peer)``; it never
asks what kind of key it holds beyond RSA or EC.  These classes implement exactly those calls
with C_Sign, C_Decrypt and C_DeriveKey, so keystore IDs and token IDs share one code path and
the key material is never read: ``private_bytes``/``private_numbers`` refuse.
"""

from __future__ import annotations

import hashlib
from typing import Any, NoReturn, Self

from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from pkcs11 import MGF, Attribute, KeyType, Mechanism
from pkcs11 import exceptions as p11e
from pkcs11.mechanisms import KDF

from smimetui.core.pki.tokens import errors
from smimetui.core.pki.tokens.session import KeyRef, with_key

_RSA_PKCS = {
    "sha1": Mechanism.SHA1_RSA_PKCS,
    "sha256": Mechanism.SHA256_RSA_PKCS,
    "sha384": Mechanism.SHA384_RSA_PKCS,
    "sha512": Mechanism.SHA512_RSA_PKCS,
}
_RSA_PSS = {
    "sha256": Mechanism.SHA256_RSA_PKCS_PSS,
    "sha384": Mechanism.SHA384_RSA_PKCS_PSS,
    "sha512": Mechanism.SHA512_RSA_PKCS_PSS,
}
_HASH = {
    "sha1": (Mechanism.SHA_1, MGF.SHA1),
    "sha224": (Mechanism.SHA224, MGF.SHA224),
    "sha256": (Mechanism.SHA256, MGF.SHA256),
    "sha384": (Mechanism.SHA384, MGF.SHA384),
    "sha512": (Mechanism.SHA512, MGF.SHA512),
}
# The module did not take the mechanism or its parameters: it cannot do this, as said.
_UNSUPPORTED = (
    p11e.MechanismInvalid,
    p11e.MechanismParamInvalid,
    p11e.ArgumentsBad,
    p11e.FunctionNotSupported,
    p11e.KeyTypeInconsistent,
)


def _refuse_export(name: str) -> NoReturn:
    raise errors.TokenError(f"The private key on token {name} never leaves the token.")


def _hash_name(algorithm: Any) -> str:
    name = str(getattr(algorithm, "name", ""))
    if name not in _HASH:
        raise errors.TokenError(
            f"Signing with the hash {name or algorithm!r} on a token is not supported."
        )
    return name


def _cannot(ref: KeyRef, what: str, err: BaseException) -> errors.TokenError:
    return errors.TokenError(
        f"Token {ref.module.name} cannot {what} (its module refused: {type(err).__name__}).",
        details=str(err),
    )


class _StaysOnToken:
    """What both token key classes refuse or share: the key never leaves the card, and a copy
    of a handle is the handle."""

    ref: KeyRef

    def private_bytes(
        self,
        encoding: ser.Encoding,
        format: ser.PrivateFormat,
        encryption_algorithm: ser.KeySerializationEncryption,
    ) -> bytes:
        _refuse_export(self.ref.module.name)

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Self:
        return self


class TokenRSAKey(_StaysOnToken, rsa.RSAPrivateKey):
    def __init__(self, ref: KeyRef, public: rsa.RSAPublicKey) -> None:
        self.ref = ref
        self._public = public

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def public_key(self) -> rsa.RSAPublicKey:
        return self._public

    def sign(
        self,
        data: bytes,
        padding: padding.AsymmetricPadding,
        algorithm: Any,  # Prehashed | HashAlgorithm (| NoDigestInfo in newer cryptography)
    ) -> bytes:
        name = _hash_name(algorithm)
        if isinstance(padding, _PSS):
            # cryptography keeps the PSS parameters private; they are plain values.
            salt = padding._salt_length
            if not isinstance(salt, int):
                salt = int(algorithm.digest_size)  # DIGEST_LENGTH / AUTO: the hash's size
            mgf_hash = _hash_name(padding.mgf._algorithm)
            mechanism, param = _RSA_PSS.get(name), (_HASH[name][0], _HASH[mgf_hash][1], salt)
            what = f"sign with RSA-PSS and {name.upper()}"
        elif isinstance(padding, _PKCS1):
            mechanism, param, what = _RSA_PKCS.get(name), None, f"sign with RSA and {name.upper()}"
        else:
            raise errors.TokenError(
                f"Token {self.ref.module.name} cannot sign with {padding.name}."
            )
        if mechanism is None:
            raise errors.TokenError(f"Token {self.ref.module.name} cannot {what}.")

        def run(key: Any) -> bytes:
            try:
                return bytes(key.sign(data, mechanism=mechanism, mechanism_param=param))
            except _UNSUPPORTED as err:
                raise _cannot(self.ref, what, err) from err

        return with_key(self.ref, "sign", run)

    def decrypt(self, ciphertext: bytes, padding: padding.AsymmetricPadding) -> bytes:
        if isinstance(padding, _OAEP):
            name = _hash_name(padding.algorithm)
            mgf_hash = _hash_name(padding.mgf._algorithm)
            param: Any = (_HASH[name][0], _HASH[mgf_hash][1], padding._label or None)
            mechanism, what = Mechanism.RSA_PKCS_OAEP, f"decrypt RSA-OAEP with {name.upper()}"
        elif isinstance(padding, _PKCS1):
            mechanism, param, what = Mechanism.RSA_PKCS, None, "decrypt RSA PKCS#1 v1.5"
        else:
            raise errors.TokenError(f"Token {self.ref.module.name} cannot decrypt {padding.name}.")

        def run(key: Any) -> bytes:
            try:
                return bytes(key.decrypt(ciphertext, mechanism=mechanism, mechanism_param=param))
            except (p11e.EncryptedDataInvalid, p11e.EncryptedDataLenRange) as err:
                raise ValueError("decryption failed") from err  # as cryptography says it
            except _UNSUPPORTED as err:
                raise _cannot(self.ref, what, err) from err

        return with_key(self.ref, "decrypt", run)

    def private_numbers(self) -> rsa.RSAPrivateNumbers:
        _refuse_export(self.ref.module.name)


class TokenECKey(_StaysOnToken, ec.EllipticCurvePrivateKey):
    def __init__(self, ref: KeyRef, public: ec.EllipticCurvePublicKey) -> None:
        self.ref = ref
        self._public = public

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._public.curve

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    def sign(
        self,
        data: bytes | bytearray | memoryview,
        signature_algorithm: ec.EllipticCurveSignatureAlgorithm,
    ) -> bytes:
        algorithm = signature_algorithm.algorithm
        if isinstance(algorithm, utils.Prehashed):
            digest = bytes(data)
        else:
            digest = hashlib.new(_hash_name(algorithm), data).digest()
        size = (self.key_size + 7) // 8

        def run(key: Any) -> bytes:
            # CKM_ECDSA over the digest made here: every module has it, few have ECDSA-SHA384.
            try:
                raw = bytes(key.sign(digest, mechanism=Mechanism.ECDSA))
            except _UNSUPPORTED as err:
                raise _cannot(self.ref, "sign with ECDSA", err) from err
            r, s = int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
            return utils.encode_dss_signature(r, s)

        return with_key(self.ref, "sign", run)

    def exchange(self, algorithm: ec.ECDH, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        point = peer_public_key.public_bytes(ser.Encoding.X962, ser.PublicFormat.UncompressedPoint)
        bits = (self.key_size + 7) // 8 * 8

        def run(key: Any) -> bytes:
            derive = getattr(key, "derive_key", None)
            if derive is None:  # CKA_DERIVE false: the card forbids key agreement with it
                raise errors.TokenError(
                    f"The key on token {self.ref.module.name} may not be used for key "
                    "agreement (ECDH), so it cannot open mail encrypted to it."
                )
            try:
                # The shared secret Z comes back (as from any ECDH); the private key does not.
                secret = derive(
                    KeyType.GENERIC_SECRET,
                    bits,
                    mechanism_param=(KDF.NULL, None, point),
                    template={
                        Attribute.SENSITIVE: False,
                        Attribute.EXTRACTABLE: True,
                        Attribute.TOKEN: False,
                    },
                )
            except _UNSUPPORTED as err:
                raise _cannot(self.ref, "do ECDH key agreement", err) from err
            try:
                return bytes(secret[Attribute.VALUE])
            finally:
                secret.destroy()

        return with_key(self.ref, "decrypt", run)

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        _refuse_export(self.ref.module.name)


_PSS = padding.PSS
_PKCS1 = padding.PKCS1v15
_OAEP = padding.OAEP


def token_key(ref: KeyRef, public: object) -> TokenRSAKey | TokenECKey:
    if isinstance(public, rsa.RSAPublicKey):
        return TokenRSAKey(ref, public)
    if isinstance(public, ec.EllipticCurvePublicKey):
        return TokenECKey(ref, public)
    raise errors.TokenError(
        f"The certificate on token {ref.module.name} has a key type smimetui cannot use on a "
        "token (RSA and EC only)."
    )
