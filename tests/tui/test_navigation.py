"""Small mailbox gaps: unread counts after reading, n/N between search matches, sync progress."""

from __future__ import annotations

from textual.widgets import ProgressBar

from smimetui.core.settings.home import Home
from smimetui.tui import messages as m
from smimetui.tui.widgets.folder_tree import FolderTree
from smimetui.tui.widgets.message_list import MessageList

from .helpers import SIZE, make_app, open_subject, settle, widget_text


async def test_unread_count_drops_when_a_new_message_is_read(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(FolderTree)
        before = tree.folders["INBOX"].unread
        assert before
        await open_subject(pilot, "HTML mail")  # unread in the demo; a preview alone keeps it so
        assert tree.folders["INBOX"].unread == before
        await pilot.press("enter")  # opened: read
        await settle(pilot)
        assert tree.folders["INBOX"].unread == before - 1
        assert f"({before - 1})" in str(tree._folder_nodes["INBOX"].label)
        await open_subject(pilot, "HTML mail")
        app.screen.query_one(MessageList).focus()
        await pilot.press("enter")  # already read: no change
        await settle(pilot)
        assert tree.folders["INBOX"].unread == before - 1


async def test_n_and_shift_n_move_between_matches(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"certificate", "enter")
        await settle(pilot)
        screen = app.screen
        lst = screen.query_one(MessageList)
        matches = screen.matches
        assert len(matches) >= 3
        assert lst.current_uid == matches[0]
        await pilot.press("n")
        assert lst.current_uid == matches[1]
        await pilot.press("n", "N", "N")
        assert lst.current_uid == matches[0]
        await pilot.press("N")
        assert lst.current_uid == matches[-1]  # wraps around


async def test_long_sync_shows_progress(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.post_message(m.FolderProgressed("INBOX", 2000, 5000))
        await pilot.pause()
        assert app.screen.query_one("#progress").display
        assert "Syncing INBOX: 2000 of 5000 messages" in widget_text(app, "#progress-text")
        assert app.screen.query_one(ProgressBar).percentage == 0.4
        app.screen.post_message(m.FolderProgressed("INBOX", 5000, 5000))
        await pilot.pause()
        assert not app.screen.query_one("#progress").display
