"""The message list while a cold sync fills it: older rows join at the end and nothing the user
sees moves (cursor, scroll position, rows already drawn)."""

from __future__ import annotations

import datetime as dt

from textual.app import App, ComposeResult

from smimetui.core.mail.base import Summary
from smimetui.tui.widgets.message_list import MessageList

TOP = 100_000  # the newest UID


class Newest:
    """The newest ``n`` rows of a folder whose highest UID is ``TOP`` (position 0 = newest)."""

    def __init__(self, n: int, top: int = TOP) -> None:
        self.n, self.top = n, top

    def __len__(self) -> int:
        return self.n

    def summary(self, position: int) -> Summary:
        uid = self.uid_at(position)
        when = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
        return Summary(uid, when, "A <a@example.org>", "a@example.org", f"#{uid}", frozenset())

    def uid_at(self, position: int) -> int:
        return self.top - position

    def position_of(self, uid: int) -> int | None:
        position = self.top - uid
        return position if 0 <= position < self.n else None


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield MessageList()

    def on_mount(self) -> None:
        self.query_one(MessageList).focus()


async def test_first_rows_highlight_the_newest() -> None:
    app = ListApp()
    async with app.run_test(size=(80, 20)) as pilot:
        lst = app.query_one(MessageList)
        lst.grow_index(Newest(500))
        await pilot.pause()
        assert len(lst.index) == 500 and lst.current_uid == TOP


async def test_growing_keeps_cursor_scroll_and_drawn_rows() -> None:
    app = ListApp()
    async with app.run_test(size=(80, 20)) as pilot:
        lst = app.query_one(MessageList)
        lst.set_index(Newest(500))
        await pilot.pause()
        for _ in range(60):
            await pilot.press("j")
        await pilot.pause()
        cursor, top, uid = lst.cursor, lst.scroll_offset.y, lst.current_uid
        assert top > 0
        drawn = lst._cache.get(cursor - 1)  # a row drawn before the growth
        assert drawn is not None
        lst.grow_index(Newest(5500))
        await pilot.pause()
        assert len(lst.index) == 5500
        assert (lst.cursor, lst.scroll_offset.y, lst.current_uid) == (cursor, top, uid)
        assert lst._cache.get(cursor - 1) is drawn  # not drawn again
        assert lst.max_scroll_y > 5000  # the scrollbar knows the new length


async def test_an_index_that_does_not_extend_is_set_keeping_the_message() -> None:
    app = ListApp()
    async with app.run_test(size=(80, 20)) as pilot:
        lst = app.query_one(MessageList)
        lst.set_index(Newest(500))
        await pilot.pause()
        for _ in range(5):
            await pilot.press("j")
        uid = lst.current_uid
        assert uid == TOP - 5
        lst.grow_index(Newest(600, top=TOP + 3))  # three newer messages arrived meanwhile
        await pilot.pause()
        assert lst.current_uid == uid and lst.cursor == 8


async def test_a_cursor_on_the_newest_row_follows_newer_rows() -> None:
    app = ListApp()
    async with app.run_test(size=(80, 20)) as pilot:
        lst = app.query_one(MessageList)
        lst.set_index(Newest(500))
        await pilot.pause()
        lst.grow_index(Newest(1000, top=TOP + 600))  # 600 newer: more than a screen
        await pilot.pause()
        assert lst.cursor == 0 and lst.current_uid == TOP + 600 and lst.scroll_offset.y == 0
