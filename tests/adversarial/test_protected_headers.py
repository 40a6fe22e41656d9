"""Protected headers (RFC 9788) as an attacker writes them: a From inside the payload.

The attacker holds a valid certificate from a trusted CA for his own address.  RFC 9788's
security considerations warn that protected header fields are only as good as the signature
over them; a protected From is an identity claim, so it may replace the outer From (the one the
receiving server checked) only when a signature by that sender vouches for it, and the signature
is always matched against the From that is displayed.
"""

from __future__ import annotations

import pytest

from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.makecerts import Issued
from smimetui.core.read.inspect import inspect_message
from smimetui.core.read.report import SecurityReport
from smimetui.core.read.wording import report_headline
from tests.support import crafted as mail
from tests.support.pki import FixturePKI

CEO = "CEO <ceo@example.org>"
MALLORY = "Mallory <mallory@evil.example>"


@pytest.fixture(scope="module")
def mallory(fixture_pki: FixturePKI) -> Issued:
    return pki.make_leaf(fixture_pki.intermediate, "mallory@evil.example", common_name="Mallory")


@pytest.fixture(scope="module")
def ceo(fixture_pki: FixturePKI) -> Issued:
    return pki.make_leaf(fixture_pki.intermediate, "ceo@example.org", common_name="CEO")


def _inner(hp: str, sender: str = CEO) -> bytes:
    return mail.entity(
        "Pay invoice 4711 today.\n",
        f'text/plain; charset=utf-8; hp="{hp}"',
        [f"From: {sender}", "To: alice@example.org", "Subject: urgent payment"],
    )


def _not_from_ceo_and_not_green(report: SecurityReport) -> None:
    assert report.from_addr == "mallory@evil.example"
    assert report.signature is not None
    assert not report.signature.is_trustworthy
    assert report_headline(report).word != "Verified"
    named = [p for p in report.signature.problems if "ceo@example.org" in p]
    assert named and "mallory@evil.example" in named[0]


class TestProtectedFromDoesNotReplaceTheSignerCheck:
    def test_detached(self, fixture_pki, ctx, mallory) -> None:
        signed = mail.signed(_inner("clear"), mail.key_of(mallory, fixture_pki.intermediate))
        _not_from_ceo_and_not_green(inspect_message(mail.message(signed, sender=MALLORY), ctx))

    def test_opaque(self, fixture_pki, ctx, mallory) -> None:
        signed = mail.opaque(_inner("clear"), mail.key_of(mallory, fixture_pki.intermediate))
        _not_from_ceo_and_not_green(inspect_message(mail.message(signed, sender=MALLORY), ctx))

    def test_signed_then_encrypted(self, fixture_pki, ctx, mallory) -> None:
        signed = mail.signed(_inner("cipher"), mail.key_of(mallory, fixture_pki.intermediate))
        raw = mail.message(mail.enveloped(signed, [fixture_pki.alice]), sender=MALLORY)
        _not_from_ceo_and_not_green(inspect_message(raw, ctx))

    def test_outer_from_ceo_too_is_a_mismatch(self, fixture_pki, ctx, mallory) -> None:
        signed = mail.signed(_inner("clear"), mail.key_of(mallory, fixture_pki.intermediate))
        report = inspect_message(mail.message(signed, sender=CEO), ctx)
        assert report.from_addr == "ceo@example.org"
        assert report.signature is not None and not report.signature.from_match
        assert report_headline(report).word == "Mismatch"


class TestUnsignedProtectedHeaders:
    def test_encrypted_unsigned_keeps_the_outer_from(self, fixture_pki, ctx) -> None:
        raw = mail.message(mail.enveloped(_inner("cipher"), [fixture_pki.alice]), sender=MALLORY)
        report = inspect_message(raw, ctx)
        assert report.from_addr == "mallory@evil.example"
        assert report.subject == "urgent payment"  # Subject, To, Cc still come from inside
        named = [p for p in report.problems if "ceo@example.org" in p]
        assert named and "mallory@evil.example" in named[0]

    def test_encrypted_unsigned_same_from_is_quiet(self, fixture_pki, ctx) -> None:
        inner = _inner("cipher", sender=MALLORY)
        raw = mail.message(mail.enveloped(inner, [fixture_pki.alice]), sender=MALLORY)
        report = inspect_message(raw, ctx)
        assert report.from_addr == "mallory@evil.example" and report.subject == "urgent payment"
        assert not any("protected" in p for p in report.problems)


class TestGenuineProtectedHeaders:
    def test_same_from_inside_and_outside_is_verified(self, fixture_pki, ctx, ceo) -> None:
        signed = mail.signed(_inner("clear"), mail.key_of(ceo, fixture_pki.intermediate))
        report = inspect_message(mail.message(signed, sender=CEO, subject="..."), ctx)
        assert report.from_addr == "ceo@example.org" and report.subject == "urgent payment"
        assert report.headers_protected
        assert report.signature is not None and report.signature.is_trustworthy

    def test_signed_protected_from_shown_with_both_named(self, fixture_pki, ctx, ceo) -> None:
        # a mailing list rewrote the outer From: the signer vouches for the protected one
        signed = mail.signed(_inner("clear"), mail.key_of(ceo, fixture_pki.intermediate))
        report = inspect_message(mail.message(signed, sender="List <list@lists.example>"), ctx)
        assert report.from_addr == "ceo@example.org"
        assert report.signature is not None and report.signature.from_match
        named = [p for p in report.signature.problems if "list@lists.example" in p]
        assert named and "ceo@example.org" in named[0]
        assert not report.signature.is_trustworthy
