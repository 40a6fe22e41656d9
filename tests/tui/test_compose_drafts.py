"""Pilot tests of writing without losing anything: fast typing across fields, $EDITOR, leaving
with unsaved changes, and going on with a stored (possibly encrypted) draft from Drafts."""

from __future__ import annotations

import contextlib
import stat
from pathlib import Path

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import Input, TextArea

from smimetui.core.errors import InputError
from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.settings.home import Home
from smimetui.tui import messages as m
from smimetui.tui.editor import edit_text
from smimetui.tui.keys import UiSettings
from smimetui.tui.screens.compose import ComposeScreen
from smimetui.tui.screens.mailbox import MailboxScreen
from smimetui.tui.screens.passphrase import PassphraseScreen
from smimetui.tui.widgets.message_list import MessageList

from .helpers import SIZE, make_app, settle


def _drafts(home: Home) -> list[bytes]:
    backend = MaildirBackend(home.data_dir / "Mail")
    index = backend.open_folder("Drafts")
    return [backend.fetch_raw("Drafts", index.uid_at(i)) for i in range(len(index))]


def _fake_editor(tmp_path: Path, status: int = 0) -> Path:
    """An $EDITOR that records the file's mode and appends a line to it."""
    script = tmp_path / "fake-editor.sh"
    script.write_text(
        "#!/bin/sh\n"
        f'stat -c %a "$1" > "{tmp_path}/mode"\n'
        f'echo "$1" > "{tmp_path}/edited"\n'
        'echo "Added in the editor." >> "$1"\n'
        f"exit {status}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def _field(screen: object, name: str) -> str:
    assert isinstance(screen, ComposeScreen)
    if name == "body":
        return screen.query_one("#compose-body", TextArea).text
    return screen.query_one(f"#compose-{name}", Input).value


async def _compose(pilot) -> ComposeScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ComposeScreen)
    return screen


class TestFastTyping:
    async def test_keys_after_tab_land_in_the_next_field(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _compose(pilot)
            typed = ["bob@example.org", "\t\t\t", "Lunch", "\t", "Hello"]
            # All keys queued at once, as a terminal delivers a fast burst: no pause between.
            for char in "".join(typed):
                key = "tab" if char == "\t" else _character_to_key(char)
                app.post_message(events.Key(key, None if char == "\t" else char))
            await settle(pilot)
            assert _field(screen, "to") == "bob@example.org"
            assert _field(screen, "cc") == "" and _field(screen, "bcc") == ""
            assert _field(screen, "subject") == "Lunch"
            assert _field(screen, "body") == "Hello"

    async def test_shift_tab_goes_back(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _compose(pilot)
            await pilot.press("tab", "shift+tab", "x")
            assert _field(screen, "to") == "x"


class TestEditor:
    def test_edit_text_runs_the_editor_on_a_private_file(self, tmp_path: Path) -> None:
        script = _fake_editor(tmp_path)
        assert edit_text("Hello\n", str(script)) == "Hello\nAdded in the editor.\n"
        assert (tmp_path / "mode").read_text().strip() == "600"
        assert not Path((tmp_path / "edited").read_text().strip()).exists()  # removed

    def test_failing_or_missing_editor_is_an_input_error(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="exited with status 3"):
            edit_text("Hello\n", str(_fake_editor(tmp_path, status=3)))
        with pytest.raises(InputError, match="could not be started"):
            edit_text("Hello\n", str(tmp_path / "no-such-editor"))

    async def test_f2_edits_the_body(
        self, demo_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app = make_app(demo_home, UiSettings(editor=str(_fake_editor(tmp_path))))
        # The headless test driver cannot hand the terminal over; suspend() is the only part
        # replaced here (it raises SuspendNotSupported under run_test, tested below).
        monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _compose(pilot)
            screen.query_one("#compose-body", TextArea).load_text("Dear Bob,\n")
            await pilot.press("f2")
            await pilot.pause()
            assert _field(screen, "body") == "Dear Bob,\nAdded in the editor.\n"
            assert screen.dirty

    async def test_f2_without_a_terminal_says_so(self, demo_home: Home, tmp_path: Path) -> None:
        app = make_app(demo_home, UiSettings(editor=str(_fake_editor(tmp_path))))
        async with app.run_test(size=SIZE) as pilot:
            screen = await _compose(pilot)
            screen.query_one("#compose-body", TextArea).load_text("Dear Bob,\n")
            await pilot.press("f2")
            await pilot.pause()
            assert _field(screen, "body") == "Dear Bob,\n"  # unchanged
            errors = [n for n in app._notifications if n.severity == "error"]
            assert errors and errors[-1].title == "No editor here"


class TestLeaving:
    async def test_escape_saves_what_was_written_and_says_where(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await _compose(pilot)
            await pilot.press(*"carol@example.org", "tab", "tab", "tab", *"Plans", "tab")
            await pilot.press(*"Written before escape")
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen)
            note = [n for n in app._notifications if n.title == "Draft saved"]
            assert note and "Drafts" in note[-1].message and "not encrypted" in note[-1].message
        (raw,) = _drafts(demo_home)
        assert b"Written before escape" in raw and b"Subject: Plans" in raw

    async def test_typing_during_a_save_stays_unsaved(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _compose(pilot)
            await pilot.press("x")
            edits = screen.edits
            await pilot.press("y")  # typed while the save of ``edits`` was running
            screen.post_message(m.DraftSaved("Drafts", False, edits))
            await pilot.pause()
            assert screen.dirty


async def _open_drafts(pilot, *, encrypted: bool = False) -> MessageList:  # type: ignore[no-untyped-def]
    """Show Drafts; an encrypted draft under the cursor asks for the passphrase to show it."""
    screen = pilot.app.screen
    assert isinstance(screen, MailboxScreen)
    screen._open("Drafts")
    if encrypted:
        await _wait_for(pilot, PassphraseScreen)
        await pilot.press(*"demo", "enter")
    await settle(pilot)
    lst = screen.query_one(MessageList)
    lst.focus()
    return lst


async def _wait_for(pilot, kind: type) -> None:  # type: ignore[no-untyped-def]
    for _ in range(50):
        await pilot.pause(0.1)
        if isinstance(pilot.app.screen, kind):
            return
    raise AssertionError(f"{kind.__name__} did not appear")


class TestDraftsFolder:
    async def test_encrypted_draft_reopens_decrypted_and_is_replaced(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _compose(pilot)
            screen.query_one("#compose-to", Input).value = "alice@example.org"
            screen.query_one("#compose-subject", Input).value = "Door code"
            screen.query_one("#compose-body", TextArea).load_text("It is 4711.\n")
            await pilot.press("ctrl+t", "escape")
            await settle(pilot)
            lst = await _open_drafts(pilot, encrypted=True)
            assert len(lst.index) == 1
            await pilot.press("enter")
            await _wait_for(pilot, ComposeScreen)
            await settle(pilot)
            draft = app.screen
            assert isinstance(draft, ComposeScreen)
            assert _field(draft, "subject") == "Door code"
            assert _field(draft, "to") == "alice@example.org"
            assert _field(draft, "body") == "It is 4711.\n"
            assert draft.mail.encrypt  # stays encrypted
            draft.query_one("#compose-body", TextArea).load_text("It is 4712.\n")
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen)
            assert len(app.screen.query_one(MessageList).index) == 1  # the list reloaded
        (raw,) = _drafts(demo_home)  # replaced, not added
        assert b"4712" not in raw and b"application/pkcs7-mime" in raw

    async def test_sending_a_draft_removes_it(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _compose(pilot)
            screen.query_one("#compose-to", Input).value = "alice@example.org"
            screen.query_one("#compose-subject", Input).value = "Unsigned note"
            await pilot.press("escape")
            await settle(pilot)
            await _open_drafts(pilot)
            await pilot.press("enter")
            await _wait_for(pilot, ComposeScreen)
            await settle(pilot)
            draft = app.screen
            assert isinstance(draft, ComposeScreen) and draft.draft_uid is not None
            assert _field(draft, "subject") == "Unsigned note"
            assert draft.mail.sign  # the demo account signs by default
            await pilot.press("ctrl+s", "ctrl+g")  # unsigned: no passphrase needed
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen)
        assert _drafts(demo_home) == []
