"""Outgoing MIME: openssl reads what compose() writes; header protection; round trips."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from asn1crypto import cms

from smimetui.core.cms.encrypt import Recipient
from smimetui.core.cms.envelope import decrypt_envelope
from smimetui.core.cms.sign import SigningKey
from smimetui.core.cms.signeddata import verify_signed_data
from smimetui.core.errors import MimeError, RecipientCertificateError
from smimetui.core.pki.keycandidates import StaticKeyCandidate
from smimetui.core.write.sign_encrypt import ComposeOptions, compose, parse_draft
from tests.support.openssl import ok
from tests.support.openssl import openssl_run as openssl

DRAFT = (
    "From: Alice Liddell <alice@example.org>\n"
    "To: Bob <bob@example.org>, frank@example.org\n"
    "Cc: carol@example.org\n"
    "Bcc: hidden@example.org\n"
    "Subject: Quarterly numbers für Köln\n"
    "Keywords: secret-project\n"
    "Date: Mon, 02 Feb 2026 10:00:00 +0000\n"
    "Message-ID: <draft-1@example.org>\n"
    "\n"
    "Hi Bob,\n"
    "the numbers are in.   \n"
    "From now on we meet weekly.\n"
    "Grüße\n"
).encode()

MODERN = ("aes256-gcm", "aes256-cbc", "rsaes-oaep")


def _alice(fixture_pki) -> SigningKey:  # type: ignore[no-untyped-def]
    return SigningKey(
        fixture_pki.alice.cert, fixture_pki.alice.key, (fixture_pki.intermediate.cert,)
    )


def _recipients(fixture_pki, caps=None) -> list[Recipient]:  # type: ignore[no-untyped-def]
    return [
        Recipient("bob@example.org", fixture_pki.bob.cert, caps),
        Recipient("frank@example.org", fixture_pki.frank_p384.cert, caps),
        # DRAFT's Bcc recipient (a certificate of its own, whatever its dates)
        Recipient("hidden@example.org", fixture_pki.carol_expired.cert, caps),
        Recipient("yourself", fixture_pki.alice.cert, is_self=True),
    ]


def _verify_smime(tmp_path: Path, pki_dir, data: bytes) -> bytes:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.eml"
    src.write_bytes(data)
    return ok(
        openssl("cms", "-verify", "-in", src, "-CAfile", pki_dir["root"], "-purpose", "smimesign")
    )


def _decrypt_smime(tmp_path: Path, pki_dir, data: bytes, who: str) -> bytes:  # type: ignore[no-untyped-def]
    src = tmp_path / "enc.eml"
    src.write_bytes(data)
    return ok(
        openssl(
            "cms", "-decrypt", "-in", src, "-recip", pki_dir[who], "-inkey", pki_dir[f"{who}.key"]
        )
    )


def _headers(data: bytes) -> email.message.Message:
    return email.message_from_bytes(data, policy=policy.default)


class TestSigned:
    def test_detached_verifies_in_openssl_with_protected_headers(
        self, fixture_pki, pki_dir, tmp_path
    ) -> None:  # type: ignore[no-untyped-def]
        out = compose(DRAFT, signer=_alice(fixture_pki))
        msg = _headers(out.data)
        assert msg.get_content_type() == "multipart/signed"
        assert msg.get_param("micalg") == "sha-256"
        content = _verify_smime(tmp_path, pki_dir, out.data)
        inner = _headers(content)
        assert inner.get_param("hp") == "clear"
        assert inner["Subject"] == "Quarterly numbers für Köln"
        assert str(msg["Subject"]) == "Quarterly numbers für Köln"  # signed only: not hidden
        assert "From now on" in inner.get_content()

    def test_signed_bytes_are_canonical_crlf_and_7bit(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        out = compose(DRAFT, signer=_alice(fixture_pki))
        assert b"\n" not in out.data.replace(b"\r\n", b"")
        assert out.data.isascii()
        assert b"=46rom now on" in out.data  # protects "From " lines from mbox mangling
        assert b"in.  =20" in out.data  # trailing spaces survive transport

    def test_survives_lf_conversion(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        # A mail store that rewrites CRLF to LF must not break the signature.
        out = compose(DRAFT, signer=_alice(fixture_pki))
        _verify_smime(tmp_path, pki_dir, out.data.replace(b"\r\n", b"\n"))

    @pytest.mark.parametrize("who", ["alice", "bob"])
    def test_opaque_verifies(self, fixture_pki, pki_dir, tmp_path, who) -> None:  # type: ignore[no-untyped-def]
        issued = getattr(fixture_pki, who)
        signer = SigningKey(issued.cert, issued.key, (fixture_pki.intermediate.cert,))
        out = compose(DRAFT, signer=signer, options=ComposeOptions(opaque=True))
        assert _headers(out.data).get_param("smime-type") == "signed-data"
        assert b"Quarterly" in _verify_smime(tmp_path, pki_dir, out.data)

    def test_bcc_never_written(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        out = compose(DRAFT, signer=_alice(fixture_pki))
        assert b"hidden@example.org" not in out.data
        assert out.envelope_to == (
            "bob@example.org",
            "frank@example.org",
            "carol@example.org",
            "hidden@example.org",
        )

    def test_multipart_with_binary_attachment(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        draft = (
            b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: file\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
            b"--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            b"--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n"
            b"\r\n\xff\xfe\x00binary\r\n--XX--\r\n"
        )
        out = compose(draft, signer=_alice(fixture_pki))
        assert out.data.isascii()
        inner = _headers(_verify_smime(tmp_path, pki_dir, out.data))
        attachment = list(inner.iter_attachments())[0]
        assert attachment["Content-Transfer-Encoding"] == "base64"
        assert attachment.get_content().startswith(b"\xff\xfe\x00binary")

    def test_round_trip_through_our_verifier(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        out = compose(DRAFT, signer=_alice(fixture_pki))
        msg = email.message_from_bytes(out.data)
        content_part, sig_part = msg.get_payload()
        boundary = msg.get_boundary().encode()
        raw = out.data.split(b"--" + boundary + b"\r\n")[1].removesuffix(b"\r\n")
        result = verify_signed_data(sig_part.get_payload(decode=True), detached=raw)
        signer = result.signers[0]
        assert signer.valid, signer.problems
        assert "aes256-gcm" in signer.capabilities
        assert signer.encryption_key_preference is not None


class TestEncrypted:
    @pytest.mark.parametrize("who", ["bob", "frank_p384", "alice"])
    def test_sign_then_encrypt_readable_by_every_recipient(
        self, fixture_pki, pki_dir, tmp_path, who
    ) -> None:  # type: ignore[no-untyped-def]
        out = compose(
            DRAFT,
            signer=_alice(fixture_pki),
            recipients=_recipients(fixture_pki),
            options=ComposeOptions(encrypt=True),
        )
        outer = _headers(out.data)
        assert outer["Subject"] == "[...]"
        assert outer["Keywords"] is None
        assert outer.get_param("smime-type") == "enveloped-data"
        signed = _decrypt_smime(tmp_path, pki_dir, out.data, who)
        assert _headers(signed).get_content_type() == "multipart/signed"
        inner = _headers(_verify_smime(tmp_path, pki_dir, signed))
        assert inner.get_param("hp") == "cipher"
        assert inner["Subject"] == "Quarterly numbers für Köln"
        assert "Subject: [...]" in inner.get_all("HP-Outer")
        assert inner["Bcc"] is None

    def test_gcm_when_everyone_reads_it(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        out = compose(
            DRAFT,
            signer=_alice(fixture_pki),
            recipients=_recipients(fixture_pki, MODERN),
            options=ComposeOptions(encrypt=True),
        )
        assert out.encryption is not None and out.encryption.cipher == "AES-256-GCM"
        assert _headers(out.data).get_param("smime-type") == "authEnveloped-data"
        _verify_smime(tmp_path, pki_dir, _decrypt_smime(tmp_path, pki_dir, out.data, "bob"))

    def test_encrypt_only(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        out = compose(
            DRAFT,
            recipients=_recipients(fixture_pki),
            options=ComposeOptions(sign=False, encrypt=True),
        )
        inner = _headers(_decrypt_smime(tmp_path, pki_dir, out.data, "alice"))
        assert inner.get_param("hp") == "cipher"
        assert inner.get_content_type() == "text/plain"
        assert not out.signed

    def test_round_trip_through_our_decryptor(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        out = compose(
            DRAFT,
            signer=_alice(fixture_pki),
            recipients=_recipients(fixture_pki, MODERN),
            options=ComposeOptions(encrypt=True),
        )
        der = email.message_from_bytes(out.data).get_payload(decode=True)
        key = StaticKeyCandidate(fixture_pki.bob.cert, fixture_pki.bob.key)
        result = decrypt_envelope(der, [key])
        assert result.info.authenticated
        assert b"multipart/signed" in result.content

    def test_without_header_protection(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        out = compose(
            DRAFT,
            recipients=_recipients(fixture_pki),
            options=ComposeOptions(sign=False, encrypt=True, protect_headers=False),
        )
        inner = _headers(_decrypt_smime(tmp_path, pki_dir, out.data, "alice"))
        assert inner.get_param("hp") is None and inner["Subject"] is None


def _named_serials(data: bytes) -> set[int]:
    """The serial numbers a pkcs7-mime message's RecipientInfos name (RFC 5652 §6.2)."""
    der = email.message_from_bytes(data).get_payload(decode=True)
    info = cms.ContentInfo.load(der)
    serials = set()
    for ri in info["content"]["recipient_infos"]:
        if ri.name == "ktri":
            serials.add(ri.chosen["rid"].chosen["serial_number"].native)
        else:  # kari: one recipientEncryptedKey per recipient
            for rek in ri.chosen["recipient_encrypted_keys"]:
                serials.add(rek["rid"].chosen["serial_number"].native)
    return serials


BCC_DRAFT = (
    b"From: alice@example.org\r\nTo: bob@example.org\r\nBcc: Frank <frank@example.org>, "
    b"alice@example.org\r\nSubject: plans\r\n\r\nThe plans.\r\n"
)


class TestBccEncrypted:
    """RFC 5322 §3.6.3: Bcc recipients are not disclosed to the others.  A ciphertext's
    RecipientInfos name each recipient's certificate (RFC 5652 §6.2), so each Bcc recipient
    needs a ciphertext of their own."""

    def _out(self, fixture_pki, **kw):  # type: ignore[no-untyped-def]
        recipients = [
            Recipient("bob@example.org", fixture_pki.bob.cert),
            Recipient("frank@example.org", fixture_pki.frank_p384.cert),
            Recipient("yourself", fixture_pki.alice.cert, is_self=True),
        ]
        options = ComposeOptions(encrypt=True, **kw)
        return compose(
            BCC_DRAFT, signer=_alice(fixture_pki), recipients=recipients, options=options
        )

    def test_to_cc_copy_names_only_them_and_you(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        out = self._out(fixture_pki)
        serials = {fixture_pki.bob.cert.serial_number, fixture_pki.alice.cert.serial_number}
        assert _named_serials(out.data) == serials
        assert out.envelope_to == ("bob@example.org", "alice@example.org")  # you in Bcc: no copy
        src = tmp_path / "main.eml"
        src.write_bytes(out.data)
        args = ("cms", "-decrypt", "-in", src, "-recip", pki_dir["frank_p384"])
        refused = openssl(*args, "-inkey", pki_dir["frank_p384.key"])
        assert refused.returncode != 0
        assert b"frank" not in _decrypt_smime(tmp_path, pki_dir, out.data, "bob").lower()

    def test_each_bcc_recipient_gets_an_own_copy(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        out = self._out(fixture_pki)
        (copy,) = out.bcc_copies
        assert copy.envelope_to == ("frank@example.org",)
        serials = {fixture_pki.frank_p384.cert.serial_number, fixture_pki.alice.cert.serial_number}
        assert _named_serials(copy.data) == serials
        assert b"frank@" not in copy.data.split(b"\r\n\r\n")[0].lower()  # no Bcc header
        signed = _decrypt_smime(tmp_path, pki_dir, copy.data, "frank_p384")
        inner = _headers(_verify_smime(tmp_path, pki_dir, signed))
        assert inner["Bcc"] is None and inner["Subject"] == "plans"
        assert out.recipients == ("bob@example.org", "alice@example.org", "frank@example.org")

    def test_signed_only_mail_is_one_copy(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        out = compose(BCC_DRAFT, signer=_alice(fixture_pki))
        assert out.bcc_copies == ()
        assert "frank@example.org" in out.envelope_to
        assert b"frank@" not in out.data

    def test_bcc_without_certificate_is_refused(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        recipients = [
            Recipient("bob@example.org", fixture_pki.bob.cert),
            Recipient("yourself", fixture_pki.alice.cert, is_self=True),
        ]
        with pytest.raises(RecipientCertificateError, match="frank@example.org"):
            compose(
                BCC_DRAFT,
                signer=_alice(fixture_pki),
                recipients=recipients,
                options=ComposeOptions(encrypt=True),
            )


class TestDraftErrors:
    def test_no_from(self) -> None:
        with pytest.raises(MimeError, match="no From"):
            parse_draft(b"To: bob@example.org\n\nhi\n")

    def test_garbage_header(self) -> None:
        with pytest.raises(MimeError, match="malformed header"):
            parse_draft(b"this is not a header\n\nhi\n")
