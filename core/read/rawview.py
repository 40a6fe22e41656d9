"""Full headers and the raw source of a message, made safe to show.

Both come from the original bytes, never from a re-serialised parse.  Header lines are unfolded
and every control character is removed (``core/sanitize``); the source keeps its line breaks.
Limits keep a hostile message (thousands of Received lines, megabyte headers) cheap to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from smimetui.core.read.mimewalk import split_header_body
from smimetui.core.sanitize import clean_line, clean_text

MAX_HEADER_FIELDS = 20_000  # more than 10,000 Received hops still fit; beyond, one note
MAX_FIELD_CHARS = 8_000  # one field shown up to this many characters
MAX_SOURCE_BYTES = 8 * 1024 * 1024  # the source view shows the first 8 MiB


@dataclass(frozen=True, slots=True)
class HeaderField:
    name: str
    value: str  # unfolded and sanitised


def _fields(block: bytes) -> list[tuple[bytes, bytes]]:
    """(name, value) per field in wire order; continuation lines are unfolded."""
    out: list[tuple[bytes, bytes]] = []
    for line in block.replace(b"\r\n", b"\n").split(b"\n"):
        if line[:1] in (b" ", b"\t") and out:
            name, value = out[-1]
            if len(value) < MAX_FIELD_CHARS * 4:
                out[-1] = (name, value + b" " + line.strip())
            continue
        name, sep, value = line.partition(b":")
        if sep and name and not name[:1].isspace():
            if len(out) >= MAX_HEADER_FIELDS:
                break
            out.append((name.strip(), value.strip()))
    return out


def header_fields(raw: bytes) -> tuple[tuple[HeaderField, ...], bool]:
    """All header fields of ``raw`` in order, and whether some were left out (limit)."""
    block, _body = split_header_body(raw)
    pairs = _fields(block)
    fields = tuple(
        HeaderField(
            name=clean_line(name.decode("ascii", "replace"), max_length=200),
            value=clean_line(value.decode("utf-8", "replace"), max_length=MAX_FIELD_CHARS),
        )
        for name, value in pairs
    )
    return fields, len(pairs) >= MAX_HEADER_FIELDS


def header_lines(raw: bytes) -> list[str]:
    """``Name: value`` per field, for the CLI and the message pane."""
    fields, cut = header_fields(raw)
    lines = [f"{f.name}: {f.value}" for f in fields]
    if cut:
        lines.append(f"(only the first {MAX_HEADER_FIELDS:,} header fields are shown)")
    return lines


def source_text(raw: bytes) -> str:
    """The message as it arrived, decoded for reading (8-bit as UTF-8), controls removed."""
    shown = raw[:MAX_SOURCE_BYTES]
    text = clean_text(shown.decode("utf-8", "replace"))
    if len(raw) > MAX_SOURCE_BYTES:
        text += f"\n(the source is cut here: only the first {MAX_SOURCE_BYTES // 1048576} MiB)\n"
    return text
