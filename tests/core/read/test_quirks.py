"""Mail as other programs write it, reproduced with our own keys.

Each test names the program whose habit it reproduces; the expectation comes from the standard
or from that program's documented behaviour, never from our own output.  CMS is made by
``openssl cms`` (and gpgsm where named), the MIME around it as the named program writes it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.cms.sign import SigningKey, SignOptions, build_signed_data
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.keycandidates import StaticKeyCandidate
from smimetui.core.pki.keystore import Keystore
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.read.report import EncryptionStatus, SignatureVerdict
from smimetui.core.read.wording import report_headline
from smimetui.core.settings.home import Home
from tests.support import crafted as mail
from tests.support.openssl import cms_encrypt, cms_sign, requires_openssl
from tests.support.pki import FixturePKI

pytestmark = [requires_openssl]

ALICE = "Alice Liddell <alice@example.org>"


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory, fixture_pki: FixturePKI) -> InspectContext:
    store = TrustStore(Home.at(tmp_path_factory.mktemp("quirks")), use_system=False)
    store.add(fixture_pki.root.cert_pem)
    keys = [StaticKeyCandidate(fixture_pki.alice.cert, fixture_pki.alice.key)]
    return InspectContext(validator=ChainValidator(store), keys=keys)


def _openssl_signed(pki_dir: dict[str, Path], content: bytes, signer: str = "alice") -> bytes:
    """A multipart/signed entity whose detached signature openssl made (with the chain)."""
    der = cms_sign(
        content,
        [(pki_dir[signer], pki_dir[f"{signer}.key"])],
        extra=["-certfile", pki_dir["intermediate"]],
    )
    return mail.multipart_signed(content, der)


def _openssl_enveloped_der(pki_dir: dict[str, Path], content: bytes) -> bytes:
    return cms_encrypt(content, [pki_dir["alice"]], cipher="-aes-256-cbc")


class TestThunderbirdProtectedHeadersV1:
    """draft-autocrypt-lamps-protected-headers-02 (Thunderbird 78+, K-9, Enigmail): the real
    headers sit on the inner root part marked protected-headers="v1"; the outer Subject is
    "..."; a text/rfc822-headers part with protected-headers="v1" repeats them for old readers
    and is not shown by a reader that displays the protected headers."""

    def _inner(self) -> bytes:
        legacy = mail.entity(
            "Subject: the real subject\n",
            'text/rfc822-headers; protected-headers="v1"',
            ["Content-Disposition: inline"],
        )
        text = mail.entity("See you at the harbour.\n")
        head = (
            'Content-Type: multipart/mixed; boundary="tb-v1"; protected-headers="v1"\r\n'
            f"From: {ALICE}\r\nTo: bob@example.org\r\nSubject: the real subject\r\n"
        ).encode()
        body = mail.multipart("mixed", [legacy, text], "tb-v1").split(b"\r\n\r\n", 1)[1]
        return head + b"\r\n" + body

    def test_signed_and_encrypted(self, pki_dir, fixture_pki, ctx) -> None:
        signed = _openssl_signed(pki_dir, self._inner())
        der = _openssl_enveloped_der(pki_dir, signed)
        raw = mail.message(
            mail.pkcs7_mime(der, "enveloped-data"),
            [f"From: {ALICE}", "To: bob@example.org", "Subject: ..."],
        )
        report = inspect_message(raw, ctx)
        assert report.subject == "the real subject"
        assert report.headers_protected
        assert "Subject:" not in report.text and "See you at the harbour." in report.text
        assert report.signature is not None and report.signature.is_trustworthy


class TestRfc9788LegacyDisplay:
    """RFC 9788 (Legacy Display): a part marked hp-legacy-display="1" starts with a Legacy Display
    Element (header lines, then a blank line) that a reader rendering the protected headers
    omits."""

    def test_text_plain(self, pki_dir, ctx) -> None:
        inner = mail.entity(
            "Subject: the real subject\n\nSee you at the harbour.\n",
            'text/plain; charset=utf-8; hp="cipher"; hp-legacy-display="1"',
            [f"From: {ALICE}", "To: bob@example.org", "Subject: the real subject"],
        )
        signed = _openssl_signed(pki_dir, inner)
        der = _openssl_enveloped_der(pki_dir, signed)
        raw = mail.message(
            mail.pkcs7_mime(der, "enveloped-data"),
            [f"From: {ALICE}", "To: bob@example.org", "Subject: [...]"],
        )
        report = inspect_message(raw, ctx)
        assert report.subject == "the real subject"
        assert report.text.strip() == "See you at the harbour."

    def test_html(self, pki_dir, ctx) -> None:
        html = (
            '<html><body><div class="header-protection-legacy-display">'
            "<pre>Subject: the real subject</pre></div><p>See you at the harbour.</p>"
            "</body></html>\n"
        )
        inner = mail.entity(
            html,
            'text/html; charset=utf-8; hp="clear"; hp-legacy-display="1"',
            [f"From: {ALICE}", "Subject: the real subject"],
        )
        raw = mail.message(_openssl_signed(pki_dir, inner), sender=ALICE, subject="[...]")
        report = inspect_message(raw, ctx)
        assert "Subject:" not in report.text and "See you at the harbour." in report.text


@pytest.mark.skipif(shutil.which("gpgsm") is None, reason="gpgsm is not installed")
class TestGpgsmWithoutCertificates:
    """gpgsm --include-certs 0 (KMail's setting "do not include certificates") sends no
    certificate at all; RFC 5652 §5.1 makes the certificates field optional and the receiver
    finds the signer's certificate by other means: a self-signed certificate the user trusts
    is one of them."""

    def test_self_signed_signer_the_user_trusts(self, home: Home) -> None:
        from tests.support.gpgsm import build_home, colon_fingerprint

        sam = pki.make_leaf(None, "sam@example.net", common_name="Sam")
        content = mail.entity("Signed by gpgsm.\n")
        gpg = build_home([sam], [], {"sam": sam})
        try:
            result = gpg.run(
                "--include-certs", "0", "--detach-sign",
                "--local-user", colon_fingerprint(sam.cert),
                stdin=content,
            )  # fmt: skip
        finally:
            gpg.close()
        TrustStore(home).add(sam.cert_pem)
        raw = mail.message(mail.multipart_signed(content, result.stdout), sender="sam@example.net")
        report = inspect_message(raw, InspectContext.from_home(home, fetch_revocation=False))
        sig = report.signature
        assert sig is not None and sig.certificates == ()
        assert sig.verdict is SignatureVerdict.GOOD and sig.chain is ChainStatus.TRUSTED
        assert sig.signer is not None and sig.signer.email == ("sam@example.net",)
        assert sig.from_match

    def test_your_own_certificate(self, home: Home, fixture_pki: FixturePKI) -> None:
        # mail you sent yourself from KMail, read back here: your ID is the signer
        TrustStore(home).add(fixture_pki.root.cert_pem)
        alice = fixture_pki.alice
        Keystore(home).add(alice.cert, alice.key, [fixture_pki.intermediate.cert], b"pass")
        content = mail.entity("Note to self.\n")
        signer = SigningKey(cert=alice.cert, key=alice.key, chain=())
        der = build_signed_data(content, signer, options=SignOptions(include_certs=False))
        raw = mail.message(mail.multipart_signed(content, der))
        report = inspect_message(raw, InspectContext.from_home(home, fetch_revocation=False))
        assert report.signature is not None and report.signature.is_trustworthy


class TestDotNetMislabelled:
    """.NET's EnvelopedCms output sent as application/pkcs7-mime; smime-type=signed-data: the
    CMS contentType (RFC 5652 §3) says EnvelopedData, and RFC 8551 §3.2.2 makes smime-type only a
    hint.  It decrypts, and the wrong label is only a note."""

    def test_enveloped_data_labelled_signed_data(self, pki_dir, ctx) -> None:
        signed = _openssl_signed(pki_dir, mail.entity("Quarterly figures attached.\n"))
        der = _openssl_enveloped_der(pki_dir, signed)
        raw = mail.message(mail.pkcs7_mime(der, "signed-data"), sender=ALICE)
        report = inspect_message(raw, ctx)
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.DECRYPTED
        assert "Quarterly figures attached." in report.text
        sig = report.signature
        assert sig is not None and sig.is_trustworthy
        assert any("smime-type=signed-data" in n for n in sig.notes)


class TestOutlookCapitalisedFrom:
    """Outlook writes the address as typed (Alice@EXAMPLE.org); Outlook and NSS (Thunderbird)
    match the signer's certificate address case-insensitively, so this genuine mail is
    verified, not a possible forgery."""

    def test_capitalised_from_is_verified(self, pki_dir, ctx) -> None:
        signed = _openssl_signed(pki_dir, mail.entity("Hello Bob.\n"))
        raw = mail.message(signed, sender="Alice Liddell <Alice@EXAMPLE.org>")
        report = inspect_message(raw, ctx)
        assert report.signature is not None and report.signature.from_match
        assert report_headline(report).word == "Verified"


class TestBareP7m:
    """A saved smime.p7m: the CMS alone (openssl cms -outform DER/PEM writes exactly this), no
    mail headers.  Read as the application/pkcs7-mime root it was cut from (RFC 8551 §3.2.1)."""

    @pytest.mark.parametrize("outform", ["DER", "PEM"])
    def test_encrypted(self, pki_dir, ctx, outform: str) -> None:
        data = cms_encrypt(mail.entity("Saved and opened on its own.\n"), [pki_dir["alice"]],
                           outform=outform)  # fmt: skip
        report = inspect_message(data, ctx)
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.DECRYPTED
        assert "Saved and opened on its own." in report.text

    def test_signed_by_cli(self, pki_dir, home: Home, fixture_pki, tmp_path: Path, capsys) -> None:
        TrustStore(home).add(fixture_pki.root.cert_pem)
        content = mail.entity("An opaque signature, saved.\n")
        der = cms_sign(
            content,
            [(pki_dir["alice"], pki_dir["alice.key"])],
            detached=False,
            extra=["-certfile", pki_dir["intermediate"]],
        )
        path = tmp_path / "smime.p7m"
        path.write_bytes(der)
        assert main(["inspect", str(path), "--json"]) == 0
        out = capsys.readouterr().out
        assert "An opaque signature, saved." in out and '"status": "good"' in out

    def test_not_cms_is_still_refused(self, ctx) -> None:
        from smimetui.core.errors import MimeError

        with pytest.raises(MimeError):
            inspect_message(b"\x30\x03\x02\x01\x00", ctx)


class TestBareP7sWithContent:
    """A detached signature saved as ``.p7s`` beside the file it signs, as ``openssl cms -sign
    -binary`` writes it: the signature covers exactly the file's bytes (RFC 5652 §5.4 digests
    the content as given), so it verifies over those bytes and over nothing else."""

    BLOB = b"%PDF-1.7\n\x00\xff\xfe binary document \r\n\x01"

    def _files(self, pki_dir, tmp_path: Path, outform: str = "DER") -> tuple[Path, Path]:
        sig = cms_sign(
            self.BLOB,
            [(pki_dir["alice"], pki_dir["alice.key"])],
            outform=outform,
            extra=["-certfile", pki_dir["intermediate"]],
        )
        (tmp_path / "doc.pdf").write_bytes(self.BLOB)
        (tmp_path / "doc.pdf.p7s").write_bytes(sig)
        return tmp_path / "doc.pdf.p7s", tmp_path / "doc.pdf"

    @pytest.mark.parametrize("outform", ["DER", "PEM"])
    def test_good_over_the_exact_bytes(self, pki_dir, ctx, tmp_path: Path, outform) -> None:
        sig, doc = self._files(pki_dir, tmp_path, outform)
        report = inspect_message(sig.read_bytes(), ctx, detached_content=doc.read_bytes())
        assert report.signature is not None
        assert report.signature.verdict is SignatureVerdict.GOOD
        assert report.signature.chain is ChainStatus.TRUSTED
        assert [a.data for a in report.attachments] == [self.BLOB]

    def test_other_bytes_are_bad(self, pki_dir, ctx, tmp_path: Path) -> None:
        sig, _ = self._files(pki_dir, tmp_path)
        report = inspect_message(sig.read_bytes(), ctx, detached_content=self.BLOB + b" ")
        assert report.signature is not None
        assert report.signature.verdict is SignatureVerdict.BAD

    def test_cli(self, pki_dir, home: Home, fixture_pki, tmp_path: Path, capsys) -> None:
        TrustStore(home).add(fixture_pki.root.cert_pem)
        sig, doc = self._files(pki_dir, tmp_path)
        assert main(["inspect", str(sig), "--content", str(doc), "--json"]) == 0
        out = capsys.readouterr().out
        assert '"status": "good"' in out and '"chain": "trusted"' in out


class TestProtectedSubjectOnly:
    """Some writers of protected-headers="v1" (early Enigmail) copy only the Subject inside: the
    Subject comes from inside, the From stays the outer one, and nothing is said about a From
    that was not protected."""

    def test_subject_only(self, pki_dir, ctx) -> None:
        inner = mail.entity(
            "Hidden subject inside.\n",
            'text/plain; charset=utf-8; protected-headers="v1"',
            ["Subject: the real subject"],
        )
        raw = mail.message(_openssl_signed(pki_dir, inner), sender=ALICE, subject="...")
        report = inspect_message(raw, ctx)
        assert report.subject == "the real subject" and report.from_addr == "alice@example.org"
        assert report.signature is not None and report.signature.is_trustworthy
