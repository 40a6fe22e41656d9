"""Issue 10 §3: a cancelled passphrase prompt leaves the message locked (not broken), and one
passphrase cache serves the whole session: reading, drafts, signing and sending."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from smimetui.cli.main import main
from smimetui.core.settings.home import Home
from smimetui.tui.screens.compose import ComposeScreen
from smimetui.tui.screens.mailbox import MailboxScreen
from smimetui.tui.screens.passphrase import PassphraseScreen
from smimetui.tui.widgets.message_list import MessageList

from .helpers import SIZE, make_app, settle, widget_text


async def _wait_for(pilot, kind: type, limit: float = 6.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(limit * 10)):
        await pilot.pause(0.1)
        if isinstance(pilot.app.screen, kind):
            return
    raise AssertionError(f"{kind.__name__} did not appear")


def _position(lst: MessageList, prefix: str) -> int:
    return next(p for p in range(len(lst.index)) if lst.index.summary(p).subject.startswith(prefix))


class TestCancelledPrompt:
    async def test_cancel_leaves_it_locked_and_enter_asks_again(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.screen.query_one(MessageList)
            lst.cursor = _position(lst, "Encrypted to you (AES-CBC")
            await _wait_for(pilot, PassphraseScreen)
            await pilot.press("escape")
            await settle(pilot)
            status = widget_text(app, "#security-status")
            assert "Locked" in status and "Press Enter to unlock" in status
            assert "send the message again" not in status
            assert "4711" not in widget_text(app, ".body-text")
            await pilot.press("enter")  # opening it again asks again
            await _wait_for(pilot, PassphraseScreen)
            await pilot.press(*"demo", "enter")
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen)
            assert "door code is 4711" in widget_text(app, ".body-text")

    async def test_moving_away_and_back_asks_again(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.screen.query_one(MessageList)
            locked = _position(lst, "Encrypted to you (AES-CBC")
            lst.cursor = locked
            await _wait_for(pilot, PassphraseScreen)
            await pilot.press("escape")
            await settle(pilot)
            lst.cursor = 0
            await settle(pilot)
            lst.cursor = locked
            await _wait_for(pilot, PassphraseScreen)  # not a remembered failure
            await pilot.press("escape")

    async def test_enter_in_the_body_unlocks_too(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.screen.query_one(MessageList)
            lst.cursor = _position(lst, "Encrypted to you (AES-GCM")
            await pilot.press("enter")  # opens the message, focus in its body
            await _wait_for(pilot, PassphraseScreen)
            await pilot.press("escape")
            await settle(pilot)
            assert app.focused is not None and app.focused.id == "message-body"
            await pilot.press("enter")
            await _wait_for(pilot, PassphraseScreen)
            await pilot.press("escape")


def test_cli_says_how_to_unlock(demo_home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    from smimetui.core.mail.maildir.backend import MaildirBackend

    backend = MaildirBackend(demo_home.data_dir / "Mail")
    index = backend.open_folder("INBOX")
    uid = next(
        index.uid_at(p)
        for p in range(len(index))
        if index.summary(p).subject.startswith("Encrypted to you (AES-CBC")
    )
    path = Path(demo_home.data_dir) / "locked.eml"
    path.write_bytes(backend.fetch_raw("INBOX", uid))
    assert main(["--home", str(demo_home.data_dir), "inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "--passphrase-file" in out
    assert "send the message again" not in out
    assert main(["--home", str(demo_home.data_dir), "inspect", str(path), "--json"]) == 0
    assert '"status": "locked"' in capsys.readouterr().out


def _folder(home: Home, name: str) -> list[bytes]:
    from smimetui.core.mail.maildir.backend import MaildirBackend

    backend = MaildirBackend(home.data_dir / "Mail")
    index = backend.open_folder(name)
    return [backend.fetch_raw(name, index.uid_at(i)) for i in range(len(index))]


async def _prompts_until_settled(pilot, answer: str = "demo") -> int:  # type: ignore[no-untyped-def]
    """Answer every passphrase prompt that appears until nothing runs; return how many."""
    asked = quiet = 0
    for _ in range(80):
        await pilot.pause(0.1)
        if isinstance(pilot.app.screen, PassphraseScreen):
            asked += 1
            quiet = 0
            await pilot.press(*answer, "enter")
        elif [w for w in pilot.app.workers if w.is_running and w.group != "idle"]:
            quiet = 0
        else:
            quiet += 1
            if quiet >= 8:  # timers (preview, recipient check) have had their chance
                break
    await settle(pilot)
    return asked


async def _compose(pilot, to: str, subject: str) -> ComposeScreen:  # type: ignore[no-untyped-def]
    await pilot.press("c")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ComposeScreen)
    screen.query_one("#compose-to", Input).value = to
    screen.query_one("#compose-subject", Input).value = subject
    screen.query_one("#compose-body", TextArea).load_text("Hello.\n")
    await settle(pilot)
    return screen


class TestOnePassphraseCache:
    async def test_reading_then_two_sends_and_a_draft_ask_once(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.screen.query_one(MessageList)
            lst.cursor = _position(lst, "Encrypted to you (AES-GCM")
            assert await _prompts_until_settled(pilot) == 1  # reading unlocks once
            for subject in ("First", "Second"):  # each compose screen: signed, encrypted
                screen = await _compose(pilot, "alice@example.org", subject)
                await pilot.press("ctrl+t", "ctrl+g")
                assert await _prompts_until_settled(pilot) == 0
                assert isinstance(app.screen, MailboxScreen), screen
            await _compose(pilot, "alice@example.org", "Kept")
            await pilot.press("ctrl+t", "escape")  # a draft encrypted to yourself
            assert await _prompts_until_settled(pilot) == 0
        assert len(_folder(demo_home, "Outbox")) == 2
        assert len(_folder(demo_home, "Drafts")) == 1

    async def test_signing_first_then_reading_asks_once(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await _compose(pilot, "alice@example.org", "Signed")
            await pilot.press("ctrl+g")
            assert await _prompts_until_settled(pilot) == 1
            lst = app.screen.query_one(MessageList)
            lst.cursor = _position(lst, "Encrypted to you (AES-CBC")
            assert await _prompts_until_settled(pilot) == 0
            assert "door code is 4711" in widget_text(app, ".body-text")

    async def test_signing_unlocks_the_encrypted_draft_too(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await _compose(pilot, "alice@example.org", "Signed first")
            await pilot.press("ctrl+g")
            assert await _prompts_until_settled(pilot) == 1
            await _compose(pilot, "alice@example.org", "Secret draft")
            await pilot.press("ctrl+t", "escape")
            assert await _prompts_until_settled(pilot) == 0
            screen = app.screen
            assert isinstance(screen, MailboxScreen)
            screen._open("Drafts")  # previews (decrypts) the draft: no question
            assert await _prompts_until_settled(pilot) == 0
            screen.query_one(MessageList).focus()
            await pilot.press("enter")  # reopens it for editing: no question either
            assert await _prompts_until_settled(pilot) == 0
            assert isinstance(app.screen, ComposeScreen)
            assert app.screen.query_one("#compose-subject", Input).value == "Secret draft"


class TestEncryptToSelf:
    async def test_yourself_in_to_is_encrypted_through_prepare(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await _compose(pilot, "robin@example.org, alice@example.org", "Note to self")
            lines = widget_text(app, "#compose-recipients")
            assert "✓ robin@example.org: your own digital ID" in lines
            await pilot.press("ctrl+t", "ctrl+g")
            await _prompts_until_settled(pilot)
            errors = [n.message for n in app._notifications if n.severity == "error"]
            assert errors == []
            assert isinstance(app.screen, MailboxScreen)
        (sent,) = _folder(demo_home, "Outbox")
        assert b"application/pkcs7-mime" in sent


async def _reply_to_encrypted(pilot) -> ComposeScreen:  # type: ignore[no-untyped-def]
    """Read the encrypted demo message, reply (it starts encrypted), type, turn encryption off."""
    await settle(pilot)
    lst = pilot.app.screen.query_one(MessageList)
    lst.cursor = _position(lst, "Encrypted to you (AES-GCM")
    await _prompts_until_settled(pilot)
    await pilot.press("r")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ComposeScreen) and screen.mail.encrypt
    screen.query_one("#compose-body", TextArea).insert("Agreed.\n", (0, 0))
    await pilot.press("ctrl+t")
    await pilot.pause()
    return screen


class TestDraftOfEncryptedReply:
    async def test_saving_it_unencrypted_asks_first(self, demo_home: Home) -> None:
        from smimetui.tui.screens.confirm import ConfirmScreen

        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await _reply_to_encrypted(pilot)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")  # no: nothing stored, still writing
            await settle(pilot)
            assert isinstance(app.screen, ComposeScreen)
            assert _folder(demo_home, "Drafts") == []
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen)
        (draft,) = _folder(demo_home, "Drafts")
        assert b"door code is 0815" in draft and b"pkcs7-mime" not in draft

    async def test_autosave_keeps_it_encrypted_until_the_user_says_yes(
        self, demo_home: Home
    ) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _reply_to_encrypted(pilot)
            screen._autosave_now()  # what the 30-second timer does
            await settle(pilot)
            assert isinstance(app.screen, ComposeScreen)
        (draft,) = _folder(demo_home, "Drafts")
        assert b"0815" not in draft and b"pkcs7-mime" in draft


class TestCancelWhileWriting:
    async def test_cancel_at_send_says_so_and_sending_again_asks(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await _compose(pilot, "alice@example.org", "Signed")
            await pilot.press("ctrl+g")
            await _wait_for(pilot, PassphraseScreen)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ComposeScreen)  # nothing lost
            (note,) = [n for n in app._notifications if n.title == "Not sent"]
            assert "ctrl+g" in note.message and "--passphrase-file" not in note.message
            await pilot.press("ctrl+g")
            assert await _prompts_until_settled(pilot) == 1
            assert isinstance(app.screen, MailboxScreen)
        assert len(_folder(demo_home, "Outbox")) == 1

    async def test_a_locked_draft_is_not_opened_empty(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await _compose(pilot, "alice@example.org", "Secret draft")
            await pilot.press("ctrl+t", "escape")  # encrypted to yourself: no passphrase needed
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MailboxScreen)
            screen._open("Drafts")
            await _wait_for(pilot, PassphraseScreen)  # the preview asks ...
            await pilot.press("escape")  # ... and is cancelled
            await settle(pilot)
            screen.query_one(MessageList).focus()
            await pilot.press("enter")
            await _wait_for(pilot, PassphraseScreen)  # reopening asks again ...
            await pilot.press("escape")  # ... cancelled again
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen)  # no empty form to overwrite it with
            (note,) = [n for n in app._notifications if n.title == "Draft locked"]
            assert "press Enter" in note.message
        (draft,) = _folder(demo_home, "Drafts")
        assert b"pkcs7-mime" in draft
