"""Pilot tests of writing mail: sign/encrypt toggles, send to the demo Outbox, replies, errors."""

from __future__ import annotations

from smimetui.core.pki.keycandidates import keystore_candidates
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.read.report import EncryptionStatus, SignatureVerdict
from smimetui.core.settings.home import Home
from smimetui.tui.screens.compose import ComposeScreen
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.screens.mailbox import MailboxScreen
from smimetui.tui.screens.passphrase import PassphraseScreen

from .helpers import SIZE, make_app, open_subject, settle, widget_text


async def _answer_passphrase(pilot, passphrase: str = "demo") -> None:  # type: ignore[no-untyped-def]
    for _ in range(40):
        await pilot.pause(0.1)
        if isinstance(pilot.app.screen, PassphraseScreen):
            break
    assert isinstance(pilot.app.screen, PassphraseScreen)
    await pilot.press(*passphrase, "enter")


def _outbox(home: Home) -> list[bytes]:
    from smimetui.core.mail.maildir.backend import MaildirBackend

    backend = MaildirBackend(home.data_dir / "Mail")
    index = backend.open_folder("Outbox")
    return [backend.fetch_raw("Outbox", index.uid_at(i)) for i in range(len(index))]


def _inspect_as_robin(home: Home, raw: bytes):  # type: ignore[no-untyped-def]
    from smimetui.core.pki.passphrase import read_passphrase_file

    path = home.data_dir / "pass.txt"
    path.write_text("demo\n")
    assert read_passphrase_file(path) == b"demo"
    keys = keystore_candidates(home, passphrase_file=path)
    return inspect_message(
        raw.split(b"\r\n", 2)[-1] if raw.startswith(b"X-") else raw,
        InspectContext.from_home(home, keys=keys),
    )


def _strip_envelope(raw: bytes) -> bytes:
    lines = raw.split(b"\r\n")
    while lines and lines[0].startswith(b"X-Smimetui-Envelope-"):
        lines.pop(0)
    return b"\r\n".join(lines)


class TestCompose:
    async def test_sign_and_encrypt_then_send(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ComposeScreen)
            screen.query_one("#compose-to").value = "alice@example.org"  # type: ignore[attr-defined]
            screen.query_one("#compose-subject").value = "Plans"  # type: ignore[attr-defined]
            screen.query_one("#compose-body").load_text("See you at noon.\n")  # type: ignore[attr-defined]
            await settle(pilot)
            assert "✓ alice@example.org: certificate available" in widget_text(
                app, "#compose-recipients"
            )
            assert screen.mail.sign and not screen.mail.encrypt
            await pilot.press("ctrl+t")
            assert "✓ Encrypted (ctrl+t)" in widget_text(app, "#compose-security")
            await pilot.press("ctrl+g")
            await _answer_passphrase(pilot)
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen)
        sent = _outbox(demo_home)
        assert len(sent) == 1
        report = _inspect_as_robin(demo_home, _strip_envelope(sent[0]))
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.DECRYPTED
        assert report.signature is not None
        assert report.signature.verdict is SignatureVerdict.GOOD
        assert "See you at noon." in report.text

    async def test_missing_certificate_is_an_error_notification(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)
            screen = app.screen
            screen.query_one("#compose-to").value = "stranger@example.net"  # type: ignore[attr-defined]
            await settle(pilot)
            assert "✗ stranger@example.net" in widget_text(app, "#compose-recipients")
            await pilot.press("ctrl+t", "ctrl+g")
            await settle(pilot)
            errors = [n for n in app._notifications if n.severity == "error"]
            assert errors and errors[-1].title == "Cannot encrypt"
            assert "stranger@example.net" in errors[-1].message
            assert isinstance(app.screen, ComposeScreen)  # nothing lost: still composing
        assert _outbox(demo_home) == []

    async def test_bcc_with_encryption_is_said_and_sent_separately(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)
            screen = app.screen
            screen.query_one("#compose-to").value = "alice@example.org"  # type: ignore[attr-defined]
            screen.query_one("#compose-bcc").value = "bob@example.org"  # type: ignore[attr-defined]
            screen.query_one("#compose-body").load_text("Hi.\n")  # type: ignore[attr-defined]
            await settle(pilot)
            assert "separately encrypted" not in widget_text(app, "#compose-security")
            await pilot.press("ctrl+t")
            assert "separately encrypted copy" in widget_text(app, "#compose-security")
            await pilot.press("ctrl+g")
            await _answer_passphrase(pilot)
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen)
        envelopes = sorted(m.split(b"\r\n")[1] for m in _outbox(demo_home))
        assert envelopes == [
            b"X-Smimetui-Envelope-To: alice@example.org",
            b"X-Smimetui-Envelope-To: bob@example.org",
        ]


class TestReply:
    async def test_reply_to_encrypted_starts_encrypted_and_quotes_displayed(
        self, demo_home: Home
    ) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            from smimetui.tui.widgets.message_list import MessageList

            lst = app.screen.query_one(MessageList)
            lst.cursor = next(
                p
                for p in range(len(lst.index))
                if lst.index.summary(p).subject.startswith("Encrypted to you (AES-GCM")
            )
            await _answer_passphrase(pilot)
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ComposeScreen)
            assert screen.mail.encrypt
            assert screen.mail.subject == "Re: Encrypted to you (AES-GCM, not signed)"
            assert "> The new door code is 0815." in screen.mail.body
            assert "bob@example.org" in screen.mail.to
            # Turning encryption off for a reply to encrypted mail asks first.
            await pilot.press("ctrl+t", "ctrl+g")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, ComposeScreen)
        assert _outbox(demo_home) == []

    async def test_reply_all_and_forward(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Re: Thread: garden shed plans")
            await pilot.press("a")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ComposeScreen)
            assert "robin@example.org" not in screen.mail.cc
            assert screen.mail.in_reply_to
            await pilot.press("escape")
            await settle(pilot)
            await open_subject(pilot, "Plain mail with two attachments")
            await pilot.press("f")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ComposeScreen)
            assert screen.mail.subject.startswith("Fwd: ")
            assert [a.filename for a in screen.mail.attachments] == ["minutes.txt", "budget.csv"]

    async def test_draft_saved_encrypted_to_self(self, demo_home: Home) -> None:
        from smimetui.core.mail.maildir.backend import MaildirBackend

        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)
            screen = app.screen
            screen.query_one("#compose-subject").value = "Secret draft"  # type: ignore[attr-defined]
            screen.query_one("#compose-body").load_text("draft text\n")  # type: ignore[attr-defined]
            await pilot.press("ctrl+t")
            await pilot.pause()
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen)
        backend = MaildirBackend(demo_home.data_dir / "Mail")
        index = backend.open_folder("Drafts")
        assert len(index) == 1
        raw = backend.fetch_raw("Drafts", index.uid_at(0))
        assert b"draft text" not in raw and b"application/pkcs7-mime" in raw
        report = _inspect_as_robin(demo_home, raw)
        assert "draft text" in report.text
