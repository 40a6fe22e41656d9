"""The message list: a line-API ScrollView over a FolderIndex (toolong's ``LogLines`` pattern).

No widget per row: ``render_line`` draws only the visible rows, decoding each summary lazily from
the index, and finished rows are kept in an LRU strip cache.  A million-message folder costs what
its visible rows cost.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

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

from smimetui.core.mail.base import SEEN, FolderIndex, ListIndex, Summary
from smimetui.tui.verdict import Badge, badge_for_hint
from smimetui.tui.widgets.list_rows import CURSOR, RowPainter, fit, flags_text, format_date

__all__ = ["MessageList", "flags_text", "format_date"]


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
        self.flag_overrides: dict[int, frozenset[str]] = {}  # flags changed here since then
        self.empty_text = "No messages"
        # Finished rows by position, drawn without the cursor (the cursor row is the cached row
        # with the cursor style on top, which Strip caches too): moving the cursor redraws nothing.
        self._cache: LRUCache[int, Strip] = LRUCache(1024)
        self._cache_width = -1
        self._styles: dict[str, Style] = {}  # resolved once per style change, not per row
        self._painter = RowPainter(self._style)
        self._width = 0
        self._width_for: tuple[int, int, int] = (-1, -1, -1)
        self._frame: tuple[int, int, int] = (0, 0, -1)  # top row, row width, cursor row or -1

    # -- data ---------------------------------------------------------------------------
    def set_index(
        self,
        index: FolderIndex,
        cursor_uid: int | None = None,
        near: int | None = None,
        *,
        keep_scroll: bool = False,
    ) -> None:
        """Show ``index``, the cursor on ``cursor_uid``; if that is gone (deleted, moved), at
        position ``near`` (the message that took its place), else on the first row;
        ``keep_scroll`` leaves the scroll where it is (rows shown early being replaced)."""
        self.index = index
        self.seen_uids = set()
        self.flag_overrides = {}
        self._cache.clear()
        self.virtual_size = Size(0, len(index))
        position = index.position_of(cursor_uid) if cursor_uid is not None else None
        if not keep_scroll:
            self.scroll_to(y=0, animate=False, immediate=True)
        if position is None:
            position = near if near is not None else 0
        self.cursor = position  # clamped by validate_cursor; scrolls the cursor into view
        self.refresh()

    def grow_index(self, index: FolderIndex) -> None:
        """More rows of the same folder (a cold sync filling it): rows already shown keep their
        place, the cursor and the scroll position stay, nothing on screen is redrawn.  An index
        that does not extend the shown one is set as a new one, keeping the cursor's message
        (or, on the newest row, the newest row)."""
        old = self.index
        shown = [*self.visible_positions(), self.cursor]
        if len(index) < len(old) or any(
            p < len(old) and old.uid_at(p) != index.uid_at(p) for p in shown
        ):
            # a cursor still on the newest row stays on the newest row
            self.set_index(index, cursor_uid=self.current_uid if self.cursor else None)
            return
        self.index = index
        self.virtual_size = Size(0, len(index))
        if not len(old):
            self.cursor = 0  # the first rows: highlight the newest
        self.refresh()

    def set_badge(self, uid: int, badge: Badge) -> None:
        self.badges[uid] = badge
        position = self.index.position_of(uid)
        if position is not None:
            self._invalidate(position)

    def mark_seen(self, uid: int) -> None:
        self.seen_uids.add(uid)
        self.refresh_row(uid)

    def flags_of(self, uid: int) -> frozenset[str]:
        """The row's flags as shown now (changes made here win over the loaded summary)."""
        if uid in self.flag_overrides:
            return self.flag_overrides[uid]
        position = self.index.position_of(uid)
        flags = self.index.summary(position).flags if position is not None else frozenset()
        return flags | {SEEN} if uid in self.seen_uids else flags

    def show_flags(self, uid: int, flags: frozenset[str]) -> None:
        self.flag_overrides[uid] = flags
        self.seen_uids.discard(uid)
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
        self._cache.discard(position)
        self.refresh(Region(0, position - int(self.scroll_offset.y), self.size.width, 1))

    # -- rendering ----------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self.virtual_size = Size(0, len(self.index))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        self._styles = {}
        self._painter = RowPainter(self._style)

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

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line of this frame shares, read once instead of once per line.
        width = self._row_width()
        if width != self._cache_width:
            self._cache.clear()
            self._cache_width = width
        cursor = self.cursor if self.has_focus else -1
        self._frame = (int(self.scroll_offset.y), width, cursor)
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        top, width, cursor = self._frame
        position = top + y
        if position >= len(self.index):
            if y == 0 and not len(self.index):
                style = self._style("message-list--empty")
                return Strip([Segment(fit(self.empty_text, width), style)])
            return Strip.blank(width, self._style("base"))
        strip = self._cache.get(position)
        if strip is None:
            strip = self._cache[position] = self._render_row(position, width)
        if position == cursor:
            return strip.apply_style(self._style(CURSOR))
        return strip

    def _render_row(self, position: int, width: int) -> Strip:
        summary = self.index.summary(position)
        if summary.uid in self.flag_overrides:
            summary = replace(summary, flags=self.flag_overrides[summary.uid])
        badge = self.badges.get(summary.uid) or badge_for_hint(summary.security)
        seen = summary.seen or summary.uid in self.seen_uids
        return self._painter.row(summary, badge, seen, width)

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
