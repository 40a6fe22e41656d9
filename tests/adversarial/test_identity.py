"""Identity spoofing: who the message claims to be from versus who signed it.

The signature is valid in every test here (made with a certificate from the trusted fixture CA,
as an attacker can get one for their own address from any public CA); what is attacked is the
user's reading of the sender.
"""

from __future__ import annotations

import pytest

from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.makecerts import Issued
from smimetui.core.read.inspect import inspect_message
from smimetui.core.read.report import SecurityReport, SignatureVerdict
from smimetui.core.read.senders import reply_to_mismatch
from smimetui.core.read.wording import report_headline
from tests.support import crafted as mail
from tests.support.pki import FixturePKI

TEXT = mail.entity("Please send me the quarterly figures.\n")


def _puny(domain_label: str) -> str:
    return "xn--" + domain_label.encode("punycode").decode("ascii")


MIXED_LABEL = "ex\u0430mple"  # Latin with one Cyrillic а
WHOLE_CYRILLIC = "\u0430\u0440\u0440\u04cf\u0435"  # "аррӏе": every letter Cyrillic


@pytest.fixture(scope="module")
def mallory(fixture_pki: FixturePKI) -> Issued:
    return pki.make_leaf(fixture_pki.intermediate, "mallory@evil.example", common_name="Mallory")


@pytest.fixture(scope="module")
def lookalike(fixture_pki: FixturePKI) -> Issued:
    """A trusted certificate for alice@<Latin/Cyrillic mix>.org (in punycode, as CAs issue it)."""
    return pki.make_leaf(fixture_pki.intermediate, f"alice@{_puny(MIXED_LABEL)}.org")


@pytest.fixture(scope="module")
def whole_script(fixture_pki: FixturePKI) -> Issued:
    return pki.make_leaf(fixture_pki.intermediate, f"billing@{_puny(WHOLE_CYRILLIC)}.com")


def _signed(signer: Issued, pki_: FixturePKI, headers: list[str]) -> bytes:
    return mail.message(mail.signed(TEXT, mail.key_of(signer, pki_.intermediate)), headers)


def _inspect(ctx, signer: Issued, pki_: FixturePKI, *headers: str) -> SecurityReport:
    return inspect_message(_signed(signer, pki_, [*headers, "Subject: figures"]), ctx)


def _not_green(report: SecurityReport) -> None:
    assert report.signature is not None
    assert not report.signature.is_trustworthy
    assert report_headline(report).word != "Verified"


def test_from_differs_from_signer(fixture_pki, ctx, mallory) -> None:
    # Naive: "signed, verified" because the signature is valid, whoever signed it.
    report = _inspect(ctx, mallory, fixture_pki, "From: Alice Liddell <alice@example.org>")
    assert report.signature is not None
    assert report.signature.verdict is SignatureVerdict.GOOD
    assert report.signature.chain is ChainStatus.TRUSTED
    assert not report.signature.from_match
    assert report_headline(report).word == "Mismatch"


def test_display_name_containing_another_address(fixture_pki, ctx, mallory) -> None:
    # Naive: From: "alice@example.org" <mallory@evil.example> signed by Mallory matches (the
    # addr-spec is Mallory's) and the list shows the name: "alice@example.org — verified".
    for header in (
        'From: "alice@example.org" <mallory@evil.example>',
        "From: alice@example.org <mallory@evil.example>",
        "From: =?utf-8?q?alice=40example=2Eorg?= <mallory@evil.example>",
        "From: mallory@evil.example (alice@example.org)",
    ):
        report = _inspect(ctx, mallory, fixture_pki, header)
        assert report.signature is not None
        assert not report.signature.from_match, header
        assert report.signature.problems, header
        _not_green(report)


def test_long_whitespace_runs_in_display_name(fixture_pki, ctx, mallory) -> None:
    # Naive: "Alice Liddell <alice@example.org>" followed by 300 spaces pushes the real
    # address out of the visible column.
    header = 'From: "Alice Liddell <alice@example.org>' + " " * 300 + '" <mallory@evil.example>'
    report = _inspect(ctx, mallory, fixture_pki, header)
    assert "  " not in report.from_display  # runs collapsed: the real address stays in view
    assert "mallory@evil.example" in report.from_display
    assert report.signature is not None and not report.signature.from_match
    _not_green(report)


@pytest.mark.parametrize(
    "headers",
    [["From: "], [], ["From: Alice Liddell"], ["From: <>"], ["From: undisclosed:;"]],
    ids=["empty", "missing", "name-only", "empty-angle", "group"],
)
def test_empty_missing_or_name_only_from(fixture_pki, ctx, headers: list[str]) -> None:
    # Naive: with no usable From address, the signer's address is shown as the sender.
    report = _inspect(ctx, fixture_pki.alice, fixture_pki, *headers)
    assert report.signature is not None
    assert not report.signature.from_match
    assert report.signature.problems
    _not_green(report)


def test_two_from_headers(fixture_pki, ctx) -> None:
    # Naive: one header is matched against the signer, another one is displayed.
    for order in (("alice@example.org", "boss@example.org"), ("boss@example.org", "alice@x")):
        report = _inspect(ctx, fixture_pki.alice, fixture_pki, *(f"From: {a}" for a in order))
        assert report.signature is not None and not report.signature.from_match
        assert any("more than one From" in p for p in report.signature.problems)
        assert any("2 From headers" in p for p in report.problems)
    # unsigned: still flagged
    raw = mail.message(TEXT, ["From: alice@example.org", "From: boss@example.org"])
    assert any("2 From headers" in p for p in inspect_message(raw, ctx).problems)


def test_two_mailboxes_in_from(fixture_pki, ctx) -> None:
    # Naive: the signer matches one of the mailboxes, and the other one is shown.
    report = _inspect(
        ctx, fixture_pki.alice, fixture_pki, "From: boss@example.org, alice@example.org"
    )
    assert report.signature is not None and not report.signature.from_match
    assert any("2 senders" in p for p in report.signature.problems)
    raw = mail.message(TEXT, ["From: boss@example.org, alice@example.org"])
    assert any("several senders" in p for p in inspect_message(raw, ctx).problems)


def test_sender_matches_signer_but_from_does_not(fixture_pki, ctx) -> None:
    # Naive: Sender (or the envelope sender) is matched against the signer, so Alice's
    # signature makes "From: CEO" look verified.
    report = _inspect(
        ctx,
        fixture_pki.alice,
        fixture_pki,
        "From: CEO <ceo@example.org>",
        "Sender: alice@example.org",
    )
    assert report.signature is not None
    assert not report.signature.from_match
    assert any("is the Sender" in p for p in report.signature.problems)
    _not_green(report)


def test_homoglyph_domain_in_from(fixture_pki, ctx) -> None:
    # Naive: From: alice@exаmple.org (a Cyrillic а, raw UTF-8) reads as Alice's address.
    report = _inspect(ctx, fixture_pki.alice, fixture_pki, f"From: Alice <alice@{MIXED_LABEL}.org>")
    assert report.signature is not None and not report.signature.from_match
    assert any("mixes Cyrillic and Latin" in p for p in report.problems)
    # unsigned: flagged too
    raw = mail.message(TEXT, [f"From: Alice <alice@{MIXED_LABEL}.org>"])
    assert any("mixes Cyrillic and Latin" in p for p in inspect_message(raw, ctx).problems)


def test_trusted_certificate_for_lookalike_domain_is_not_green(fixture_pki, ctx, lookalike):
    # Naive: the attacker owns exаmple.org (punycode xn--...), gets a real certificate for
    # alice@ that domain, and signs with From matching it: good, trusted, matching, all green,
    # displayed (decoded) as "alice@exаmple.org — verified".
    address = f"alice@{_puny(MIXED_LABEL)}.org"
    report = _inspect(ctx, lookalike, fixture_pki, f"From: Alice Liddell <{address}>")
    sig = report.signature
    assert sig is not None
    assert sig.verdict is SignatureVerdict.GOOD and sig.chain is ChainStatus.TRUSTED
    assert sig.from_match
    _not_green(report)
    joined = " ".join(sig.problems)
    assert f"alice@{MIXED_LABEL}.org" in joined  # shown decoded
    assert "international domain name" in joined and "mixes Cyrillic and Latin" in joined


def test_whole_script_lookalike_domain(fixture_pki, ctx, whole_script) -> None:
    # Naive: "аррӏе.com" written entirely in Cyrillic has no mixed label and reads as apple.com.
    address = f"billing@{_puny(WHOLE_CYRILLIC)}.com"
    report = _inspect(ctx, whole_script, fixture_pki, f"From: Billing <{address}>")
    _not_green(report)
    assert report.signature is not None
    assert any("look like Latin" in p for p in report.signature.problems)


def test_mixed_script_display_name(fixture_pki, ctx) -> None:
    # Naive: "Аlice Liddell" (Cyrillic А) in the name column of another sender's mail.
    report = _inspect(
        ctx, fixture_pki.alice, fixture_pki, "From: \u0410lice Liddell <alice@example.org>"
    )
    assert any("sender's name mixes" in p for p in report.problems)


def test_reply_to_differing_from_signer(fixture_pki, ctx) -> None:
    # Naive: Alice's genuine signed mail, replayed with an added Reply-To: the answer (maybe
    # quoting confidential text) goes to the attacker while the badge is green.
    report = _inspect(
        ctx,
        fixture_pki.alice,
        fixture_pki,
        "From: Alice Liddell <alice@example.org>",
        "Reply-To: Alice Liddell <alice@evil.example>",
    )
    warning = reply_to_mismatch(report)
    assert warning is not None and "alice@evil.example" in warning
    assert warning in report.problems
    same = _inspect(
        ctx,
        fixture_pki.alice,
        fixture_pki,
        "From: alice@example.org",
        "Reply-To: alice@example.org",
    )
    assert reply_to_mismatch(same) is None
