"""Decrypting CMS EnvelopedData / AuthEnvelopedData, with ``openssl cms -encrypt`` as the peer.

Every openssl variant the brief names is encrypted once per module and decrypted with each
fixture key.  Failure cases (bad padding, wrong key, tampered tag, AAD mismatch) are built by hand
with asn1crypto so that each one fails for exactly one reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smimetui.core.cms.content_cipher import DECRYPT_FAILED
from smimetui.core.cms.envelope import (
    DecryptOutcome,
    GcmParameters,
    decrypt_envelope,
    describe_envelope,
)
from smimetui.core.cms.keytypes import PrivateKey
from smimetui.core.errors import (
    CmsError,
    DecryptionError,
    KeyUnlockError,
    NoKeyError,
    SmimeTuiError,
)
from smimetui.core.pki.makecerts import Issued
from tests.support.openssl import openssl, requires_openssl

pytestmark = [pytest.mark.openssl, requires_openssl]

MIME = b"Content-Type: text/plain; charset=utf-8\r\n\r\nMeet me at the old mill at noon.\r\n"


class Key:
    """A KeyCandidate that counts how often it was unlocked."""

    def __init__(self, issued: Issued, *, fail: bool = False) -> None:
        self.cert: x509.Certificate = issued.cert
        self._key = issued.key
        self.fail = fail
        self.unlocked = 0

    def private_key(self) -> PrivateKey:
        self.unlocked += 1
        if self.fail:
            raise KeyUnlockError("The passphrase for your digital ID is wrong.")
        return self._key


def encrypt(pki_dir: dict[str, Path], *recipients: str, args: tuple[str, ...] = ()) -> bytes:
    """``openssl cms -encrypt`` to the named fixture identities; DER out."""
    cmd: list[str | Path] = ["cms", "-encrypt", "-binary", "-outform", "DER", *args]
    cmd += [pki_dir[name] for name in recipients]
    return openssl(*cmd, data=MIME)


def encrypt_recip(pki_dir: dict[str, Path], cipher: str, *recips: tuple[str, list[str]]) -> bytes:
    """``-recip CERT -keyopt K ...`` form, for per-recipient options (OAEP, KDF hash)."""
    cmd: list[str | Path] = ["cms", "-encrypt", "-binary", "-outform", "DER", cipher]
    for name, keyopts in recips:
        cmd += ["-recip", pki_dir[name]]
        for opt in keyopts:
            cmd += ["-keyopt", opt]
    return openssl(*cmd, data=MIME)


CIPHERS = {
    "-aes-128-cbc": ("AES-128-CBC", "enveloped", False),
    "-aes-192-cbc": ("AES-192-CBC", "enveloped", False),
    "-aes-256-cbc": ("AES-256-CBC", "enveloped", False),
    "-aes-128-gcm": ("AES-128-GCM", "auth-enveloped", True),
    "-aes-256-gcm": ("AES-256-GCM", "auth-enveloped", True),
}
PEOPLE = ("alice", "bob", "frank_p384")


@pytest.fixture(scope="module")
def blobs(pki_dir: dict[str, Path]) -> dict[str, bytes]:
    """Each cipher, encrypted by openssl to alice (RSA), bob (P-256) and frank (P-384)."""
    return {c: encrypt(pki_dir, *PEOPLE, args=(c,)) for c in CIPHERS}


def keys_of(fixture_pki: Any, *names: str) -> list[Key]:
    return [Key(getattr(fixture_pki, n)) for n in names]


class TestDescribe:
    @pytest.mark.parametrize("cipher", CIPHERS)
    def test_algorithm_and_kind(self, blobs: dict[str, bytes], cipher: str) -> None:
        info = describe_envelope(blobs[cipher])
        assert (info.algorithm, info.kind, info.authenticated) == CIPHERS[cipher]

    def test_recipients_by_issuer_and_serial(self, blobs: dict[str, bytes], fixture_pki) -> None:
        info = describe_envelope(blobs["-aes-256-gcm"])
        assert [r.kind for r in info.recipients] == ["issuer_serial"] * 3
        assert [r.key_management for r in info.recipients] == [
            "RSA PKCS#1 v1.5",
            "ECDH P-256",
            "ECDH P-384",
        ]
        alice = info.recipients[0]
        assert alice.serial == format(fixture_pki.alice.cert.serial_number, "X")
        assert "Fixture Intermediate CA" in alice.issuer
        assert alice.describe().endswith("from Fixture Intermediate CA")
        assert alice.matches(fixture_pki.alice.cert)
        assert not alice.matches(fixture_pki.carol_expired.cert)
        assert not info.recipients[1].matches(fixture_pki.alice.cert)

    def test_recipients_by_key_identifier(self, pki_dir, fixture_pki) -> None:
        der = encrypt(pki_dir, "alice", "bob", args=("-aes-256-cbc", "-keyid"))
        info = describe_envelope(der)
        assert [r.kind for r in info.recipients] == ["ski", "ski"]
        ski = fixture_pki.alice.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        assert info.recipients[0].ski == ski.value.digest.hex()
        assert info.recipients[0].issuer == info.recipients[0].serial == ""
        assert "key identifier" in info.recipients[0].describe()

    def test_oaep_is_named(self, pki_dir) -> None:
        der = encrypt_recip(pki_dir, "-aes-128-cbc", ("alice", ["rsa_padding_mode:oaep"]))
        assert describe_envelope(der).recipients[0].key_management == "RSA-OAEP"


class TestDecryptInterop:
    @pytest.mark.parametrize("who", PEOPLE)
    @pytest.mark.parametrize("cipher", CIPHERS)
    def test_every_cipher_for_every_key(self, blobs, fixture_pki, cipher: str, who: str) -> None:
        outcome = decrypt_envelope(blobs[cipher], keys_of(fixture_pki, who))
        assert outcome.content == MIME
        assert outcome.used_cert == getattr(fixture_pki, who).cert
        assert outcome.info.algorithm == CIPHERS[cipher][0]
        assert outcome.problems == ()  # CBC is labelled by the orchestrator, not here

    @pytest.mark.parametrize(
        ("keyopts", "named"),
        [
            (["rsa_padding_mode:oaep"], "RSA-OAEP"),
            (["rsa_padding_mode:oaep", "rsa_oaep_md:sha256"], "RSA-OAEP (SHA-256)"),
            (["rsa_padding_mode:oaep", "rsa_oaep_md:sha256", "rsa_mgf1_md:sha256"], None),
            (["rsa_padding_mode:oaep", "rsa_oaep_md:sha512", "rsa_oaep_label:6869"], None),
        ],
    )
    def test_rsa_oaep(self, pki_dir, fixture_pki, keyopts: list[str], named: str | None) -> None:
        der = encrypt_recip(pki_dir, "-aes-256-gcm", ("alice", keyopts))
        outcome = decrypt_envelope(der, keys_of(fixture_pki, "alice"))
        assert outcome.content == MIME
        if named:
            assert outcome.key_management == named

    @pytest.mark.parametrize("md", ["sha256", "sha384", "sha512"])
    @pytest.mark.parametrize("who", ["bob", "frank_p384"])
    def test_ecdh_kdf_hashes(self, pki_dir, fixture_pki, md: str, who: str) -> None:
        der = encrypt_recip(pki_dir, "-aes-128-gcm", (who, [f"ecdh_kdf_md:{md}"]))
        assert decrypt_envelope(der, keys_of(fixture_pki, who)).content == MIME

    @pytest.mark.parametrize("wrap", ["-aes128-wrap", "-aes192-wrap", "-aes256-wrap"])
    def test_ecdh_key_wraps(self, pki_dir, fixture_pki, wrap: str) -> None:
        der = encrypt(pki_dir, "bob", args=("-aes-256-cbc", "-wrap", wrap.lstrip("-")))
        assert decrypt_envelope(der, keys_of(fixture_pki, "bob")).content == MIME

    def test_key_identifier_recipients(self, pki_dir, fixture_pki) -> None:
        der = encrypt(pki_dir, "alice", "bob", args=("-aes-256-gcm", "-keyid"))
        for who in ("alice", "bob"):
            assert decrypt_envelope(der, keys_of(fixture_pki, who)).content == MIME

    @pytest.mark.parametrize("cipher", ["-aes-256-cbc", "-aes-256-gcm"])
    def test_streamed_ber(self, pki_dir, fixture_pki, cipher: str) -> None:
        big = MIME + b"x" * 5000 + b"\r\n"  # several constructed OCTET STRING chunks
        der = openssl(
            "cms", "-encrypt", "-binary", "-stream", "-outform", "DER", cipher,
            pki_dir["alice"], pki_dir["bob"], data=big,
        )  # fmt: skip
        assert der[1] == 0x80  # indefinite length: really BER
        for who in ("alice", "bob"):
            assert decrypt_envelope(der, keys_of(fixture_pki, who)).content == big

    def test_3des_decrypts_with_a_weak_cipher_problem(self, pki_dir, fixture_pki) -> None:
        der = encrypt(pki_dir, "alice", args=("-des3",))
        outcome = decrypt_envelope(der, keys_of(fixture_pki, "alice"))
        assert outcome.content == MIME
        assert outcome.info.algorithm == "3DES-CBC"
        assert any("weak 3DES" in p for p in outcome.problems)

    def test_the_matching_key_is_found_among_several(self, blobs, fixture_pki) -> None:
        keys = keys_of(fixture_pki, "carol_expired", "dave_wrong_eku", "frank_p384")
        outcome = decrypt_envelope(blobs["-aes-128-gcm"], keys)
        assert outcome.used_cert == fixture_pki.frank_p384.cert
        # Only the matching key was unlocked: nobody is asked for a passphrase needlessly.
        assert [k.unlocked for k in keys] == [0, 0, 1]


def _swap_encrypted_key(der: bytes, index: int, new: bytes) -> bytes:
    info = cms.ContentInfo.load(der)
    ri = info["content"]["recipient_infos"][index].chosen
    ri["encrypted_key"] = new
    return cms.ContentInfo(
        {"content_type": info["content_type"].native, "content": info["content"].copy()}
    ).dump(force=True)


class TestFailures:
    def test_tampered_gcm_tag_releases_nothing(self, blobs, fixture_pki) -> None:
        der = bytearray(blobs["-aes-256-gcm"])
        der[-1] ^= 0x01  # the mac is the last field
        with pytest.raises(DecryptionError) as err:
            decrypt_envelope(bytes(der), keys_of(fixture_pki, "alice"))
        assert str(err.value) == DECRYPT_FAILED
        assert not isinstance(err.value, NoKeyError)

    def test_tampered_gcm_ciphertext(self, blobs, fixture_pki) -> None:
        der = blobs["-aes-128-gcm"]
        ct_at = len(der) - 30  # before the 18 bytes of the mac: inside the encrypted content
        mutated = der[:ct_at] + bytes([der[ct_at] ^ 0x80]) + der[ct_at + 1 :]
        with pytest.raises(DecryptionError, match="could not be decrypted"):
            decrypt_envelope(mutated, keys_of(fixture_pki, "bob"))

    def test_no_key_names_the_recipients(self, blobs, fixture_pki) -> None:
        with pytest.raises(NoKeyError) as err:
            decrypt_envelope(blobs["-aes-256-cbc"], keys_of(fixture_pki, "carol_expired"))
        text = str(err.value)
        assert "you have none of their keys" in text
        assert "from Fixture Intermediate CA" in text
        assert format(fixture_pki.alice.cert.serial_number, "X")[:16] in text

    def test_no_key_names_known_addresses(self, blobs, fixture_pki) -> None:
        with pytest.raises(NoKeyError, match="alice@example.org") as err:
            decrypt_envelope(blobs["-aes-256-cbc"], [], known_certs=[fixture_pki.alice.cert])
        assert "bob@example.org" not in str(err.value)

    def test_unlock_failure_passes_through(self, blobs, fixture_pki) -> None:
        key = Key(fixture_pki.alice, fail=True)
        with pytest.raises(KeyUnlockError):
            decrypt_envelope(blobs["-aes-256-cbc"], [key])

    def test_another_key_still_opens_when_one_will_not_unlock(self, blobs, fixture_pki) -> None:
        keys = [Key(fixture_pki.alice, fail=True), Key(fixture_pki.bob)]
        assert decrypt_envelope(blobs["-aes-256-cbc"], keys).used_cert == fixture_pki.bob.cert

    def test_same_key_in_two_recipients_tries_both(self, pki_dir, fixture_pki) -> None:
        der = encrypt(pki_dir, "alice", "alice", args=("-aes-256-cbc",))
        broken = _swap_encrypted_key(der, 0, os.urandom(256))
        outcome = decrypt_envelope(broken, keys_of(fixture_pki, "alice"))
        assert outcome.content == MIME

    def test_unsupported_recipient_does_not_hide_the_others(self, pki_dir, fixture_pki) -> None:
        # 3DES to an EC recipient makes openssl use the 3DES key wrap, which we do not support.
        der = encrypt(pki_dir, "bob", "alice", args=("-des3",))
        assert decrypt_envelope(der, keys_of(fixture_pki, "alice")).content == MIME
        with pytest.raises(CmsError, match="not AES key wrap"):
            decrypt_envelope(der, keys_of(fixture_pki, "bob"))

    @pytest.mark.parametrize(
        "blob",
        [b"", b"garbage", b"\x30\x03\x06\x01\x00", b"\x30\x80" + b"\x00" * 10],
        ids=["empty", "text", "short", "indefinite"],
    )
    def test_garbage_is_a_cms_error(self, blob: bytes, fixture_pki) -> None:
        with pytest.raises(CmsError):
            describe_envelope(blob)
        with pytest.raises(CmsError):
            decrypt_envelope(blob, keys_of(fixture_pki, "alice"))

    def test_signed_data_is_not_an_envelope(self, pki_dir) -> None:
        signed = openssl(
            "cms", "-sign", "-binary", "-nodetach", "-outform", "DER",
            "-signer", pki_dir["alice"], "-inkey", pki_dir["alice.key"], data=MIME,
        )  # fmt: skip
        with pytest.raises(CmsError, match="not encrypted"):
            describe_envelope(signed)


# -- hand-built envelopes: one failure reason each -----------------------------------------------


def _rid(issued: Issued) -> cms.RecipientIdentifier:
    cert = asn1_x509.Certificate.load(issued.der)
    return cms.RecipientIdentifier(
        name="issuer_and_serial_number",
        value=cms.IssuerAndSerialNumber(
            {"issuer": cert.issuer, "serial_number": cert.serial_number}
        ),
    )


def _ktri(rid_of: Issued, encrypt_to: Issued, cek: bytes) -> cms.RecipientInfo:
    public = encrypt_to.cert.public_key()
    return cms.RecipientInfo(
        name="ktri",
        value={
            "version": "v0",
            "rid": _rid(rid_of),
            "key_encryption_algorithm": {"algorithm": "rsaes_pkcs1v15"},
            "encrypted_key": public.encrypt(cek, padding.PKCS1v15()),  # type: ignore[union-attr]
        },
    )


def cbc_envelope(
    rid_of: Issued, encrypt_to: Issued, padded: bytes, *, cek: bytes | None = None
) -> bytes:
    """AES-256-CBC over ``padded`` exactly as given (no padding added)."""
    cek = cek or os.urandom(32)
    iv = os.urandom(16)
    enc = Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()
    ciphertext = enc.update(padded) + enc.finalize() if padded else b""
    body = cms.EnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [_ktri(rid_of, encrypt_to, cek)],
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {"algorithm": "aes256_cbc", "parameters": iv},
                "encrypted_content": ciphertext,
            },
        }
    )
    return cms.ContentInfo({"content_type": "enveloped_data", "content": body}).dump()


def gcm_envelope(
    issued: Issued,
    *,
    icv: int = 16,
    attrs: list[dict[str, Any]] | None = None,
    aad_override: bytes | None = None,
) -> bytes:
    cek, nonce = os.urandom(32), os.urandom(12)
    auth_attrs = cms.CMSAttributes(attrs) if attrs else None
    aad = aad_override if aad_override is not None else (auth_attrs.dump() if attrs else b"")
    enc = Cipher(algorithms.AES(cek), modes.GCM(nonce)).encryptor()
    if aad:
        enc.authenticate_additional_data(aad)
    ciphertext = enc.update(MIME) + enc.finalize()
    tag = enc.tag[:icv]
    if icv == 16:  # cross-check with the one-shot API
        assert AESGCM(cek).encrypt(nonce, MIME, aad or None) == ciphertext + tag
    fields: dict[str, Any] = {
        "version": "v0",
        "recipient_infos": [_ktri(issued, issued, cek)],
        "auth_encrypted_content_info": {
            "content_type": "data",
            "content_encryption_algorithm": {
                "algorithm": "aes256_gcm",
                "parameters": GcmParameters({"aes_nonce": nonce, "aes_icvlen": icv}),
            },
            "encrypted_content": ciphertext,
        },
        "mac": tag,
    }
    if auth_attrs is not None:
        fields["auth_attrs"] = auth_attrs
    body = cms.AuthEnvelopedData(fields)
    return cms.ContentInfo({"content_type": "authenticated_enveloped_data", "content": body}).dump()


class TestOneErrorForEveryPaddingFailure:
    """No padding oracle: every key- or ciphertext-dependent failure reads the same."""

    @pytest.mark.parametrize(
        "padded",
        [
            MIME[:48] + b"\x00" * 16,  # pad byte 0
            MIME[:32] + b"\x11" * 16,  # pad byte larger than the block
            MIME[:32] + b"A" * 13 + b"\x02\x03\x03",  # inconsistent pad bytes
            b"",  # no ciphertext at all
        ],
        ids=["zero", "too-large", "inconsistent", "empty"],
    )
    def test_bad_padding(self, fixture_pki, padded: bytes) -> None:
        der = cbc_envelope(fixture_pki.alice, fixture_pki.alice, padded)
        with pytest.raises(DecryptionError) as err:
            decrypt_envelope(der, keys_of(fixture_pki, "alice"))
        assert str(err.value) == DECRYPT_FAILED

    def test_good_padding_control(self, fixture_pki) -> None:
        padded = MIME + bytes([16 - len(MIME) % 16]) * (16 - len(MIME) % 16)
        der = cbc_envelope(fixture_pki.alice, fixture_pki.alice, padded)
        assert decrypt_envelope(der, keys_of(fixture_pki, "alice")).content == MIME

    def test_content_key_for_another_rsa_key(self, fixture_pki) -> None:
        padded = MIME + bytes([16 - len(MIME) % 16]) * (16 - len(MIME) % 16)
        der = cbc_envelope(fixture_pki.alice, fixture_pki.carol_expired, padded)
        with pytest.raises(DecryptionError) as err:
            decrypt_envelope(der, keys_of(fixture_pki, "alice"))
        assert str(err.value) == DECRYPT_FAILED

    def test_content_key_of_the_wrong_size(self, fixture_pki) -> None:
        padded = MIME + bytes([16 - len(MIME) % 16]) * (16 - len(MIME) % 16)
        der = cbc_envelope(fixture_pki.alice, fixture_pki.alice, padded, cek=os.urandom(16))
        with pytest.raises(DecryptionError) as err:
            decrypt_envelope(der, keys_of(fixture_pki, "alice"))
        assert str(err.value) == DECRYPT_FAILED


CONTENT_TYPE_ATTR = [{"type": "content_type", "values": ["data"]}]


class TestAuthEnvelopedBuilt:
    def test_auth_attrs_are_the_aad(self, fixture_pki) -> None:
        der = gcm_envelope(fixture_pki.alice, attrs=CONTENT_TYPE_ATTR)
        outcome = decrypt_envelope(der, keys_of(fixture_pki, "alice"))
        assert outcome.content == MIME and outcome.info.authenticated

    def test_auth_attrs_not_covered_fail(self, fixture_pki) -> None:
        der = gcm_envelope(fixture_pki.alice, attrs=CONTENT_TYPE_ATTR, aad_override=b"")
        with pytest.raises(DecryptionError):
            decrypt_envelope(der, keys_of(fixture_pki, "alice"))

    def test_twelve_byte_tag(self, fixture_pki) -> None:
        der = gcm_envelope(fixture_pki.alice, icv=12)
        assert decrypt_envelope(der, keys_of(fixture_pki, "alice")).content == MIME

    def test_tampered_short_tag(self, fixture_pki) -> None:
        der = bytearray(gcm_envelope(fixture_pki.alice, icv=12))
        der[-1] ^= 0x40
        with pytest.raises(DecryptionError):
            decrypt_envelope(bytes(der), keys_of(fixture_pki, "alice"))


# -- fuzzing ------------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _never_escapes(call: Callable[[], object]) -> None:
    try:
        result = call()
    except SmimeTuiError:
        return
    assert result is not None


class TestFuzz:
    @FUZZ
    @given(data=st.binary(max_size=400))
    def test_random_bytes(self, data: bytes, fixture_pki) -> None:
        _never_escapes(lambda: describe_envelope(data))
        _never_escapes(lambda: decrypt_envelope(data, keys_of(fixture_pki, "alice", "bob")))

    @FUZZ
    @given(
        which=st.sampled_from(["-aes-256-cbc", "-aes-128-gcm"]),
        edits=st.lists(
            st.tuples(st.integers(min_value=0), st.integers(0, 255), st.sampled_from("xit")),
            min_size=1,
            max_size=4,
        ),
    )
    def test_mutated_envelopes(self, blobs, fixture_pki, which: str, edits) -> None:
        data = bytearray(blobs[which])
        for pos, value, op in edits:
            if not data:
                break
            pos %= len(data)
            if op == "x":
                data[pos] ^= value or 1
            elif op == "i":
                data[pos:pos] = bytes([value])
            else:
                del data[pos:]
        blob = bytes(data)
        _never_escapes(lambda: describe_envelope(blob))

        def run() -> DecryptOutcome:
            return decrypt_envelope(blob, keys_of(fixture_pki, "alice", "bob", "frank_p384"))

        _never_escapes(run)
