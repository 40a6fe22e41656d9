"""A captured terminal screen as an SVG picture (then PNG with rsvg-convert), to look at."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from tests.support.tmux import RGB, Cell

CELL_W, CELL_H = 9, 18


def _hex(rgb: RGB) -> str:
    return f"#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}"


def to_svg(cells: Sequence[Cell], cols: int, rows: int) -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{cols * CELL_W}" '
        f'height="{rows * CELL_H}" font-family="DejaVu Sans Mono, monospace" font-size="15">'
    ]
    for cell in cells:
        x, y = cell.col * CELL_W, cell.row * CELL_H
        parts.append(
            f'<rect x="{x}" y="{y}" width="{CELL_W + 0.5}" height="{CELL_H + 0.5}" '
            f'fill="{_hex(cell.bg)}"/>'
        )
    for cell in cells:
        if cell.char.strip():
            x, y = cell.col * CELL_W, cell.row * CELL_H + CELL_H - 4
            parts.append(
                f'<text x="{x}" y="{y}" fill="{_hex(cell.fg)}" xml:space="preserve">'
                f"{escape(cell.char)}</text>"
            )
    parts.append("</svg>")
    return "\n".join(parts)
