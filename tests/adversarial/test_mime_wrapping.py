"""MIME wrapping attacks on signatures ("Johnny, You Are Fired!", MIME class).

A signed part is taken out of context: wrapped in unsigned text, hidden behind HTML, attached
as a file, nested, or an outer signature is put over ciphertext someone else wrote.
"""

from __future__ import annotations

from smimetui.core.read.inspect import inspect_message
from smimetui.core.read.report import Coverage, SecurityReport, SignatureVerdict
from smimetui.core.read.wording import report_headline
from tests.support import crafted as mail
from tests.support.pki import FixturePKI

GENUINE = mail.entity("Hi Bob, see you at lunch. Alice\n")
EVIL = mail.entity("URGENT: wire 10,000 EUR to IBAN XX00 0000 today.\n")
EVIL_HTML = mail.entity("<p>URGENT: wire 10,000 EUR today.</p>", "text/html; charset=utf-8")


def _alice(pki: FixturePKI):
    return mail.key_of(pki.alice, pki.intermediate)


def _unsigned_text_is_marked_unsigned(report: SecurityReport, marker: str) -> None:
    assert marker in report.text
    for segment in report.segments:
        if marker in segment.text:
            assert not segment.signed, "unsigned text marked as signed"
    assert report_headline(report).word != "Verified"


def test_signed_part_prepended_with_unsigned_text(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: any valid signature anywhere in the tree gives the whole message the "signed by
    # Alice" badge, including the attacker's text shown above Alice's signed part.
    body = mail.multipart("mixed", [EVIL, mail.signed(GENUINE, _alice(fixture_pki))], "outer")
    report = inspect_message(mail.message(body), ctx)
    assert report.signature is not None
    assert report.signature.verdict is SignatureVerdict.GOOD
    assert report.signature.covers is Coverage.PARTIAL
    assert not report.signature.is_trustworthy
    _unsigned_text_is_marked_unsigned(report, "URGENT")
    assert "see you at lunch" in report.signature.signed_text
    assert "URGENT" not in report.signature.signed_text


def test_signed_part_appended_with_unsigned_text(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: as above, with the unsigned text below the signed part (where a PS would go).
    body = mail.multipart("mixed", [mail.signed(GENUINE, _alice(fixture_pki)), EVIL], "outer")
    report = inspect_message(mail.message(body), ctx)
    assert report.signature is not None and report.signature.covers is Coverage.PARTIAL
    _unsigned_text_is_marked_unsigned(report, "URGENT")


def test_signed_part_hidden_in_html_alternative(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: multipart/alternative {signed text/plain, unsigned text/html}: the client
    # verifies the signed alternative but renders the (different) HTML one with the badge.
    body = mail.multipart(
        "alternative", [mail.signed(GENUINE, _alice(fixture_pki)), EVIL_HTML], "alt"
    )
    report = inspect_message(mail.message(body), ctx)
    assert "URGENT" in report.text
    assert report.signature is None or not report.signature.is_trustworthy
    _unsigned_text_is_marked_unsigned(report, "URGENT")


def test_unsigned_plain_alternative_next_to_signed_html(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: the signed HTML alternative gives its badge to the unsigned plain-text one shown.
    signed_html = mail.entity("<p>See you at lunch.</p>", "text/html; charset=utf-8")
    body = mail.multipart("alternative", [EVIL, mail.signed(signed_html, _alice(fixture_pki))], "a")
    report = inspect_message(mail.message(body), ctx)
    _unsigned_text_is_marked_unsigned(report, "URGENT")


def test_signed_part_only_referenced_from_html(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: multipart/related with an unsigned HTML root that pulls the signed part in by
    # cid: reference (or hides it with CSS); the badge of the signed part covers the HTML.
    html = mail.entity(
        '<p>URGENT: wire 10,000 EUR.</p><div style="display:none"><img src="cid:sig"></div>',
        "text/html; charset=utf-8",
    )
    signed_part = mail.signed(GENUINE, _alice(fixture_pki)).replace(
        b"Content-Type:", b"Content-ID: <sig>\r\nContent-Type:", 1
    )
    body = mail.multipart("related", [html, signed_part], "rel", '; type="text/html"')
    report = inspect_message(mail.message(body), ctx)
    assert report.signature is not None and report.signature.covers is Coverage.PARTIAL
    _unsigned_text_is_marked_unsigned(report, "URGENT")


def test_signed_mail_attached_as_rfc822(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: a forwarded/attached signed mail (message/rfc822, shown inline) makes the outer,
    # unsigned message look signed by Alice.
    inner = mail.message(mail.signed(GENUINE, _alice(fixture_pki)))
    for attached in (
        b"Content-Type: message/rfc822\r\n\r\n" + inner,
        b"Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n" + inner,
        b'Content-Type: application/octet-stream; name="signed.eml"\r\n'
        b'Content-Disposition: attachment; filename="signed.eml"\r\n\r\n' + inner,
    ):
        body = mail.multipart("mixed", [EVIL, attached], "fwd")
        report = inspect_message(mail.message(body, sender="mallory@evil.example"), ctx)
        assert report.signature is None
        assert "see you at lunch" not in report.text
        assert len(report.attachments) == 1
        assert report_headline(report).word == "Unsigned"


def test_nested_signatures_name_the_text_signer_and_the_wrapper(fixture_pki: FixturePKI, ctx):
    # Naive: the outer signature gives its badge to the text (Bob "signed" Alice's words), or
    # the inner one is shown and the wrapping by someone else is silently dropped.
    inner = mail.signed(GENUINE, _alice(fixture_pki), boundary="inner")
    outer = mail.signed(inner, mail.key_of(fixture_pki.bob, fixture_pki.intermediate), "outer")
    sig = inspect_message(mail.message(outer), ctx).signature
    assert sig is not None
    assert sig.signer is not None and sig.signer.email == ("alice@example.org",)  # wrote it
    assert any("bob@example.org" in p for p in sig.problems)  # the wrapper is not hidden
    assert not sig.is_trustworthy
    # a rogue wrapper (untrusted) around Alice's mail is reported, never made green
    rogue = mail.key_of(fixture_pki.rogue_alice, fixture_pki.rogue_root)
    outer = mail.signed(inner, rogue, "outer")
    sig = inspect_message(mail.message(outer), ctx).signature
    assert sig is not None and not sig.is_trustworthy


def test_triple_wrapped_is_good(fixture_pki: FixturePKI, ctx) -> None:
    # Naive clients show the outer signature of a triple wrap and lose the inner signer; the
    # inner signature is what covers the text read.
    alice = _alice(fixture_pki)
    inner = mail.signed(GENUINE, alice, "inner")
    envelope = mail.enveloped(inner, [fixture_pki.bob])
    report = inspect_message(mail.message(mail.signed(envelope, alice, "outer")), ctx)
    sig = report.signature
    assert sig is not None and sig.is_trustworthy, sig.problems
    assert not sig.over_ciphertext
    assert "see you at lunch" in report.text


def test_outer_signature_over_ciphertext(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: Bob captures Alice's encrypted (unsigned) mail to Frank, signs the ciphertext with
    # his own valid certificate and sends it on with From: Bob.  "Signed by Bob — verified"
    # over text Bob never saw (and did not write).
    envelope = mail.enveloped(EVIL, [fixture_pki.alice])
    bob = mail.key_of(fixture_pki.bob, fixture_pki.intermediate)
    report = inspect_message(
        mail.message(mail.signed(envelope, bob), sender="bob@example.org"), ctx
    )
    sig = report.signature
    assert sig is not None
    assert sig.verdict is SignatureVerdict.GOOD and sig.from_match
    assert sig.over_ciphertext
    assert not sig.is_trustworthy
    assert report_headline(report).word != "Verified"
    assert any("encrypted data" in p for p in sig.problems)


def test_opaque_signature_over_ciphertext(fixture_pki: FixturePKI, ctx) -> None:
    # As above, with an opaque (application/pkcs7-mime signed-data) outer signature.
    envelope = mail.enveloped(EVIL, [fixture_pki.alice])
    bob = mail.key_of(fixture_pki.bob, fixture_pki.intermediate)
    report = inspect_message(
        mail.message(mail.opaque(envelope, bob), sender="bob@example.org"), ctx
    )
    assert report.signature is not None and report.signature.over_ciphertext
    assert not report.signature.is_trustworthy
