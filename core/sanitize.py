"""Make untrusted text safe to display in a terminal.

Everything that came from a message or a certificate goes through here before any widget or the
CLI sees it: ESC, BEL, backspace, CR and every other C0/C1 control is removed (so no escape
sequence can reach the terminal), and bidi overrides/isolates and invisible characters are shown
escaped as ``<U+202E>`` so that a user can see that they were there.  Markup escaping is the UI's
job (``markup=False`` / ``Content``); this module makes the characters themselves harmless.
"""

from __future__ import annotations

import re
import unicodedata

# Characters shown escaped rather than dropped: they change how text reads without being seen.
_VISIBLE_ESCAPES = {
    # bidi embeddings, overrides and isolates
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    0x200E,  # LRM
    0x200F,  # RLM
    0x061C,  # ALM
    # zero-width and invisible formatting
    0x200B,
    0x200C,
    0x200D,
    0x2060,
    0x2061,
    0x2062,
    0x2063,
    0x2064,
    0xFEFF,
    0x00AD,  # soft hyphen
    0x180E,
    0x115F,
    0x1160,
    0x3164,
    0xFFA0,
}

_TAB = "    "


def _escape(ch: str) -> str:
    return f"<U+{ord(ch):04X}>"


def _clean_char(ch: str, keep_newlines: bool) -> str:
    code = ord(ch)
    if ch == "\n":
        return "\n" if keep_newlines else " "
    if ch == "\t":
        return _TAB if keep_newlines else " "
    if code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
        return ""  # C0/C1 controls, DEL: never shown, never passed through
    if code in _VISIBLE_ESCAPES:
        return _escape(ch)
    category = unicodedata.category(ch)
    if category in ("Cf", "Co", "Cs", "Cn"):
        # other format characters, private use, lone surrogates, unassigned
        return _escape(ch)
    if category in ("Zl", "Zp"):
        return "\n" if keep_newlines else " "
    return ch


_SAFE_RUN = re.compile(r"[\x20-\x7e]*\Z")


def clean_text(text: str) -> str:
    """Sanitise multi-line text (bodies): newlines kept, tabs expanded, CRLF folded to LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _SAFE_RUN.match(text.replace("\n", "")):
        return text
    return "".join(_clean_char(ch, keep_newlines=True) for ch in text)


def clean_line(text: str, max_length: int | None = 2000) -> str:
    """Sanitise a one-line field (subject, name, filename, certificate field).

    Line breaks become spaces and runs of whitespace collapse to one space, so a display name
    padded with whitespace cannot push the real address out of view.
    """
    if not _SAFE_RUN.match(text):
        text = "".join(_clean_char(ch, keep_newlines=False) for ch in text)
    text = " ".join(text.split())
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text


# File systems limit a name to 255 bytes (Linux/BSD NAME_MAX, APFS: 255 UTF-8 bytes).
MAX_NAME_BYTES = 255
_MAX_EXTENSION_BYTES = 16
_CUT = "…"


def split_extension(name: str) -> tuple[str, str]:
    """("report", ".pdf") for "report.pdf"; no extension when what follows the last dot is
    long or has spaces (then it is part of the name, not a type)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not ext or " " in ext:
        return name, ""
    if len(ext.encode("utf-8")) + 1 > _MAX_EXTENSION_BYTES:
        return name, ""
    return stem, "." + ext


def fit_filename(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` cut to ``limit`` UTF-8 bytes, keeping its extension, never splitting a
    character; a cut is marked with "…" before the extension."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, ext = split_extension(name)
    budget = max(0, limit - len(ext.encode("utf-8")) - len(_CUT.encode("utf-8")))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip()
    return cut + _CUT + ext


def clean_filename(name: str) -> str:
    """A filename safe to show and to save: no path separators, no leading dots, at most
    255 bytes with its extension kept."""
    name = clean_line(name, max_length=None).replace("/", "_").replace("\\", "_")
    name = name.lstrip(".").strip()
    return fit_filename(name) if name else "attachment"
