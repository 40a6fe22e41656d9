"""What the write path must respect: Reply-To warnings, encrypted replies and forwards, quoting
only what was displayed, the account's digital ID bindings and include_certs (issues 6 and 7)."""

from __future__ import annotations

from dataclasses import replace

from asn1crypto import cms

from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.keystore import Keystore
from smimetui.core.read.report import EncryptionReport, EncryptionStatus, SecurityReport
from smimetui.core.session.mail_session import MailSession
from smimetui.core.session.questions import Prompts, Questions
from smimetui.core.settings.accounts import Account, get_account
from smimetui.core.settings.home import Home
from smimetui.core.write.form import OutgoingMail, forward, reply_to, to_rfc5322
from smimetui.core.write.send import Writer, build, self_recipient, writing_id
from smimetui.tui.screens.compose import ComposeScreen
from smimetui.tui.screens.confirm import ConfirmScreen
from tests.support.pki import FixturePKI

from .helpers import SIZE, make_app, open_subject, settle

ENCRYPTED = EncryptionReport(EncryptionStatus.DECRYPTED, "AES-256-GCM", True)


def _report(**kw: object) -> SecurityReport:
    base = SecurityReport(
        from_addr="bob@example.org",
        from_display="Bob <bob@example.org>",
        subject="Keys",
        text="Shown line.\n",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_reply_and_forward_of_encrypted_start_encrypted_and_quote_only_the_text() -> None:
    report = _report(encryption=ENCRYPTED)
    reply = reply_to(report, "robin@example.org", "robin@example.org", to_all=False, sign=False)
    fwd = forward(report, "robin@example.org", sign=False)
    assert reply.encrypt and reply.reply_to_encrypted
    assert fwd.encrypt and fwd.reply_to_encrypted
    assert "> Shown line." in reply.body and "Shown line." in fwd.body
    # Nothing but the displayed text: a report whose text is empty quotes nothing at all.
    hidden = reply_to(
        _report(text=""), "robin@example.org", "robin@example.org", to_all=False, sign=False
    )
    assert hidden.body == ""


async def test_unencrypted_reply_needs_an_explicit_yes(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_compose_for("reply", _report(encryption=ENCRYPTED))
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen) and app.screen.mail.encrypt
        await pilot.press("ctrl+t", "ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # the focused, default button is No
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)


async def test_reply_to_elsewhere_is_shown_with_the_address_highlighted(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await open_subject(pilot, "Good signature from a contact")
        original = app.screen.report
        assert original is not None and original.signature is not None
        app.open_compose_for("reply", replace(original, reply_to="Alice <mallory@evil.example>"))
        await settle(pilot)
        warning = app.screen.query_one("#compose-warning").content  # type: ignore[attr-defined]
        assert "Replies go to mallory@evil.example (Reply-To), not to the signer" in warning.plain
        start = warning.plain.index("mallory@evil.example")
        assert any(
            span.start <= start and span.end >= start + 20 and "reverse" in str(span.style)
            for span in warning.spans
        )
        await pilot.press("escape")
        await settle(pilot)
        app.open_compose_for("reply", original)  # Reply-To absent: no warning
        await settle(pilot)
        assert not app.screen.query("#compose-warning")


def _add_id(home: Home, issuer: pki.Issued, usage: str) -> str:
    leaf = pki.make_leaf(issuer, "robin@example.org", usage=usage, key_kind="p256")  # type: ignore[arg-type]
    return Keystore(home).add(leaf.cert, leaf.key, [issuer.cert], b"demo").id


def _signed_data(data: bytes) -> cms.SignedData:
    import base64
    import re

    body = re.search(rb'name="smime.p7s".*?\r\n\r\n(.*?)\r\n--', data, re.S)
    assert body is not None
    return cms.ContentInfo.load(base64.b64decode(body.group(1)))["content"]


def test_account_ids_and_include_certs_reach_signing(
    demo_home: Home, fixture_pki: FixturePKI
) -> None:
    sign_id = _add_id(demo_home, fixture_pki.intermediate, "sign")
    enc_id = _add_id(demo_home, fixture_pki.intermediate, "encrypt")
    account = replace(
        get_account(demo_home, "demo"),
        signing_id=sign_id[:16],
        encryption_id=enc_id[:16],
        include_certs=False,
    )
    questions = Questions(Prompts(passphrase=lambda ident, attempt: b"demo"))
    session = MailSession(demo_home, None, account, questions=questions)  # type: ignore[arg-type]
    writer = session.writer()
    assert writing_id(writer, "sign").id == sign_id
    assert writing_id(writer, "encrypt").id == enc_id
    enc_cert = Keystore(demo_home).get(enc_id).load_cert()
    assert self_recipient(writer).cert == enc_cert  # drafts and Sent copies: the encryption ID
    mail = OutgoingMail("robin@example.org", to="alice@example.org", body="Hi\n", sign=True)
    signed = _signed_data(_build(writer, mail).data)
    # announced as our encryption preference (SMIMEEncryptionKeyPreference, RFC 8551)
    attrs = signed["signer_infos"][0]["signed_attrs"]
    pref = next(a for a in attrs if a["type"].dotted == "1.2.840.113549.1.9.16.2.11")
    assert str(enc_cert.serial_number) in repr(pref["values"].native)
    assert len(signed["certificates"]) == 0  # include_certs = false: no certificates travel
    serial = signed["signer_infos"][0]["sid"].chosen["serial_number"].native
    assert serial == Keystore(demo_home).get(sign_id).load_cert().serial_number
    with_certs = replace(account, include_certs=True)
    writer = replace_session(session, with_certs).writer()
    assert len(_signed_data(_build(writer, mail).data)["certificates"]) >= 1


def _build(writer: Writer, mail: OutgoingMail):  # type: ignore[no-untyped-def]
    return build(writer, to_rfc5322(mail), sign=mail.sign, encrypt=mail.encrypt)


def replace_session(session: MailSession, account: Account) -> MailSession:
    return MailSession(session.home, session.backend, account, questions=session.questions)
