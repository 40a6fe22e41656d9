"""Facts about a valid signature that still make it unsafe: a weak key, an impossible time.

The signatures verify and chain to the trusted fixture root; what is wrong is the key size
(NIST SP 800-57 Part 1 Table 2 and the CA/B Forum S/MIME Baseline Requirements §6.1.5: at least
2048-bit RSA, at least P-256) or the signingTime (RFC 5652 §11.3: when the signer signed; a
certificate vouches for nothing outside its validity, RFC 5280 §4.1.2.5).  Signatures are made
by our code and by ``openssl cms``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from smimetui.core.cms.sign import build_signed_data
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.keystrength import weak_key
from smimetui.core.pki.makecerts import Issued
from smimetui.core.read.inspect import inspect_message
from smimetui.core.read.report import SecurityReport, SignatureVerdict
from smimetui.core.read.wording import report_headline
from tests.support import crafted as mail
from tests.support.openssl import cms_sign, openssl, requires_openssl
from tests.support.pki import FixturePKI

TEXT = mail.entity("The contract is attached.\n")


@pytest.fixture(scope="module")
def weak_rsa(fixture_pki: FixturePKI) -> Issued:
    return pki.make_leaf(fixture_pki.intermediate, "alice@example.org", key_kind="rsa1024")


@pytest.fixture(scope="module")
def weak_ca(fixture_pki: FixturePKI) -> Issued:
    return pki.make_ca("Weak Intermediate CA", issuer=fixture_pki.root, key_kind="rsa1024")


def _caution(report: SecurityReport, words: str) -> None:
    sig = report.signature
    assert sig is not None
    assert sig.verdict is SignatureVerdict.GOOD and sig.chain is ChainStatus.TRUSTED
    assert sig.from_match and not sig.is_trustworthy
    assert report_headline(report).word != "Verified"
    assert any(words in p for p in sig.problems), sig.problems


class TestWeakKeys:
    def test_rsa_1024_signer(self, fixture_pki, ctx, weak_rsa) -> None:
        raw = mail.message(mail.signed(TEXT, mail.key_of(weak_rsa, fixture_pki.intermediate)))
        _caution(inspect_message(raw, ctx), "RSA 1024-bit")

    @requires_openssl
    def test_rsa_1024_signer_by_openssl(self, fixture_pki, ctx, weak_rsa, tmp_path: Path) -> None:
        cert, key, inter = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "i.pem"
        cert.write_bytes(weak_rsa.cert_pem)
        key.write_bytes(weak_rsa.key_pem())
        inter.write_bytes(fixture_pki.intermediate.cert_pem)
        der = cms_sign(TEXT, [(cert, key)], extra=["-certfile", inter])
        raw = mail.message(mail.multipart_signed(TEXT, der))
        _caution(inspect_message(raw, ctx), "RSA 1024-bit")

    @requires_openssl
    def test_rsa_512_signer_as_reported(self, fixture_pki, ctx) -> None:
        # the case in the issue; cryptography will not make a key this small, openssl will
        key = load_pem_private_key(openssl("genrsa", "512"), None)
        assert isinstance(key, rsa.RSAPrivateKey)
        weak = pki.make_leaf(fixture_pki.intermediate, "alice@example.org", key=key)
        raw = mail.message(mail.signed(TEXT, mail.key_of(weak, fixture_pki.intermediate)))
        _caution(inspect_message(raw, ctx), "RSA 512-bit")

    def test_weak_intermediate_in_the_chain(self, fixture_pki, ctx, weak_ca) -> None:
        # pyhanko's path validation already refuses the chain (its signature policy); the
        # problem names the certificate whose key is too small.
        signer = pki.make_leaf(weak_ca, "alice@example.org")
        report = inspect_message(mail.message(mail.signed(TEXT, mail.key_of(signer, weak_ca))), ctx)
        assert report.signature is not None and not report.signature.is_trustworthy
        assert any(
            "Weak Intermediate CA" in p and "RSA 1024-bit" in p for p in report.signature.problems
        )

    @pytest.mark.parametrize("who", ["alice", "bob"])  # RSA 2048, P-256
    def test_rsa_2048_and_p256_are_fine(self, fixture_pki, ctx, who: str) -> None:
        issued = getattr(fixture_pki, who)
        signed = mail.signed(TEXT, mail.key_of(issued, fixture_pki.intermediate))
        raw = mail.message(signed, sender=f"{who}@example.org")
        sig = inspect_message(raw, ctx).signature
        assert sig is not None and sig.is_trustworthy, sig.problems


class TestSigningTime:
    def _at(self, fixture_pki: FixturePKI, when: dt.datetime) -> bytes:
        der = build_signed_data(
            TEXT, mail.key_of(fixture_pki.alice, fixture_pki.intermediate), signing_time=when
        )
        return mail.message(mail.multipart_signed(TEXT, der))

    def test_in_the_future(self, fixture_pki, ctx) -> None:
        when = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        _caution(inspect_message(self._at(fixture_pki, when), ctx), "in the future")

    def test_before_the_certificate_was_valid(self, fixture_pki, ctx) -> None:
        start = fixture_pki.alice.cert.not_valid_before_utc
        report = inspect_message(self._at(fixture_pki, start - dt.timedelta(days=3)), ctx)
        _caution(report, "was not valid")

    def test_a_few_minutes_ahead_is_clock_skew(self, fixture_pki, ctx) -> None:
        when = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
        sig = inspect_message(self._at(fixture_pki, when), ctx).signature
        assert sig is not None and sig.is_trustworthy, sig.problems


class TestKeySizeRule:
    """The rule itself, for key kinds the verifier cannot even use (P-224 has no signature
    support here, so such a signer is already an error; a P-224 CA in a chain is named)."""

    @pytest.mark.parametrize(
        ("key", "expected"),
        [
            (lambda: ec.generate_private_key(ec.SECP224R1()), "EC 224-bit"),
            (lambda: ec.generate_private_key(ec.SECP256R1()), None),
            (lambda: pki.new_key("rsa1024"), "RSA 1024-bit"),
            (lambda: pki.new_key("rsa2048"), None),
        ],
    )
    def test_minimum_sizes(self, fixture_pki: FixturePKI, key, expected) -> None:  # type: ignore[no-untyped-def]
        issued = pki.make_leaf(fixture_pki.intermediate, "x@example.org", key=key())
        assert weak_key(mail.asn1(issued)) == expected
