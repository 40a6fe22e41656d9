"""EnvelopedData / AuthEnvelopedData built by smimetui decrypts with the real ``openssl cms``."""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import cms

from smimetui.core.cms.encrypt import Preference, Recipient, choose_algorithms, encrypt
from smimetui.core.errors import RecipientCertificateError
from smimetui.core.pki import makecerts as pki
from tests.support.openssl import ok
from tests.support.openssl import openssl_run as openssl

CONTENT = b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe launch code is 0000.\r\n"
MODERN = ("aes256-gcm", "aes256-cbc", "rsaes-oaep")


def _decrypt(tmp_path: Path, pki_dir: dict[str, Path], der: bytes, who: str):  # type: ignore[no-untyped-def]
    src = tmp_path / "enc.der"
    src.write_bytes(der)
    return openssl(
        "cms", "-decrypt", "-binary", "-inform", "DER", "-in", src,
        "-recip", pki_dir[who], "-inkey", pki_dir[f"{who}.key"],
    )  # fmt: skip


def _recipients(fixture_pki, caps: tuple[str, ...] | None):  # type: ignore[no-untyped-def]
    return [
        Recipient("alice@example.org", fixture_pki.alice.cert, caps),
        Recipient("bob@example.org", fixture_pki.bob.cert, caps),
        Recipient("frank@example.org", fixture_pki.frank_p384.cert, caps),
    ]


class TestOpensslDecrypts:
    @pytest.mark.parametrize("caps", [None, MODERN], ids=["cbc", "gcm"])
    @pytest.mark.parametrize("who", ["alice", "bob", "frank_p384"])
    def test_every_recipient_reads_it(self, fixture_pki, pki_dir, tmp_path, caps, who) -> None:  # type: ignore[no-untyped-def]
        result = encrypt(CONTENT, _recipients(fixture_pki, caps))
        assert ok(_decrypt(tmp_path, pki_dir, result.der, who)) == CONTENT

    def test_gcm_is_auth_enveloped_with_oaep(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        result = encrypt(CONTENT, _recipients(fixture_pki, MODERN))
        info = cms.ContentInfo.load(result.der)
        assert info["content_type"].native == "authenticated_enveloped_data"
        body = info["content"]
        alg = body["auth_encrypted_content_info"]["content_encryption_algorithm"]
        assert alg["algorithm"].native == "aes256_gcm"
        ktri = body["recipient_infos"][0].chosen
        assert ktri["key_encryption_algorithm"]["algorithm"].native == "rsaes_oaep"
        assert body["recipient_infos"][1].name == "kari"
        assert result.choice.smime_type == "authEnveloped-data"

    def test_cbc_is_enveloped_with_pkcs1(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        result = encrypt(CONTENT, _recipients(fixture_pki, None)[:1])
        info = cms.ContentInfo.load(result.der)
        assert info["content_type"].native == "enveloped_data"
        assert info["content"]["version"].native == "v0"
        ktri = info["content"]["recipient_infos"][0].chosen
        assert ktri["key_encryption_algorithm"]["algorithm"].native == "rsaes_pkcs1v15"

    def test_tampered_gcm_tag_is_refused_by_openssl(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        result = encrypt(CONTENT, _recipients(fixture_pki, MODERN))
        info = cms.ContentInfo.load(result.der)
        tag = bytearray(info["content"]["mac"].native)
        tag[0] ^= 1
        info["content"]["mac"] = bytes(tag)
        proc = _decrypt(tmp_path, pki_dir, info.dump(force=True), "alice")
        # (openssl streams the plaintext before it checks the tag; its exit status tells.)
        assert proc.returncode != 0

    def test_someone_else_cannot_decrypt(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        result = encrypt(CONTENT, _recipients(fixture_pki, None)[:1])
        assert _decrypt(tmp_path, pki_dir, result.der, "bob").returncode != 0

    def test_duplicate_recipient_gets_one_recipient_info(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        alice = fixture_pki.alice.cert
        result = encrypt(
            CONTENT,
            [Recipient("alice@example.org", alice), Recipient("yourself", alice, is_self=True)],
        )
        assert len(cms.ContentInfo.load(result.der)["content"]["recipient_infos"]) == 1


class TestChoice:
    def test_everyone_advertises_gcm_and_oaep(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        choice = choose_algorithms(_recipients(fixture_pki, MODERN))
        assert (choice.cipher, choice.rsa_key_transport) == ("AES-256-GCM", "RSA-OAEP (SHA-256)")
        assert "Every recipient" in choice.reason

    def test_unknown_client_falls_back_to_cbc_and_says_who(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        recips = _recipients(fixture_pki, MODERN)
        recips[1] = Recipient("bob@example.org", fixture_pki.bob.cert, None)
        choice = choose_algorithms(recips)
        assert choice.cipher == "AES-256-CBC"
        assert choice.rsa_key_transport == "RSA PKCS#1 v1.5"
        assert "bob@example.org" in choice.reason and "alice" not in choice.reason

    def test_rsa_recipient_without_oaep_falls_back(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        recips = [Recipient("alice@example.org", fixture_pki.alice.cert, ("aes256-gcm",))]
        choice = choose_algorithms(recips)
        assert choice.cipher == "AES-256-CBC"
        assert "RSA-OAEP" in choice.reason

    def test_ec_recipient_needs_only_gcm(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        choice = choose_algorithms(
            [Recipient("bob@example.org", fixture_pki.bob.cert, ("aes256-gcm",))]
        )
        assert choice.cipher == "AES-256-GCM"
        assert dict(choice.key_management)["bob@example.org"] == "ECDH P-256"

    def test_only_yourself_is_modern(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        choice = choose_algorithms([Recipient("yourself", fixture_pki.alice.cert, is_self=True)])
        assert choice.cipher == "AES-256-GCM"

    def test_user_can_force_either(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        assert choose_algorithms(_recipients(fixture_pki, None), Preference.GCM).authenticated
        assert not choose_algorithms(_recipients(fixture_pki, MODERN), Preference.CBC).authenticated

    def test_nobody_to_encrypt_to(self) -> None:
        with pytest.raises(RecipientCertificateError):
            choose_algorithms([])

    def test_ed25519_recipient_is_refused_by_name(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        ed = pki.make_leaf(fixture_pki.intermediate, "ed@example.org", key_kind="ed25519")
        with pytest.raises(RecipientCertificateError, match="ed@example.org"):
            encrypt(CONTENT, [Recipient("ed@example.org", ed.cert)])
