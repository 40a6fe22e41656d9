"""Issue 10 §3: what a NeoMutt or Thunderbird user expects of the mailbox: nothing is marked
read by starting the app, Enter (or a chosen preview delay) marks read, M and F toggle
read/unread and the flag on the server."""

from __future__ import annotations

from smimetui.core.mail.base import FLAGGED, SEEN
from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.settings.home import Home
from smimetui.tui.keys import UiSettings
from smimetui.tui.widgets.message_list import MessageList

from .helpers import SIZE, make_app, settle


def _flags(home: Home, folder: str = "INBOX") -> dict[int, frozenset[str]]:
    """Every message's flags as stored (what the server would say)."""
    index = MaildirBackend(home.data_dir / "Mail").open_folder(folder)
    return {index.uid_at(p): index.summary(p).flags for p in range(len(index))}


def _newest(home: Home) -> int:
    """The newest INBOX message, made unread (the demo's welcome message starts read)."""
    backend = MaildirBackend(home.data_dir / "Mail")
    uid = backend.open_folder("INBOX").uid_at(0)
    backend.set_flags("INBOX", [uid], remove=[SEEN])
    return uid


class TestSeen:
    async def test_starting_marks_nothing_read(self, demo_home: Home) -> None:
        newest = _newest(demo_home)
        assert SEEN not in _flags(demo_home)[newest]
        before = _flags(demo_home)
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.pause(1.0)
            await settle(pilot)
            assert app.screen.query_one(MessageList).current_uid == newest  # it is previewed
        assert _flags(demo_home) == before

    async def test_enter_marks_read_a_preview_does_not(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("j")
            await settle(pilot)
            uid = app.screen.query_one(MessageList).current_uid
            assert uid is not None and SEEN not in _flags(demo_home)[uid]
            await pilot.press("enter")
            await settle(pilot)
        assert SEEN in _flags(demo_home)[uid]

    async def test_preview_delay_from_the_config(self, demo_home: Home) -> None:
        newest = _newest(demo_home)
        app = make_app(demo_home, UiSettings(mark_read_after=0.3))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("j")
            await settle(pilot)
            await pilot.pause(0.5)
            await settle(pilot)
            uid = app.screen.query_one(MessageList).current_uid
        flags = _flags(demo_home)
        assert uid is not None and SEEN in flags[uid]
        assert SEEN not in flags[newest]  # the automatic first preview is not reading

    def test_mark_read_after_must_be_seconds(self) -> None:
        import pytest

        from smimetui.core.errors import ConfigError
        from smimetui.tui.keys import ui_settings

        assert ui_settings({"ui": {"mark_read_after": 2}}).mark_read_after == 2.0
        with pytest.raises(ConfigError, match="mark_read_after"):
            ui_settings({"ui": {"mark_read_after": "soon"}})


class TestToggles:
    async def test_m_toggles_read_and_unread(self, demo_home: Home) -> None:
        newest = _newest(demo_home)
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("M")
            await settle(pilot)
            assert SEEN in _flags(demo_home)[newest]
            await pilot.press("M")
            await settle(pilot)
            assert SEEN not in _flags(demo_home)[newest]
            await pilot.press("enter")  # reading it
            await settle(pilot)
            app.screen.query_one(MessageList).focus()
            await pilot.press("M")  # ... and keeping it unread, as in Thunderbird
            await settle(pilot)
        assert SEEN not in _flags(demo_home)[newest]

    async def test_f_toggles_the_flag_shown_as_a_star(self, demo_home: Home) -> None:
        newest = _newest(demo_home)
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("F")
            await settle(pilot)
            lst = app.screen.query_one(MessageList)
            assert FLAGGED in lst.flags_of(newest)
            assert lst.render_line(0).text.startswith("N*")
            assert FLAGGED in _flags(demo_home)[newest]
            await pilot.press("F")
            await settle(pilot)
        assert FLAGGED not in _flags(demo_home)[newest]


class TestLayout:
    async def test_security_pane_at_80x24_leaves_list_and_message_readable(
        self, demo_home: Home
    ) -> None:
        from smimetui.tui.widgets.message_view import MessageView
        from smimetui.tui.widgets.security_pane import SecurityPane

        app = make_app(demo_home)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await settle(pilot)
            screen = app.screen
            assert screen.query_one(SecurityPane).region.width >= 30
            assert screen.query_one(MessageList).region.width >= 36
            assert screen.query_one(MessageView).region.width >= 36
            await pilot.press("s")  # hidden again: the folders come back
            await settle(pilot)
            assert screen.query_one("#folders").region.width > 0

    async def test_wide_terminal_keeps_the_folders_beside_the_pane(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await settle(pilot)
            assert app.screen.query_one("#folders").region.width > 0
            assert app.screen.query_one(MessageList).region.width >= 50


class TestHelp:
    async def test_question_mark_in_the_footer_at_80_and_120_columns(self, demo_home: Home) -> None:
        from .helpers import screen_text

        for size in ((80, 24), (120, 30)):
            app = make_app(demo_home)
            async with app.run_test(size=size) as pilot:
                await settle(pilot)
                footer = screen_text(app).rstrip().splitlines()[-1]
                assert "? Help" in footer, (size, footer)

    async def test_help_scrolls_to_its_last_line(self, demo_home: Home) -> None:
        from textual.widgets import DataTable

        from smimetui.tui.screens.help import HelpScreen

        from .helpers import screen_text

        app = make_app(demo_home)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            table = app.screen.query_one(DataTable)
            last = str(table.get_row_at(table.row_count - 1)[2])  # what it does
            assert last not in screen_text(app)  # more keys than fit at 80x24
            await pilot.press("G")
            await pilot.pause()
            assert last in screen_text(app)
            await pilot.press("g")
            await pilot.pause()
            assert str(table.get_row_at(0)[2]) in screen_text(app)


class TestNavigation:
    async def test_cursor_stays_near_a_deleted_message(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.screen.query_one(MessageList)
            lst.cursor = 5
            await settle(pilot)
            gone, following = lst.current_uid, lst.index.uid_at(6)
            await pilot.press("d")
            await settle(pilot)
            assert lst.index.position_of(gone) is None
            assert lst.cursor == 5 and lst.current_uid == following

    async def test_folder_tree_moves_with_j_and_k(self, demo_home: Home) -> None:
        from smimetui.tui.widgets.folder_tree import FolderTree

        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            tree = app.screen.query_one(FolderTree)
            tree.focus()
            start = tree.cursor_line
            await pilot.press("j", "j")
            assert tree.cursor_line == start + 2
            await pilot.press("k")
            assert tree.cursor_line == start + 1
            node = tree.cursor_node
            assert node is not None and node.data is not None
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen.folder == node.data.name  # type: ignore[attr-defined]


class TestAccounts:
    async def test_a_switches_to_another_account(self, demo_home: Home) -> None:
        from dataclasses import replace

        from textual.widgets import OptionList

        from smimetui.core.settings.accounts import add_account, get_account
        from smimetui.tui.screens.accounts import AccountsScreen
        from smimetui.tui.screens.mailbox import MailboxScreen

        other = demo_home.data_dir / "OtherMail"
        backend = MaildirBackend(other, create=True)
        backend.append(
            "INBOX", b"From: x@example.org\r\nSubject: Only in the other one\r\n\r\nHi\r\n"
        )
        demo = get_account(demo_home, "demo")
        add_account(demo_home, replace(demo, name="other", maildir=str(other), default=False))
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("A")
            await pilot.pause()
            assert isinstance(app.screen, AccountsScreen)
            options = app.screen.query_one(OptionList)
            labels = [
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            ]
            assert any("demo" in label and "open now" in label for label in labels)
            await pilot.press("down", "enter")
            await settle(pilot)
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MailboxScreen)
            assert getattr(screen.session.account, "name", "") == "other"
            lst = screen.query_one(MessageList)
            assert lst.index.summary(0).subject == "Only in the other one"
            assert len(app.screen_stack) == 2  # replaced, not stacked

    async def test_a_with_one_account_says_how_to_add_one(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("A")
            await pilot.pause()
            (note,) = [n for n in app._notifications if n.title == "One account"]
            assert "smimetui account add" in note.message
