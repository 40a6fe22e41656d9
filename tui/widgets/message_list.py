"""The message list: a line-API ScrollView over a FolderIndex (toolong's ``LogLines`` pattern).

No widget per row: ``render_line`` draws only the visible rows, decoding each summary lazily from
the index, and finished rows are kept in an LRU strip cache.  A million-message folder costs what
its visible rows cost.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from smimetui.core.backends.base import FolderIndex, ListIndex, Summary
from smimetui.tui.verdict import BADGE_WIDTH, Badge, Level, badge_for_hint

FLAGS_WIDTH = 3
DATE_WIDTH = 16
SENDER_WIDTH = 22
_UNREAD = "message-list--unread"
_LEVEL_CLASSES = {
    Level.GOOD: "message-list--good",
    Level.WARN: "message-list--warn",
    Level.BAD: "message-list--bad",
    Level.ENCRYPTED: "message-list--encrypted",
    Level.UNCHECKED: "message-list--unchecked",
}


def format_date(when: datetime | None) -> str:
    """Absolute dates only: the list never depends on the clock (stable snapshots too)."""
    return when.strftime("%Y-%m-%d %H:%M") if when else ""


def flags_text(summary: Summary, seen: bool) -> str:
    new = " " if seen else "N"
    star = "*" if summary.flagged else " "
    attach = "@" if summary.has_attachments else " "
    return f"{new}{star}{attach}"


def _fit(text: str, width: int) -> str:
    """Cut or pad ``text`` to exactly ``width`` cells (the summary strings are sanitised)."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


class MessageList(ScrollView, can_focus=True):
    """Rows of a FolderIndex with a cursor; posts ``Highlighted`` and ``Selected``."""

    COMPONENT_CLASSES = {
        "message-list--cursor",
        "message-list--unread",
        "message-list--good",
        "message-list--warn",
        "message-list--bad",
        "message-list--encrypted",
        "message-list--unchecked",
        "message-list--empty",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list-down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list-up"),
        Binding("pagedown,space", "page_down", "Page down", show=False, id="list-page-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list-page-up"),
        Binding("home,g", "first", "First", show=False, id="list-first"),
        Binding("end,G", "last", "Last", show=False, id="list-last"),
        Binding("enter", "select", "Open", tooltip="Open the highlighted message", id="list-open"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        def __init__(self, message_list: MessageList, position: int, uid: int) -> None:
            super().__init__()
            self.message_list = message_list
            self.position = position
            self.uid = uid

        @property
        def control(self) -> MessageList:
            return self.message_list

    class Selected(Highlighted):
        pass

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.index: FolderIndex = ListIndex([])
        self.badges: dict[int, Badge] = {}  # uid -> verified badge (replaces the hint)
        self.seen_uids: set[int] = set()  # read here since the index was loaded
        self.empty_text = "No messages"
        self._cache: LRUCache[tuple[int, int, bool], Strip] = LRUCache(1024)
        self._styles: dict[str, Style] = {}  # resolved once per style change, not per row
        self._width = 0
        self._width_for: tuple[int, int, int] = (-1, -1, -1)

    # -- data ---------------------------------------------------------------------------
    def set_index(self, index: FolderIndex, cursor_uid: int | None = None) -> None:
        self.index = index
        self.seen_uids = set()
        self._cache.clear()
        self.virtual_size = Size(0, len(index))
        position = index.position_of(cursor_uid) if cursor_uid is not None else None
        self.scroll_to(y=0, animate=False, immediate=True)
        self.cursor = position if position is not None else 0  # scrolls the cursor into view
        self.refresh()

    def set_badge(self, uid: int, badge: Badge) -> None:
        self.badges[uid] = badge
        position = self.index.position_of(uid)
        if position is not None:
            self._invalidate(position)

    def mark_seen(self, uid: int) -> None:
        self.seen_uids.add(uid)
        self.refresh_row(uid)

    def refresh_row(self, uid: int) -> None:
        position = self.index.position_of(uid)
        if position is not None:
            self._invalidate(position)

    def clear_cache(self) -> None:
        self._cache.clear()
        self.refresh()

    @property
    def current_uid(self) -> int | None:
        if 0 <= self.cursor < len(self.index):
            return self.index.uid_at(self.cursor)
        return None

    @property
    def current_summary(self) -> Summary | None:
        if 0 <= self.cursor < len(self.index):
            return self.index.summary(self.cursor)
        return None

    def visible_positions(self) -> range:
        top = int(self.scroll_offset.y)
        return range(top, min(top + self.size.height, len(self.index)))

    def _invalidate(self, position: int) -> None:
        width = self.scrollable_content_region.width
        self._cache.discard((position, width, True))
        self._cache.discard((position, width, False))
        self.refresh(Region(0, position - int(self.scroll_offset.y), self.size.width, 1))

    # -- rendering ----------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self.virtual_size = Size(0, len(self.index))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        self._styles = {}

    def _row_width(self) -> int:
        """The width rows are drawn at (without the scrollbar), cached per widget size."""
        size = self.size
        if self._width_for != (size.width, size.height, self.virtual_size.height):
            self._width = self.scrollable_content_region.width
            self._width_for = (size.width, size.height, self.virtual_size.height)
        return self._width

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self.rich_style if name == "base" else self.get_component_rich_style(name)
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        position = int(self.scroll_offset.y) + y
        width = self._row_width()
        if not len(self.index):
            if y == 0:
                style = self._style("message-list--empty")
                return Strip([Segment(_fit(self.empty_text, width), style)])
            return Strip.blank(width, self._style("base"))
        if position >= len(self.index):
            return Strip.blank(width, self._style("base"))
        key = (position, width, position == self.cursor and self.has_focus)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_row(position, width, key[2])
            self._cache[key] = strip
        return strip

    def _columns(self, width: int) -> tuple[int, int, int, int]:
        date_w = DATE_WIDTH if width >= 90 else (10 if width >= 70 else 0)
        sender_w = SENDER_WIDTH if width >= 60 else 14
        fixed = FLAGS_WIDTH + 1 + BADGE_WIDTH + 1 + (date_w + 1 if date_w else 0) + sender_w + 1
        return date_w, sender_w, fixed, max(width - fixed, 0)

    def _render_row(self, position: int, width: int, is_cursor: bool) -> Strip:
        summary = self.index.summary(position)
        badge = self.badges.get(summary.uid) or badge_for_hint(summary.security)
        date_w, sender_w, _fixed, subject_w = self._columns(width)
        seen = summary.seen or summary.uid in self.seen_uids
        base = self._style("base") if seen else self._style("base") + self._style(_UNREAD)
        badge_style = base
        if badge.level in _LEVEL_CLASSES:
            badge_style = base + self._style(_LEVEL_CLASSES[badge.level])
        date = format_date(summary.date)[:date_w] if date_w else ""
        segments = [
            Segment(flags_text(summary, seen) + " ", base),
            Segment(_fit(badge.text, BADGE_WIDTH) + " ", badge_style),
        ]
        if date_w:
            segments.append(Segment(_fit(date, date_w) + " ", base))
        segments.append(Segment(_fit(summary.sender, sender_w) + " ", base))
        segments.append(Segment(_fit(summary.subject, subject_w), base))
        used = FLAGS_WIDTH + 1 + BADGE_WIDTH + 1 + (date_w + 1 if date_w else 0) + sender_w + 1
        if used + subject_w < width:
            segments.append(Segment(" " * (width - used - subject_w), base))
        strip = Strip(segments, width) if used <= width else Strip(segments).crop(0, width)
        if is_cursor:
            strip = strip.apply_style(self._style("message-list--cursor"))
        return strip

    # -- cursor -------------------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.index) - 1)) if len(self.index) else 0

    def watch_cursor(self, old: int, new: int) -> None:
        self._invalidate(old)
        self._invalidate(new)
        self.scroll_to_row(new)
        uid = self.current_uid
        if uid is not None:
            self.post_message(self.Highlighted(self, new, uid))

    def scroll_to_row(self, position: int) -> None:
        top = int(self.scroll_offset.y)
        height = max(self.size.height, 1)
        if position < top:
            self.scroll_to(y=position, animate=False, immediate=True)
        elif position >= top + height:
            self.scroll_to(y=position - height + 1, animate=False, immediate=True)

    def on_focus(self) -> None:
        self._invalidate(self.cursor)

    def on_blur(self) -> None:
        self._invalidate(self.cursor)

    def on_click(self, event: events.Click) -> None:
        position = int(self.scroll_offset.y) + event.y
        if 0 <= position < len(self.index):
            if position == self.cursor and event.chain >= 2:
                self.action_select()
            self.cursor = position

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.cursor += max(self.size.height - 1, 1)

    def action_page_up(self) -> None:
        self.cursor -= max(self.size.height - 1, 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.index) - 1

    def action_select(self) -> None:
        uid = self.current_uid
        if uid is not None:
            self.post_message(self.Selected(self, self.cursor, uid))
