"""NSS (Thunderbird's engine) and smimetui, both directions.

cmsutil's defaults are Thunderbird's: SHA-256 signatures with a signing time and
SMIMECapabilities, AES-CBC content encryption with RSA PKCS#1 v1.5 key transport.  NSS 3.87
(Debian 12) cannot envelope to an EC recipient (``cmsutil -E`` fails with
SEC_ERROR_INVALID_ALGORITHM: its CMS code has no ECDH key agreement) and cannot even parse a
message that has a KeyAgreeRecipientInfo among its recipients (SEC_ERROR_BAD_DER, for Bouncy
Castle's ECDH mail just as for ours), so mail to Thunderbird users on this NSS is readable only
when every recipient has an RSA certificate; the EC cases are expected failures of this NSS.
"""

from __future__ import annotations

import shutil

import pytest

from tests.support.nss import CMSUTIL, Decoded, NssFailed, NssPeer

from . import mime
from .ours import BODY, OurHome, assert_decrypted, assert_verified, make_home

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        CMSUTIL is None or shutil.which("pk12util") is None, reason="libnss3-tools not installed"
    ),
]

SIGNERS = {"alice": "alice@example.org", "bob": "bob@example.org"}  # RSA, P-256
ADDRESSES = {**SIGNERS, "ralph": "ralph@example.org"}


@pytest.fixture(scope="module")
def nss(fixture_pki, ralph, tmp_path_factory: pytest.TempPathFactory) -> NssPeer:  # type: ignore[no-untyped-def]
    peer = NssPeer(tmp_path_factory.mktemp("nss"), fixture_pki.root, fixture_pki.intermediate)
    peer.add_identity("alice", fixture_pki.alice)
    peer.add_identity("bob", fixture_pki.bob)
    peer.add_identity("ralph", ralph)
    return peer


def _no_ecdh(decoded: Decoded) -> None:
    if decoded.returncode != 0 and "SEC_ERROR_BAD_DER" in decoded.stderr:
        pytest.xfail("NSS 3.87 cannot parse a KeyAgreeRecipientInfo (ECDH recipient)")


def _signed(nss: NssPeer, who: str, to: str, *, detached: bool, body: str = BODY) -> bytes:
    entity = mime.text_entity(body)
    head = mime.headers(ADDRESSES[who], to, f"NSS signed by {who}")
    if detached:
        return head + mime.multipart_signed(entity, nss.sign(who, entity, detached=True))
    return head + mime.pkcs7_mime(nss.sign(who, entity, detached=False), "signed-data")


class TestWeReadNss:
    @pytest.mark.parametrize("detached", [True, False], ids=["detached", "opaque"])
    @pytest.mark.parametrize("who", list(SIGNERS))
    def test_signed(self, nss: NssPeer, ours: OurHome, who: str, detached: bool) -> None:
        report = ours.inspect(_signed(nss, who, "carol@example.org", detached=detached), "nss")
        assert_verified(report, SIGNERS[who])
        assert BODY in report["text"]

    def test_encrypted_to_rsa(self, nss: NssPeer, ours: OurHome) -> None:
        der = nss.encrypt(["alice@example.org"], mime.text_entity(BODY))
        data = mime.headers("bob@example.org", "alice@example.org", "NSS encrypted")
        report = ours.inspect(data + mime.pkcs7_mime(der, "enveloped-data"), "nss-enc")
        assert_decrypted(report)
        assert report["signature"] is None and BODY in report["text"]

    @pytest.mark.parametrize("who", list(SIGNERS))
    def test_signed_then_encrypted_to_rsa(self, nss: NssPeer, ours: OurHome, who: str) -> None:
        # Thunderbird: the multipart/signed entity, then enveloped as a whole (RFC 8551 §3.7)
        entity = mime.text_entity(BODY)
        signed = mime.multipart_signed(entity, nss.sign(who, entity, detached=True))
        der = nss.encrypt(["alice@example.org"], signed)
        data = mime.headers(SIGNERS[who], "alice@example.org", "NSS signed and encrypted")
        report = ours.inspect(data + mime.pkcs7_mime(der, "enveloped-data"), "nss-se")
        assert_decrypted(report)
        assert_verified(report, SIGNERS[who])

    def test_nss_cannot_encrypt_to_ec(self, nss: NssPeer) -> None:
        # The documented limit of this NSS: no ECDH recipients (so no EC mail from it to read).
        with pytest.raises(NssFailed, match="SEC_ERROR_INVALID_ALGORITHM"):
            nss.encrypt(["bob@example.org"], mime.text_entity(BODY))

    def test_altered_nss_signature_is_bad(self, nss: NssPeer, ours: OurHome) -> None:
        data = _signed(nss, "alice", "carol@example.org", detached=True)
        report = ours.inspect(data.replace(b"noon", b"dawn"), "nss-altered")
        assert report["signature"]["status"] == "bad"


class TestNssReadsOurs:
    @pytest.mark.parametrize("opaque", [False, True], ids=["detached", "opaque"])
    @pytest.mark.parametrize("who", list(SIGNERS))
    def test_signed(self, nss: NssPeer, ours: OurHome, who: str, opaque: bool) -> None:
        options = ("--opaque",) if opaque else ()
        data = ours.write(f"sig-{who}-{opaque}", SIGNERS[who], "carol@example.org", *options)
        if opaque:
            decoded = nss.decode(mime.p7m_der(data))
        else:
            content, signature = mime.signed_parts(data)
            decoded = nss.decode(signature, detached=content)
            decoded = type(decoded)(decoded.returncode, content, decoded.info, decoded.stderr)
        assert decoded.returncode == 0, decoded.stderr
        assert decoded.signer_statuses == ["GoodSignature"], decoded.info
        assert BODY.encode() in decoded.content

    def test_altered_signed_text_is_refused(self, nss: NssPeer, ours: OurHome) -> None:
        # The check above means something: NSS refuses our signature over altered text.
        content, signature = mime.signed_parts(ours.write("sig-alt", SIGNERS["alice"], "c@x.org"))
        decoded = nss.decode(signature, detached=content.replace(b"noon", b"dawn"))
        assert decoded.signer_statuses != ["GoodSignature"]

    @pytest.mark.parametrize("who", list(SIGNERS))
    def test_signed_and_encrypted(self, nss: NssPeer, ours: OurHome, who: str) -> None:
        # Alice (RSA) or Bob (P-256) to Ralph (RSA); the sender's own copy is in it too.
        data = ours.write(
            f"se-{who}", SIGNERS[who], "ralph@example.org", "--sign", command="encrypt"
        )
        decrypted = nss.decode(mime.p7m_der(data))
        if who == "bob":
            _no_ecdh(decrypted)  # Bob's own copy is an ECDH RecipientInfo
        assert decrypted.returncode == 0, decrypted.stderr
        assert mime.content_type(decrypted.content) == "multipart/signed"
        content, signature = mime.signed_parts(decrypted.content)
        verified = nss.decode(signature, detached=content)
        assert verified.signer_statuses == ["GoodSignature"], verified.info
        assert BODY.encode() in content

    def test_encrypted_only(self, nss: NssPeer, ours: OurHome) -> None:
        data = ours.write("enc-only", "alice@example.org", "ralph@example.org", command="encrypt")
        decrypted = nss.decode(mime.p7m_der(data))
        assert decrypted.returncode == 0, decrypted.stderr
        assert BODY.encode() in decrypted.content

    def test_encrypted_to_ec(self, nss: NssPeer, ours: OurHome) -> None:
        # Alice to Bob: Bob's RecipientInfo is ECDH (RFC 5753); NSS decrypts as Bob if it can.
        data = ours.write("enc-ec", "alice@example.org", "bob@example.org", command="encrypt")
        decoded = nss.decode(mime.p7m_der(data))
        _no_ecdh(decoded)
        assert decoded.returncode == 0, decoded.stderr
        assert BODY.encode() in decoded.content


class TestConversationWithThunderbird:
    def test_import_their_signed_mail_then_reply_encrypted(
        self, nss: NssPeer, fixture_pki, tmp_path
    ) -> None:  # type: ignore[no-untyped-def]
        # Alice knows nobody yet: Ralph's signed mail (certificate, intermediate and
        # SMIMECapabilities inside, as Thunderbird sends it) gives her his certificate, and her
        # encrypted reply is one that NSS decrypts and verifies (AES-CBC: NSS advertises no GCM).
        alice = make_home(tmp_path, fixture_pki, [fixture_pki.alice], [])
        signed = tmp_path / "from-ralph.eml"
        signed.write_bytes(_signed(nss, "ralph", "alice@example.org", detached=True))
        code, _, err = alice.cli("contacts", "import", signed)
        assert code == 0, err
        assert alice.cli("contacts", "show", "ralph@example.org")[0] == 0
        reply = alice.write(
            "reply", "alice@example.org", "ralph@example.org", "--sign", command="encrypt"
        )
        decrypted = nss.decode(mime.p7m_der(reply))
        assert decrypted.returncode == 0, decrypted.stderr
        content, signature = mime.signed_parts(decrypted.content)
        assert nss.decode(signature, detached=content).signer_statuses == ["GoodSignature"]
        assert BODY.encode() in content
