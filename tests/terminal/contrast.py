"""WCAG 2.x contrast of every visible character against its own background."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tests.support.tmux import RGB, Cell

FLOOR = 1.3  # below this a character is as good as invisible
AA = 4.5  # WCAG AA for normal text


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: RGB) -> float:
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(fg: RGB, bg: RGB) -> float:
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def is_text(char: str) -> bool:
    """Letters, digits, punctuation and symbols: what a user reads.

    Box drawing and block elements (U+2500-U+259F) are how Textual paints frames, panel edges
    and scrollbars; a frame drawn in nearly its background colour is a design choice (a flat
    input), not hidden text, so they are left out of both rules.
    """
    if char.isspace() or char == "\u00a0":
        return False
    return not 0x2500 <= ord(char) <= 0x259F


def _hex(rgb: RGB) -> str:
    return f"#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}"


@dataclass(frozen=True)
class Report:
    screen: str
    text_cells: int
    below_aa: int
    invisible: tuple[Cell, ...]
    worst: tuple[tuple[float, Cell], ...]

    @property
    def aa_share(self) -> float:
        return 1.0 if not self.text_cells else 1 - self.below_aa / self.text_cells

    def describe(self) -> str:
        lines = [
            f"{self.screen}: {self.aa_share:.1%} of {self.text_cells} characters at {AA}:1, "
            f"{len(self.invisible)} below {FLOOR}:1"
        ]
        for cell in self.invisible[:4]:
            lines.append(
                f"  invisible {cell.char!r} at row {cell.row} col {cell.col} "
                f"fg {_hex(cell.fg)} bg {_hex(cell.bg)}"
            )
        for value, cell in self.worst[:8]:
            lines.append(
                f"  {value:4.2f}:1 {cell.char!r} at row {cell.row} col {cell.col} "
                f"fg #{cell.fg[0]:02x}{cell.fg[1]:02x}{cell.fg[2]:02x} "
                f"bg #{cell.bg[0]:02x}{cell.bg[1]:02x}{cell.bg[2]:02x}"
            )
        return "\n".join(lines)


def measure(screen: str, cells: Iterable[Cell]) -> Report:
    text_cells = below = 0
    invisible: list[Cell] = []
    scored: list[tuple[float, Cell]] = []
    for cell in cells:
        if not is_text(cell.char):
            continue
        value = ratio(cell.fg, cell.bg)
        text_cells += 1
        if value < FLOOR:
            invisible.append(cell)
        if value < AA:
            below += 1
            scored.append((value, cell))
    scored.sort(key=lambda pair: pair[0])
    return Report(screen, text_cells, below, tuple(invisible), tuple(scored))
