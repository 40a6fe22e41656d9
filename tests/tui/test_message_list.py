"""The line-API message list over big synthetic indexes, and threading."""

from __future__ import annotations

import datetime as dt

from textual.app import App, ComposeResult

from smimetui.core.mail.base import SEEN, ListIndex, SecurityHint, Summary
from smimetui.core.mail.thread_index import thread_index
from smimetui.tui.widgets.message_list import MessageList


class SyntheticIndex:
    """A FolderIndex of ``n`` rows made on demand (no list of n summaries in memory)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def summary(self, position: int) -> Summary:
        return Summary(
            uid=self.n - position,
            date=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
            sender=f"Sender {position} <s{position}@example.org>",
            sender_addr=f"s{position}@example.org",
            subject=f"Message {position}",
            flags=frozenset({SEEN}) if position % 3 else frozenset(),
            security=SecurityHint.SIGNED if position % 2 else SecurityHint.NONE,
        )

    def uid_at(self, position: int) -> int:
        return self.n - position

    def position_of(self, uid: int) -> int | None:
        return self.n - uid if 0 < uid <= self.n else None


class ListApp(App[None]):
    def __init__(self, index: SyntheticIndex) -> None:
        super().__init__()
        self.index = index
        self.selected: list[int] = []

    def on_message_list_selected(self, event: MessageList.Selected) -> None:
        self.selected.append(event.uid)

    def compose(self) -> ComposeResult:
        yield MessageList()

    def on_mount(self) -> None:
        lst = self.query_one(MessageList)
        lst.set_index(self.index)
        lst.focus()


async def test_million_rows_scroll_and_jump() -> None:
    app = ListApp(SyntheticIndex(1_000_000))
    async with app.run_test(size=(120, 30)) as pilot:
        lst = app.query_one(MessageList)
        assert lst.virtual_size.height == 1_000_000
        await pilot.press("end")
        assert lst.cursor == 999_999
        assert int(lst.scroll_offset.y) >= 1_000_000 - lst.size.height
        assert "Message 999999" in lst.render_line(lst.size.height - 1).text
        await pilot.press("home", "j", "j", "pagedown")
        assert lst.cursor == 2 + lst.size.height - 1


async def test_row_columns_and_badge() -> None:
    app = ListApp(SyntheticIndex(10))
    async with app.run_test(size=(120, 10)) as pilot:
        await pilot.pause()
        lst = app.query_one(MessageList)
        first = lst.render_line(0).text
        assert first.startswith("N  ")  # unread, no flag, no attachment
        assert "2025-03-01 00:00" in first and "Sender 0" in first and "Message 0" in first
        second = lst.render_line(1).text
        assert "… signed" in second  # signed, not verified yet: icon and word


async def test_selected_message_posted() -> None:
    app = ListApp(SyntheticIndex(5))
    async with app.run_test(size=(100, 10)) as pilot:
        lst = app.query_one(MessageList)
        await pilot.press("j", "enter")
        await pilot.pause()
        assert app.selected == [lst.index.uid_at(1)]


def _summary(uid: int, mid: str, parent: str = "") -> Summary:
    return Summary(
        uid, None, "a", "a@x", f"s{uid}", frozenset(), message_id=mid, in_reply_to=parent
    )


def test_threads_nest_replies_under_parents() -> None:
    base = ListIndex(
        [
            _summary(4, "<d>", "<b>"),
            _summary(3, "<c>"),
            _summary(2, "<b>", "<a>"),
            _summary(1, "<a>"),
        ]
    )
    threaded = thread_index(base)
    order = [threaded.uid_at(i) for i in range(len(threaded))]
    assert order == [3, 1, 2, 4]
    assert threaded.summary(3).subject.startswith("    ↳ ")
    assert threaded.position_of(4) == 3


def test_threads_survive_reply_loops() -> None:
    base = ListIndex([_summary(1, "<a>", "<b>"), _summary(2, "<b>", "<a>")])
    assert sorted(thread_index(base).uid_at(i) for i in range(2)) == [1, 2]


def test_fit_fast_path_matches_measuring() -> None:
    """Slicing (for one-cell text) gives the same cells as Rich's measuring path."""
    from rich.cells import cell_len, get_character_cell_size, set_cell_size

    from smimetui.tui.widgets.list_rows import NARROW, fit

    assert all(get_character_cell_size(c) == 1 for c in NARROW)
    for text in ("plain", "Grüße — “quoted” …", "Ωμέγα проверка", "", "x" * 40, "日本語の件名"):
        for width in (1, 5, 12, 40):
            slow = (
                set_cell_size(text, width - 1) + "…"
                if cell_len(text) > width
                else set_cell_size(text, width)
            )
            assert fit(text, width) == slow
            assert cell_len(fit(text, width)) == width
