"""The whole read path, message bytes in, SecurityReport out, against mail made by `openssl cms`."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from asn1crypto import cms

from smimetui.core.errors import InputError
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.keycandidates import StaticKeyCandidate
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.read.report import Coverage, EncryptionStatus, SignatureVerdict
from tests.support.openssl import openssl, requires_openssl
from tests.support.pki import FixturePKI

pytestmark = [requires_openssl]

BODY = b"Content-Type: text/plain; charset=utf-8\r\n\r\nMeet me at noon.\r\n"


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory, fixture_pki: FixturePKI) -> TrustStore:
    from smimetui.core.settings.home import Home

    store = TrustStore(Home.at(tmp_path_factory.mktemp("home")), use_system=False)
    store.add(fixture_pki.root.cert_pem)
    return store


@pytest.fixture(scope="module")
def ctx(trust: TrustStore, fixture_pki: FixturePKI) -> InspectContext:
    keys = [
        StaticKeyCandidate(fixture_pki.alice.cert, fixture_pki.alice.key),
        StaticKeyCandidate(fixture_pki.bob.cert, fixture_pki.bob.key),
    ]
    return InspectContext(validator=ChainValidator(trust), keys=keys)


def sign(
    pki_dir: dict[str, Path],
    signer: str = "alice",
    *,
    content: bytes = BODY,
    sender: str = "alice@example.org",
    extra: tuple[str, ...] = (),
    chain: bool = True,
) -> bytes:
    args: list[str | Path] = ["cms", "-sign", "-signer", pki_dir[signer]]
    args += ["-inkey", pki_dir[f"{signer}.key"]]
    if chain:
        args += ["-certfile", pki_dir["intermediate"]]
    args += ["-from", sender, "-to", "bob@example.org", "-subject", "Lunch", *extra]
    return openssl(*args, data=content)


def encrypt(
    pki_dir: dict[str, Path], content: bytes, *recipients: str, cipher: str = "-aes-256-cbc"
) -> bytes:
    args: list[str | Path] = ["cms", "-encrypt", cipher, "-from", "alice@example.org"]
    args += ["-to", "bob@example.org", "-subject", "Secret"]
    return openssl(*args, *(pki_dir[r] for r in recipients), data=content)


def body_of(mail: bytes) -> bytes:
    """Drop the outer From/To/Subject lines openssl wrote, keeping the MIME entity."""
    head, _, rest = mail.partition(b"MIME-Version:")
    return b"MIME-Version:" + rest


class TestSigned:
    def test_detached_rsa_trusted(self, pki_dir, ctx) -> None:
        report = inspect_message(sign(pki_dir), ctx)
        sig = report.signature
        assert sig is not None
        assert sig.verdict is SignatureVerdict.GOOD
        assert sig.chain is ChainStatus.TRUSTED
        assert sig.from_match and sig.covers is Coverage.WHOLE
        assert sig.signer is not None and sig.signer.email == ("alice@example.org",)
        assert sig.is_trustworthy, sig.problems
        assert report.text.strip() == "Meet me at noon."
        assert report.from_addr == "alice@example.org" and report.subject == "Lunch"

    def test_opaque_ecdsa(self, pki_dir, ctx) -> None:
        mail = sign(pki_dir, "bob", sender="bob@example.org", extra=("-nodetach",))
        assert b"application/pkcs7-mime" in mail
        report = inspect_message(mail, ctx)
        assert report.signature is not None
        assert report.signature.verdict is SignatureVerdict.GOOD
        assert report.signature.signature_algorithm.startswith("ECDSA")
        assert "Meet me at noon." in report.text

    def test_tampered_body_is_bad(self, pki_dir, ctx) -> None:
        mail = sign(pki_dir).replace(b"Meet me at noon.", b"Meet me at nine.")
        report = inspect_message(mail, ctx)
        assert report.signature is not None
        assert report.signature.verdict is SignatureVerdict.BAD
        assert not report.signature.is_trustworthy

    def test_untrusted_root_names_it(self, pki_dir, ctx) -> None:
        report = inspect_message(sign(pki_dir, "rogue_alice", chain=False), ctx)
        sig = report.signature
        assert sig is not None and sig.verdict is SignatureVerdict.GOOD
        assert sig.chain is ChainStatus.UNTRUSTED
        assert any("Rogue Root CA" in p for p in sig.problems)

    def test_expired_signer(self, pki_dir, ctx) -> None:
        report = inspect_message(sign(pki_dir, "carol_expired", sender="carol@example.org"), ctx)
        assert report.signature is not None
        assert report.signature.chain is ChainStatus.EXPIRED

    def test_wrong_eku(self, pki_dir, ctx) -> None:
        report = inspect_message(sign(pki_dir, "dave_wrong_eku", sender="dave@example.org"), ctx)
        assert report.signature is not None
        assert report.signature.chain is ChainStatus.WRONG_USAGE

    def test_from_mismatch_is_flagged(self, pki_dir, ctx) -> None:
        report = inspect_message(sign(pki_dir, sender="mallory@evil.example"), ctx)
        sig = report.signature
        assert sig is not None and sig.verdict is SignatureVerdict.GOOD
        assert not sig.from_match and not sig.is_trustworthy
        assert any("mallory@evil.example" in p for p in sig.problems)

    def test_garbage_signature_is_error(self, pki_dir, ctx) -> None:
        mail = sign(pki_dir)
        head, sep, tail = mail.partition(b'Content-Disposition: attachment; filename="smime.p7s"')
        blob_end = tail.index(b"\n------")
        garbage = base64.encodebytes(b"\x30\x82\x01\x00not a signature at all" * 4)
        broken = head + sep + b"\n\n" + garbage + tail[blob_end:]
        report = inspect_message(broken, ctx)
        assert report.signature is not None
        assert report.signature.verdict is SignatureVerdict.ERROR
        assert "Meet me at noon." in report.text  # the rest of the message is still readable

    def test_zero_signers_is_error(self, pki_dir, ctx) -> None:
        der = sign(pki_dir, extra=("-outform", "DER", "-nodetach"))
        info = cms.ContentInfo.load(der)
        info["content"]["signer_infos"] = cms.SignerInfos([])
        mail = _opaque_mail(info.dump(force=True))
        report = inspect_message(mail, ctx)
        assert report.signature is not None
        assert report.signature.verdict is SignatureVerdict.ERROR

    def test_two_good_signers(self, pki_dir, ctx) -> None:
        extra = ("-signer", str(pki_dir["bob"]), "-inkey", str(pki_dir["bob.key"]))
        report = inspect_message(sign(pki_dir, extra=extra), ctx)
        sig = report.signature
        assert sig is not None and sig.verdict is SignatureVerdict.GOOD
        assert sig.signer_count == 2
        assert sig.signer is not None and sig.signer.email == ("alice@example.org",)

    def test_signer_copied_from_another_mail_is_bad(self, pki_dir, ctx) -> None:
        ours = cms.ContentInfo.load(sign(pki_dir, extra=("-outform", "DER", "-nodetach")))
        other = cms.ContentInfo.load(
            sign(
                pki_dir,
                "bob",
                content=BODY.replace(b"noon", b"dawn"),
                extra=("-outform", "DER", "-nodetach"),
            )
        )
        signers = list(ours["content"]["signer_infos"]) + list(other["content"]["signer_infos"])
        ours["content"]["signer_infos"] = cms.SignerInfos(signers)
        certs = list(ours["content"]["certificates"]) + list(other["content"]["certificates"])
        ours["content"]["certificates"] = cms.CertificateSet(certs)
        report = inspect_message(_opaque_mail(ours.dump(force=True)), ctx)
        assert report.signature is not None
        assert report.signature.verdict is SignatureVerdict.BAD

    def test_econtent_confusion_is_not_good(self, pki_dir, ctx) -> None:
        """A multipart/signed whose signature embeds other content vouches for nothing shown."""
        mail = sign(pki_dir)
        embedded = sign(
            pki_dir,
            content=BODY.replace(b"noon", b"midnight"),
            extra=("-outform", "DER", "-nodetach"),
        )
        head, sep, tail = mail.partition(b'Content-Disposition: attachment; filename="smime.p7s"')
        blob_end = tail.index(b"\n------")
        swapped = head + sep + b"\n\n" + base64.encodebytes(embedded) + tail[blob_end:]
        report = inspect_message(swapped, ctx)
        assert report.signature is not None
        assert report.signature.verdict is not SignatureVerdict.GOOD
        assert "noon" in report.text and "midnight" not in report.text

    def test_partial_signature(self, pki_dir, ctx) -> None:
        signed = body_of(sign(pki_dir))
        boundary = b"OUTER-BOUNDARY"
        mail = (
            b"From: alice@example.org\r\nSubject: partial\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n'
            b"--" + boundary + b"\r\nContent-Type: text/plain\r\n\r\nPay Mallory 1000 EUR.\r\n"
            b"--" + boundary + b"\r\n" + signed + b"\r\n--" + boundary + b"--\r\n"
        )
        report = inspect_message(mail, ctx)
        sig = report.signature
        assert sig is not None and sig.verdict is SignatureVerdict.GOOD
        assert sig.covers is Coverage.PARTIAL and not sig.is_trustworthy
        assert "Meet me at noon." in sig.signed_text and "Mallory" not in sig.signed_text
        signed_segments = [s.text for s in report.segments if s.signed]
        unsigned_segments = [s.text for s in report.segments if not s.signed]
        assert any("noon" in t for t in signed_segments)
        assert any("Mallory" in t for t in unsigned_segments)


def _opaque_mail(der: bytes) -> bytes:
    return (
        b"From: alice@example.org\r\nSubject: opaque\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(der)
    )


class TestEncrypted:
    @pytest.mark.parametrize(
        ("cipher", "algorithm", "authenticated"),
        [("-aes-256-cbc", "AES-256-CBC", False), ("-aes-256-gcm", "AES-256-GCM", True)],
    )
    def test_encrypted_to_us(self, pki_dir, ctx, cipher, algorithm, authenticated) -> None:
        report = inspect_message(encrypt(pki_dir, BODY, "alice", cipher=cipher), ctx)
        enc = report.encryption
        assert enc is not None and enc.status is EncryptionStatus.DECRYPTED
        assert enc.algorithm == algorithm and enc.authenticated is authenticated
        assert "Meet me at noon." in report.text
        assert report.signature is None
        # CBC without a signature inside: the user is told it is not integrity-protected
        assert any("altered" in p for p in enc.problems) is (not authenticated)

    def test_ec_recipient(self, pki_dir, ctx) -> None:
        report = inspect_message(encrypt(pki_dir, BODY, "bob", cipher="-aes-128-gcm"), ctx)
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.DECRYPTED

    def test_tampered_gcm_shows_nothing(self, pki_dir, ctx) -> None:
        mail = encrypt(pki_dir, BODY, "alice", cipher="-aes-256-gcm")
        head, _, b64 = mail.partition(b"\n\n")
        der = bytearray(base64.b64decode(b64))
        der[-3] ^= 0x01  # inside the authentication tag at the end
        tampered = head + b"\n\n" + base64.encodebytes(bytes(der))
        report = inspect_message(tampered, ctx)
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.ERROR
        assert report.text == "" and "noon" not in str(report.to_json())

    def test_for_someone_else(self, pki_dir, ctx) -> None:
        report = inspect_message(encrypt(pki_dir, BODY, "frank_p384"), ctx)
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.NO_KEY
        assert report.text == ""

    def test_signed_then_encrypted(self, pki_dir, ctx) -> None:
        inner = body_of(sign(pki_dir))
        report = inspect_message(encrypt(pki_dir, inner, "alice", cipher="-aes-256-gcm"), ctx)
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.DECRYPTED
        assert report.signature is not None and report.signature.is_trustworthy
        assert "Meet me at noon." in report.text

    def test_triple_wrap(self, pki_dir, ctx) -> None:
        inner = body_of(sign(pki_dir))
        middle = body_of(encrypt(pki_dir, inner, "alice"))
        report = inspect_message(sign(pki_dir, content=middle), ctx)
        assert report.signature is not None and report.signature.is_trustworthy
        assert not report.signature.over_ciphertext
        assert report.encryption is not None
        assert "Meet me at noon." in report.text

    def test_signature_over_ciphertext_only(self, pki_dir, ctx) -> None:
        middle = body_of(encrypt(pki_dir, BODY, "alice"))
        report = inspect_message(sign(pki_dir, content=middle), ctx)
        sig = report.signature
        assert sig is not None and sig.over_ciphertext and not sig.is_trustworthy
        assert any("encrypted data" in p for p in sig.problems)

    def test_encrypted_part_not_at_root_is_not_decrypted(self, pki_dir, ctx) -> None:
        encrypted = body_of(encrypt(pki_dir, BODY, "alice"))
        mail = (
            b"From: eve@example.net\r\nSubject: efail\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
            b"--B\r\nContent-Type: text/plain\r\n\r\nSee below:\r\n"
            b"--B\r\n" + encrypted + b"\r\n--B--\r\n"
        )
        report = inspect_message(mail, ctx)
        assert report.encryption is None
        assert "noon" not in report.text
        assert any("EFAIL" in p for p in report.problems)


class TestOther:
    def test_certs_only(self, pki_dir, ctx) -> None:
        der = openssl("crl2pkcs7", "-nocrl", "-certfile", pki_dir["alice"], "-outform", "DER")
        mail = (
            b"From: alice@example.org\r\nSubject: my certificate\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: application/pkcs7-mime; smime-type=certs-only; name=smime.p7c\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(der)
        )
        report = inspect_message(mail, ctx)
        assert report.signature is None
        assert [c.email for c in report.certificates] == [("alice@example.org",)]
        assert "alice@example.org" in report.text

    def test_not_a_message(self, ctx) -> None:
        with pytest.raises(InputError):
            inspect_message(b"", ctx)

    def test_plain_with_attachment_and_hostile_text(self, ctx) -> None:
        mail = (
            b"From: =?utf-8?q?Evil=1B]52;c;AAAA=07?= <e@x.example>\r\n"
            b"Subject: [bold]hi[/] \x1b[31mred\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
            b"--B\r\nContent-Type: text/plain\r\n\r\nbody \x1b]8;;http://x\x07link\xe2\x80\xae\r\n"
            b"--B\r\nContent-Type: application/octet-stream\r\n"
            b'Content-Disposition: attachment; filename="../../\x1b[2Jevil.sh"\r\n\r\n'
            b"xx\r\n--B--\r\n"
        )
        report = inspect_message(mail, ctx)
        everything = str(report.to_json())
        assert "\x1b" not in everything and "\x07" not in everything
        assert "<U+202E>" in report.text
        assert report.attachments[0].filename.endswith("evil.sh")
        assert "/" not in report.attachments[0].filename


class TestContextFromHome:
    def test_openpgp_signed_is_shown_unsigned(self, ctx) -> None:
        mail = (
            b"From: alice@example.org\r\nSubject: pgp\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/signed; boundary="P"; protocol="application/pgp-signature";'
            b" micalg=pgp-sha256\r\n\r\n--P\r\nContent-Type: text/plain\r\n\r\nPGP body\r\n"
            b"--P\r\nContent-Type: application/pgp-signature\r\n\r\n-----BEGIN PGP SIGNATURE-----"
            b"\r\nAAAA\r\n-----END PGP SIGNATURE-----\r\n--P--\r\n"
        )
        report = inspect_message(mail, ctx)
        assert report.signature is None
        assert "PGP body" in report.text and "BEGIN PGP" not in report.text
        assert any("OpenPGP" in p for p in report.problems)

    def test_signer_certificate_from_contacts(self, pki_dir, fixture_pki, home) -> None:
        """Mail signed without certificates verifies with the certificate stored in contacts."""
        from smimetui.core.pki.contacts import Contacts

        TrustStore(home).add(fixture_pki.root.cert_pem)
        mail = sign(pki_dir, extra=("-nocerts",), chain=False)
        bare = inspect_message(mail, InspectContext.from_home(home)).signature
        assert bare is not None and bare.verdict is SignatureVerdict.ERROR
        contacts = Contacts(home)
        contacts.add_intermediate(fixture_pki.intermediate.cert)
        contacts.add_certificate(fixture_pki.alice.cert, source="file", name="Alice")
        sig = inspect_message(mail, InspectContext.from_home(home)).signature
        assert sig is not None and sig.is_trustworthy, sig.problems

    def test_revocation_setting_from_config(self, home) -> None:
        from smimetui.core.settings.config import save_config

        assert not InspectContext.from_home(home).validator.fetch_revocation
        save_config(home, {"security": {"fetch_revocation": True}})
        assert InspectContext.from_home(home).validator.fetch_revocation
