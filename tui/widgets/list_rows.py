"""Drawing one message-list row: column widths, cell fitting and the styles, measured once.

``render_line`` runs for every visible row of every frame, so everything that does not depend on
the row (column widths for the current width, the combined Rich styles for each read/badge
state) is worked out once here and reused; a row costs a few string slices and one ``Strip``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from smimetui.core.mail.base import Summary
from smimetui.tui.verdict import BADGE_WIDTH, Badge, Level

FLAGS_WIDTH = 3
DATE_WIDTH = 16
SENDER_WIDTH = 22
UNREAD = "message-list--unread"
CURSOR = "message-list--cursor"
LEVEL_CLASSES = {
    Level.GOOD: "message-list--good",
    Level.WARN: "message-list--warn",
    Level.BAD: "message-list--bad",
    Level.ENCRYPTED: "message-list--encrypted",
    Level.UNCHECKED: "message-list--unchecked",
}

# Characters that always take exactly one cell: printable Latin, Greek, Cyrillic, the common
# punctuation (dashes, quotes, bullets, ellipsis), currency signs and box drawing.  A string made
# only of these is cut and padded by slicing instead of measuring each character.
_NARROW_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0xAC),
    (0xAE, 0x2FF),
    (0x370, 0x482),
    (0x2010, 0x2027),
    (0x2030, 0x205E),
    (0x20A0, 0x20C0),
    (0x2500, 0x25FC),
)
NARROW = frozenset(chr(c) for start, end in _NARROW_RANGES for c in range(start, end + 1))
_all_narrow = NARROW.issuperset


def format_date(when: datetime | None) -> str:
    """Absolute dates only: the list never depends on the clock (stable snapshots too)."""
    if when is None:
        return ""
    # The same text as strftime("%Y-%m-%d %H:%M"), several times faster per row.
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d} {when.hour:02d}:{when.minute:02d}"


def flags_text(summary: Summary, seen: bool) -> str:
    new = " " if seen else "N"
    star = "*" if summary.flagged else " "
    attach = "@" if summary.has_attachments else " "
    return f"{new}{star}{attach}"


def fit(text: str, width: int) -> str:
    """Cut or pad ``text`` to exactly ``width`` cells (the summary strings are sanitised)."""
    if width <= 0:
        return ""
    if _all_narrow(text):  # one cell per character: plain slicing
        return text[: width - 1] + "…" if len(text) > width else text.ljust(width)
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


@dataclass(frozen=True, slots=True)
class Columns:
    """Column widths for one row width; ``fixed`` is everything but the subject."""

    width: int
    date: int
    sender: int
    fixed: int
    subject: int

    @classmethod
    def for_width(cls, width: int) -> Columns:
        date_w = DATE_WIDTH if width >= 90 else (10 if width >= 70 else 0)
        sender_w = SENDER_WIDTH if width >= 60 else 14
        fixed = FLAGS_WIDTH + 1 + BADGE_WIDTH + 1 + (date_w + 1 if date_w else 0) + sender_w + 1
        return cls(width, date_w, sender_w, fixed, max(width - fixed, 0))


class RowPainter:
    """Turns a summary into a Strip; styles are resolved once per stylesheet change."""

    def __init__(self, resolve: Callable[[str], Style]) -> None:
        self._resolve = resolve
        self._styles: dict[tuple[bool, Level], tuple[Style, Style]] = {}
        self._columns = Columns.for_width(0)
        self._badge_text: dict[Badge, str] = {}

    def styles(self, seen: bool, level: Level) -> tuple[Style, Style]:
        """(row style, badge style) for a read/unread row with a badge of ``level``."""
        pair = self._styles.get((seen, level))
        if pair is None:
            base = self._resolve("base")
            if not seen:
                base = base + self._resolve(UNREAD)
            name = LEVEL_CLASSES.get(level)
            pair = (base, base + self._resolve(name) if name else base)
            self._styles[(seen, level)] = pair
        return pair

    def columns(self, width: int) -> Columns:
        if self._columns.width != width:
            self._columns = Columns.for_width(width)
        return self._columns

    def badge_text(self, badge: Badge) -> str:
        text = self._badge_text.get(badge)
        if text is None:
            text = self._badge_text[badge] = fit(badge.text, BADGE_WIDTH) + " "
        return text

    def row(self, summary: Summary, badge: Badge, seen: bool, width: int) -> Strip:
        cols = self.columns(width)
        base, badge_style = self.styles(seen, badge.level)
        segments = [
            Segment(flags_text(summary, seen) + " ", base),
            Segment(self.badge_text(badge), badge_style),
        ]
        if cols.date:
            date = format_date(summary.date)[: cols.date]
            segments.append(Segment(fit(date, cols.date) + " ", base))
        segments.append(Segment(fit(summary.sender, cols.sender) + " ", base))
        segments.append(Segment(fit(summary.subject, cols.subject), base))
        if cols.fixed <= width:  # the columns add up to exactly ``width`` cells
            return Strip(segments, width)
        return Strip(segments).crop(0, width)
