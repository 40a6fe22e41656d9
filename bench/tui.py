"""TUI benchmarks (issue 5), headless with ``App.run_test``; every baseline is measured in the run.

* ``first_paint``: seconds from start to the first painted screen of a message list over a warm
  100k-row index, against an empty Textual app.  Goal: at most 100 ms more than the empty app
  (the goal column shows the ratio that means exactly +100 ms).
* ``scroll_p95_ms``: p95 milliseconds per frame (move the cursor, then render every visible line
  through ``Widget.render_lines``, as the compositor does) over page-down / down / random jumps on
  100k rows, against a trivial ``render_line`` ScrollView of the same size.  Goal: ours at most
  16.7 ms (the goal column is baseline/16.7).
* ``scroll_size_independence``: p95 at 1M rows against p95 at 100k rows; goal 1M/100k <= 1.2.

Run: ``python bench/tui.py`` (``--json`` for records).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from bench.common import Record, parser, progress, report
from smimetui.core.mail.base import SEEN, ListIndex, SecurityHint, Summary
from smimetui.tui.widgets.message_list import MessageList

SIZE = (160, 50)
FRAMES = 300
_BASE_DATE = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def _summary(position: int, n: int) -> Summary:
    return Summary(
        uid=n - position,
        date=_BASE_DATE - dt.timedelta(minutes=position),
        sender=f"Sender Number {position % 977} <sender{position % 977}@example.org>",
        sender_addr=f"sender{position % 977}@example.org",
        subject=f"Quarterly report {position} — figures, plans and the usual questions",
        flags=frozenset({SEEN}) if position % 4 else frozenset(),
        security=(SecurityHint.SIGNED, SecurityHint.NONE, SecurityHint.ENCRYPTED)[position % 3],
        has_attachments=position % 5 == 0,
    )


class LazyIndex:
    """A FolderIndex whose rows are decoded on demand (as the SQLite-backed index does)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def summary(self, position: int) -> Summary:
        return _summary(position, self.n)

    def uid_at(self, position: int) -> int:
        return self.n - position

    def position_of(self, uid: int) -> int | None:
        return self.n - uid if 0 < uid <= self.n else None


class TrivialList(ScrollView):
    """Baseline: the cheapest possible line-API list."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows
        self.cursor = 0

    def on_mount(self) -> None:
        self.virtual_size = Size(0, self.rows)

    def render_line(self, y: int) -> Strip:
        row = int(self.scroll_offset.y) + y
        return Strip([Segment(f"row {row}")]).adjust_cell_length(self.size.width)

    def move(self, position: int) -> None:
        self.cursor = max(0, min(position, self.rows - 1))
        top = int(self.scroll_offset.y)
        if not top <= self.cursor < top + self.size.height:
            self.scroll_to(
                y=max(0, self.cursor - self.size.height + 1), animate=False, immediate=True
            )


class ListApp(App[None]):
    def __init__(self, widget: ScrollView | Static) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def _steps(rows: int, height: int) -> list[int]:
    rng = random.Random(5)
    steps, pos = [], 0
    for i in range(FRAMES):
        kind = i % 3
        if kind == 0:
            pos = min(pos + height - 1, rows - 1)  # page down
        elif kind == 1:
            pos = min(pos + 1, rows - 1)  # down
        else:
            pos = rng.randrange(rows)  # random jump
        steps.append(pos)
    return steps


async def _frames(widget: MessageList | TrivialList, rows: int) -> list[float]:
    app = ListApp(widget)
    times: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        if isinstance(widget, MessageList):
            widget.set_index(LazyIndex(rows))
            widget.focus()
        await pilot.pause()
        region = Region(0, 0, widget.size.width, widget.size.height)
        for position in _steps(rows, widget.size.height):
            start = time.perf_counter()
            if isinstance(widget, MessageList):
                widget.cursor = position
            else:
                widget.move(position)
            widget.render_lines(region)
            times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def _first_paint(make: type[App[None]] | None, index: object | None) -> float:
    start = time.perf_counter()
    if index is None:
        app: App[None] = App()
    else:
        widget = MessageList()
        app = ListApp(widget)

        def mount() -> None:
            widget.set_index(index)  # type: ignore[arg-type]

        app.call_later(mount)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        elapsed = time.perf_counter() - start
    return elapsed


def _best(samples: int, func) -> float:  # type: ignore[no-untyped-def]
    return min(asyncio.run(func()) for _ in range(samples))


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    progress("building a warm 100k index ...")
    warm = ListIndex([_summary(i, 100_000) for i in range(100_000)])
    progress("first paint ...")
    empty = _best(5, lambda: _first_paint(None, None))
    ours_paint = _best(5, lambda: _first_paint(None, warm))
    progress("frames on 100k and 1M rows ...")
    base_frames = asyncio.run(_frames(TrivialList(100_000), 100_000))
    frames_100k = asyncio.run(_frames(MessageList(), 100_000))
    frames_1m = asyncio.run(_frames(MessageList(), 1_000_000))
    p_base, p_100k, p_1m = p95(base_frames), p95(frames_100k), p95(frames_1m)
    records = [
        Record.of("first_paint", ours_paint, empty, empty / (empty + 0.1), "s"),
        Record.of("scroll_p95_ms", p_100k, p_base, p_base / 16.7, "ms"),
        Record.of("scroll_size_independence", p_1m, p_100k, 1 / 1.2, "p95 ms 1M vs 100k"),
    ]
    notes = [
        f"first paint: {ours_paint * 1000:.0f} ms with 100k rows, {empty * 1000:.0f} ms empty "
        f"app (+{(ours_paint - empty) * 1000:.0f} ms; goal at most +100 ms)",
        f"p95 frame: {p_100k:.2f} ms (100k), {p_1m:.2f} ms (1M), trivial list {p_base:.2f} ms; "
        "goal at most 16.7 ms and 1M/100k at most 1.2",
    ]
    report(records, as_json=args.json, notes=notes)


if __name__ == "__main__":
    main()
