"""GnuPG's gpgsm as a second independent S/MIME peer, in both directions.

smimetui -> gpgsm: what ``compose()`` writes verifies (``gpgsm --verify``) and decrypts
(``gpgsm --decrypt``). gpgsm -> smimetui: what ``gpgsm --sign/--detach-sign/--encrypt`` writes
reads through ``inspect_message``.

Debian's gpgsm 2.2 cannot do everything smimetui writes. Where it cannot, the test still runs
gpgsm and skips only when gpgsm fails with the error that limitation produces (and only on
GnuPG < 2.3, which is where those limitations were measured); any other failure fails the test:
* AES-GCM (AuthEnvelopedData) with a 16-byte tag: "error getting IV: Buffer too short". It
  decodes the GCM parameters only when aes-ICVlen is left at its default of 12 bytes.
* RSA-OAEP key transport: "error getting encrypted session key".
* ECDH key agreement (EC recipients): "decrypting session key failed: Invalid session key";
  ``gpgsm --encrypt`` refuses EC certificates ("Wrong key usage", it wants keyEncipherment).
ECDSA signatures use the digest that matches the curve (SHA-384 for P-384): gpgsm rejects a
shorter one ("a 256 bit hash is not valid for a 384 bit ECC key"); test_p384_signer guards that.
"""

from __future__ import annotations

import base64
import email
import re
import secrets
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import cast

import pytest

from smimetui.core.cms.encrypt import Preference, Recipient
from smimetui.core.cms.sign import SigningKey, SignOptions
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.keycandidates import StaticKeyCandidate
from smimetui.core.pki.makecerts import Issued
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.read.report import Coverage, EncryptionStatus, SignatureVerdict
from smimetui.core.write.sign_encrypt import ComposeOptions, compose
from tests.support.gpgsm import GPGSM, GpgsmHome, Result, build_home, gpgsm_version
from tests.support.pki import FixturePKI

pytestmark = pytest.mark.skipif(GPGSM is None, reason="gpgsm is not installed")

OLD_GPGSM = gpgsm_version() < (2, 3)
GCM_TAG_LIMIT = "error getting IV: Buffer too short"
OAEP_LIMIT = "error getting encrypted session key"
ECDH_LIMIT = "decrypting session key failed: Invalid session key"

DRAFT = (
    "From: Alice Liddell <alice@example.org>\n"
    "To: Bob <bob@example.org>, frank@example.org\n"
    "Subject: Quarterly numbers für Köln\n"
    "Keywords: secret-project\n"
    "Date: Mon, 02 Feb 2026 10:00:00 +0000\n"
    "Message-ID: <gpgsm-1@example.org>\n"
    "\n"
    "Hi Bob,\n"
    "the numbers are in.   \n"
    "From now on we meet weekly.\n"
).encode()
MODERN = ("aes256-gcm", "aes256-cbc", "rsaes-oaep")
BODY = b"Content-Type: text/plain; charset=utf-8\r\n\r\nMeet me at noon.\r\n"


@pytest.fixture(scope="module")
def gpg(fixture_pki: FixturePKI) -> Iterator[GpgsmHome]:
    home = build_home(
        roots=[fixture_pki.root],
        cas=[fixture_pki.intermediate],
        identities={
            "alice": fixture_pki.alice,
            "bob": fixture_pki.bob,
            "frank": fixture_pki.frank_p384,
        },
    )
    yield home
    home.close()


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory, fixture_pki: FixturePKI) -> InspectContext:
    from smimetui.core.settings.home import Home

    store = TrustStore(Home.at(tmp_path_factory.mktemp("home")), use_system=False)
    store.add(fixture_pki.root.cert_pem)
    keys = [
        StaticKeyCandidate(fixture_pki.alice.cert, fixture_pki.alice.key),
        StaticKeyCandidate(fixture_pki.bob.cert, fixture_pki.bob.key),
    ]
    return InspectContext(validator=ChainValidator(store), keys=keys)


def _signer(issued: Issued, fixture_pki: FixturePKI) -> SigningKey:
    return SigningKey(issued.cert, issued.key, (fixture_pki.intermediate.cert,))


def _recipients(fixture_pki: FixturePKI, caps: tuple[str, ...] | None = None) -> list[Recipient]:
    return [
        Recipient("bob@example.org", fixture_pki.bob.cert, caps),
        Recipient("frank@example.org", fixture_pki.frank_p384.cert, caps),
        Recipient("yourself", fixture_pki.alice.cert, is_self=True),
    ]


def _parse(data: bytes) -> EmailMessage:
    return cast(EmailMessage, email.message_from_bytes(data, policy=policy.default))


def _statuses(result: Result) -> set[str]:
    return set(re.findall(r"^\[GNUPG:\] (\w+)", result.stderr, re.M))


def _split_signed(data: bytes) -> tuple[bytes, bytes]:
    """The exact signed bytes and the DER signature of a multipart/signed message."""
    msg = email.message_from_bytes(data)
    boundary = msg.get_boundary()
    assert boundary is not None
    signed = data.split(b"--" + boundary.encode() + b"\r\n")[1].removesuffix(b"\r\n")
    parts = msg.get_payload()
    assert isinstance(parts, list) and isinstance(parts[1], email.message.Message)
    signature = parts[1].get_payload(decode=True)
    assert isinstance(signature, bytes)
    return signed, signature


def _der(data: bytes) -> bytes:
    """The DER of an application/pkcs7-mime message."""
    msg = email.message_from_bytes(data)
    assert msg.get_content_type() == "application/pkcs7-mime"
    der = msg.get_payload(decode=True)
    assert isinstance(der, bytes)
    return der


def gpgsm_verify_detached(gpg: GpgsmHome, data: bytes) -> Result:
    signed, signature = _split_signed(data)
    sig_path = gpg.write("sig.p7s", signature)
    content_path = gpg.write("content.eml", signed)
    return gpg.run("--status-fd", "2", "--verify", sig_path, content_path, check=False)


def gpgsm_verify_opaque(gpg: GpgsmHome, data: bytes) -> Result:
    path = gpg.write("opaque.p7m", _der(data))
    return gpg.run("--status-fd", "2", "--output", "-", "--verify", path, check=False)


def gpgsm_decrypt(gpg: GpgsmHome, data: bytes) -> Result:
    path = gpg.write("enc.p7m", _der(data))
    return gpg.run("--status-fd", "2", "--output", "-", "--decrypt", path, check=False)


def assert_good(result: Result) -> None:
    statuses = _statuses(result)
    assert result.returncode == 0, result.stderr
    assert {"GOODSIG", "VALIDSIG", "TRUST_FULLY"} <= statuses, result.stderr
    assert "BADSIG" not in statuses and "ERRSIG" not in statuses


def decrypted_or_skip(result: Result, *limits: str) -> bytes:
    """The plaintext; skip only for a known gpgsm 2.2 limitation, fail for anything else."""
    if result.returncode != 0 and OLD_GPGSM:
        for limit in limits:
            if limit in result.stderr:
                pytest.skip(f"gpgsm {'.'.join(map(str, gpgsm_version()))} cannot: {limit}")
    assert result.returncode == 0, result.stderr
    assert "DECRYPTION_OKAY" in _statuses(result), result.stderr
    return result.stdout


class TestGpgsmVerifiesOurSignatures:
    @pytest.mark.parametrize("who", ["alice", "bob"])
    def test_detached_with_protected_headers(self, gpg, fixture_pki, who) -> None:  # type: ignore[no-untyped-def]
        out = compose(DRAFT, signer=_signer(getattr(fixture_pki, who), fixture_pki))
        assert_good(gpgsm_verify_detached(gpg, out.data))
        signed, _ = _split_signed(out.data)
        inner = _parse(signed)
        assert inner.get_param("hp") == "clear"
        assert inner["Subject"] == "Quarterly numbers für Köln"

    @pytest.mark.parametrize("who", ["alice", "bob"])
    def test_opaque(self, gpg, fixture_pki, who) -> None:  # type: ignore[no-untyped-def]
        out = compose(
            DRAFT,
            signer=_signer(getattr(fixture_pki, who), fixture_pki),
            options=ComposeOptions(opaque=True),
        )
        result = gpgsm_verify_opaque(gpg, out.data)
        assert_good(result)
        inner = _parse(result.stdout)
        assert inner.get_param("hp") == "clear"
        assert "From now on" in inner.get_content()

    def test_p384_signer(self, gpg, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        out = compose(DRAFT, signer=_signer(fixture_pki.frank_p384, fixture_pki))
        assert_good(gpgsm_verify_detached(gpg, out.data))

    def test_rsa_pss(self, gpg, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        out = compose(
            DRAFT,
            signer=_signer(fixture_pki.alice, fixture_pki),
            options=ComposeOptions(sign_options=SignOptions(rsa_pss=True)),
        )
        result = gpgsm_verify_detached(gpg, out.data)
        if OLD_GPGSM and result.returncode != 0 and "GOODSIG" not in result.stderr:
            pytest.skip(f"gpgsm 2.2 does not verify RSASSA-PSS: {result.stderr.strip()}")
        assert_good(result)

    def test_altered_content_is_a_bad_signature(self, gpg, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        out = compose(DRAFT, signer=_signer(fixture_pki.alice, fixture_pki))
        result = gpgsm_verify_detached(gpg, out.data.replace(b"weekly", b"daily!"))
        assert result.returncode != 0
        assert "BADSIG" in _statuses(result)


class TestGpgsmDecryptsOurMail:
    def test_sign_then_encrypt_cbc_to_rsa_and_ec_and_self(self, gpg, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        # Alice's Sent copy: she is "yourself" next to two EC recipients.
        out = compose(
            DRAFT,
            signer=_signer(fixture_pki.alice, fixture_pki),
            recipients=_recipients(fixture_pki),
            options=ComposeOptions(encrypt=True),
        )
        assert out.encryption is not None and out.encryption.cipher == "AES-256-CBC"
        outer = _parse(out.data)
        assert outer["Subject"] == "[...]" and outer["Keywords"] is None
        signed = decrypted_or_skip(gpgsm_decrypt(gpg, out.data))
        assert _parse(signed).get_content_type() == "multipart/signed"
        assert_good(gpgsm_verify_detached(gpg, signed))
        inner = _parse(_split_signed(signed)[0])
        assert inner.get_param("hp") == "cipher"
        assert inner["Subject"] == "Quarterly numbers für Köln"
        assert "Subject: [...]" in (inner.get_all("HP-Outer") or [])

    def test_to_rsa_recipient_from_ec_signer(self, gpg, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        draft = DRAFT.replace(b"From: Alice Liddell <alice@example.org>", b"From: bob@example.org")
        out = compose(
            draft,
            signer=_signer(fixture_pki.bob, fixture_pki),
            recipients=[
                Recipient("alice@example.org", fixture_pki.alice.cert),
                Recipient("yourself", fixture_pki.bob.cert, is_self=True),
            ],
            options=ComposeOptions(encrypt=True),
        )
        signed = decrypted_or_skip(gpgsm_decrypt(gpg, out.data))
        assert_good(gpgsm_verify_detached(gpg, signed))

    def test_encrypt_only_without_header_protection(self, gpg, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        out = compose(
            DRAFT,
            recipients=[Recipient("alice@example.org", fixture_pki.alice.cert)],
            options=ComposeOptions(sign=False, encrypt=True, protect_headers=False),
        )
        inner = _parse(decrypted_or_skip(gpgsm_decrypt(gpg, out.data)))
        assert inner.get_param("hp") is None and inner["Subject"] is None
        assert "weekly" in inner.get_content()

    def test_opaque_signed_inside(self, gpg, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        out = compose(
            DRAFT,
            signer=_signer(fixture_pki.alice, fixture_pki),
            recipients=_recipients(fixture_pki),
            options=ComposeOptions(encrypt=True, opaque=True),
        )
        opaque = decrypted_or_skip(gpgsm_decrypt(gpg, out.data))
        result = gpgsm_verify_opaque(gpg, opaque)
        assert_good(result)
        assert _parse(result.stdout).get_param("hp") == "cipher"

    @pytest.mark.parametrize("who", ["bob", "frank_p384"])
    def test_cbc_to_ec_recipient(self, gpg, fixture_pki, who) -> None:  # type: ignore[no-untyped-def]
        issued = getattr(fixture_pki, who)
        out = compose(
            DRAFT,
            signer=_signer(fixture_pki.alice, fixture_pki),
            recipients=[Recipient(who, issued.cert)],
            options=ComposeOptions(encrypt=True),
        )
        signed = decrypted_or_skip(gpgsm_decrypt(gpg, out.data), ECDH_LIMIT)
        assert_good(gpgsm_verify_detached(gpg, signed))

    @pytest.mark.parametrize("who", ["alice", "bob"])
    def test_gcm(self, gpg, fixture_pki, who) -> None:  # type: ignore[no-untyped-def]
        issued = getattr(fixture_pki, who)
        out = compose(
            DRAFT,
            signer=_signer(fixture_pki.alice, fixture_pki),
            recipients=[Recipient(who, issued.cert, MODERN)],
            options=ComposeOptions(encrypt=True, preference=Preference.GCM),
        )
        assert out.encryption is not None and out.encryption.cipher == "AES-256-GCM"
        result = gpgsm_decrypt(gpg, out.data)
        signed = decrypted_or_skip(result, GCM_TAG_LIMIT, OAEP_LIMIT, ECDH_LIMIT)
        assert_good(gpgsm_verify_detached(gpg, signed))


def _multipart_signed(content: bytes, signature: bytes, headers: bytes) -> bytes:
    boundary = b"gpgsm-" + secrets.token_hex(8).encode()
    sig_b64 = base64.encodebytes(signature).replace(b"\n", b"\r\n")
    return (
        headers + b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
        b'micalg=sha-256; boundary="' + boundary + b'"\r\n\r\n'
        b"--" + boundary + b"\r\n" + content + b"\r\n"
        b"--" + boundary + b"\r\n"
        b'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + sig_b64 + b"\r\n"
        b"--" + boundary + b"--\r\n"
    )  # fmt: skip


def _pkcs7_mime(der: bytes, smime_type: str, headers: bytes) -> bytes:
    return (
        headers + b"MIME-Version: 1.0\r\n"
        b"Content-Type: application/pkcs7-mime; smime-type=" + smime_type.encode()
        + b'; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(der).replace(b"\n", b"\r\n")
    )  # fmt: skip


def _headers(sender: str, subject: str = "Lunch") -> bytes:
    return f"From: {sender}\r\nTo: bob@example.org\r\nSubject: {subject}\r\n".encode()


def _gpgsm_sign(gpg: GpgsmHome, who: str, content: bytes, *, detached: bool) -> bytes:
    mode = "--detach-sign" if detached else "--sign"
    return gpg.run("--digest-algo", "SHA256", "-u", who, mode, stdin=content).stdout


class TestWeReadGpgsmMail:
    @pytest.mark.parametrize("who", ["alice@example.org", "bob@example.org"])
    def test_detached_signature(self, gpg, ctx, who) -> None:  # type: ignore[no-untyped-def]
        signature = _gpgsm_sign(gpg, who, BODY, detached=True)
        report = inspect_message(_multipart_signed(BODY, signature, _headers(who)), ctx)
        sig = report.signature
        assert sig is not None
        assert sig.verdict is SignatureVerdict.GOOD, sig.problems
        assert sig.chain is ChainStatus.TRUSTED, sig.problems
        assert sig.from_match and sig.covers is Coverage.WHOLE
        assert sig.is_trustworthy, sig.problems
        assert report.text.strip() == "Meet me at noon."

    def test_opaque_signature(self, gpg, ctx) -> None:  # type: ignore[no-untyped-def]
        der = _gpgsm_sign(gpg, "alice@example.org", BODY, detached=False)
        report = inspect_message(
            _pkcs7_mime(der, "signed-data", _headers("alice@example.org")), ctx
        )
        assert report.signature is not None and report.signature.is_trustworthy
        assert "Meet me at noon." in report.text

    def test_altered_content_is_bad(self, gpg, ctx) -> None:  # type: ignore[no-untyped-def]
        signature = _gpgsm_sign(gpg, "alice@example.org", BODY, detached=True)
        altered = BODY.replace(b"noon", b"nine")
        report = inspect_message(_multipart_signed(altered, signature, _headers("alice")), ctx)
        assert report.signature is not None
        assert report.signature.verdict is SignatureVerdict.BAD
        assert not report.signature.is_trustworthy

    @pytest.mark.parametrize(
        ("cipher", "algorithm"), [("AES128", "AES-128-CBC"), ("AES256", "AES-256-CBC")]
    )
    def test_encrypted_to_rsa(self, gpg, ctx, cipher, algorithm) -> None:  # type: ignore[no-untyped-def]
        der = gpg.run(
            "--cipher-algo", cipher, "-r", "alice@example.org", "--encrypt", stdin=BODY
        ).stdout
        report = inspect_message(_pkcs7_mime(der, "enveloped-data", _headers("bob")), ctx)
        enc = report.encryption
        assert enc is not None and enc.status is EncryptionStatus.DECRYPTED, enc
        assert enc.algorithm == algorithm and not enc.authenticated
        assert enc.key_management == "RSA PKCS#1 v1.5"
        assert "Meet me at noon." in report.text

    def test_signed_then_encrypted(self, gpg, ctx) -> None:  # type: ignore[no-untyped-def]
        signature = _gpgsm_sign(gpg, "bob@example.org", BODY, detached=True)
        inner = _multipart_signed(BODY, signature, b"")
        der = gpg.run("-r", "alice@example.org", "--encrypt", stdin=inner).stdout
        mail = _pkcs7_mime(der, "enveloped-data", _headers("bob@example.org", "[...]"))
        report = inspect_message(mail, ctx)
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.DECRYPTED
        assert report.signature is not None and report.signature.is_trustworthy
        assert "Meet me at noon." in report.text

    def test_encrypted_to_someone_else(self, gpg, ctx, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        # gpgsm encrypts to Alice only; a reader holding only Bob's key must say so.
        der = gpg.run("-r", "alice@example.org", "--encrypt", stdin=BODY).stdout
        only_bob = InspectContext(
            validator=ctx.validator,
            keys=[StaticKeyCandidate(fixture_pki.bob.cert, fixture_pki.bob.key)],
        )
        report = inspect_message(_pkcs7_mime(der, "enveloped-data", _headers("x")), only_bob)
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.NO_KEY
        assert report.text == ""

    def test_encrypted_to_ec_recipient(self, gpg, ctx) -> None:  # type: ignore[no-untyped-def]
        result = gpg.run("-r", "bob@example.org", "--encrypt", stdin=BODY, check=False)
        if result.returncode != 0 and OLD_GPGSM and "Wrong key usage" in result.stderr:
            pytest.skip("gpgsm 2.2 refuses keyAgreement-only EC certificates: Wrong key usage")
        assert result.returncode == 0, result.stderr
        report = inspect_message(_pkcs7_mime(result.stdout, "enveloped-data", b""), ctx)
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.DECRYPTED
