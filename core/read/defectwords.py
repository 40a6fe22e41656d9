"""MIME and header defects, each said in one sentence a reader can weigh."""

from __future__ import annotations

import email.errors
from collections import Counter
from typing import Any

from smimetui.core.read.rawview import HeaderField

_WORDS = {
    "CloseBoundaryNotFoundDefect": (
        "A multipart part never closes its boundary: text after it may be shown by some mail "
        "programs and hidden by others."
    ),
    "StartBoundaryNotFoundDefect": (
        "A multipart part's boundary never appears: mail programs may read its parts differently."
    ),
    "NoBoundaryInMultipartDefect": "A multipart part names no boundary.",
    "MultipartInvariantViolationDefect": "A part says it is multipart but holds no parts.",
    "MissingHeaderBodySeparatorDefect": (
        "A header line is malformed, so the header may end earlier than it appears to."
    ),
    "FirstHeaderLineIsContinuationDefect": "The header starts with a continuation line.",
    "MisplacedEnvelopeHeaderDefect": "An mbox 'From ' line sits inside the header.",
    "InvalidBase64PaddingDefect": "Base64 content is damaged (wrong padding).",
    "InvalidBase64CharactersDefect": "Base64 content contains characters that are not base64.",
    "InvalidBase64LengthDefect": "Base64 content is damaged (wrong length).",
    "InvalidMultipartContentTransferEncodingDefect": (
        "A multipart part declares a transfer encoding, which multipart parts may not have."
    ),
    "UndecodableBytesDefect": "A header contains bytes that are not valid text.",
    "NonPrintableDefect": "A header contains characters that cannot be printed.",
}
# Headers that must appear at most once (RFC 5322 §3.6); a second copy can show one thing to
# the reader and another to a filter.
_SINGLE = ("from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id")
_REQUIRED = (("message-id", "Message-ID"), ("date", "Date"))


def _categories(parsed: Any) -> list[str]:
    names: list[str] = []
    for entry in getattr(parsed, "defects", []) or []:
        if not isinstance(entry, dict):
            continue
        for messages in entry.values():
            for message in messages if isinstance(messages, list) else []:
                name = str(message).split(":", 1)[0].strip()
                if name and name not in names:
                    names.append(name)
    return names


def _epilogue(parsed: Any) -> bool:
    message = getattr(parsed, "message", None)
    if message is None:
        return False
    try:
        return any((part.epilogue or "").strip() for part in message.walk())
    except Exception:  # a damaged tree: the other checks still speak
        return False


def defect_sentences(
    parsed: Any, fields: tuple[HeaderField, ...], *, mime: bool = True
) -> tuple[str, ...]:
    """Sentences for mail-parser's MIME defects and an epilogue (unless ``mime`` is off: the
    body was not given to it), and for duplicated and missing headers."""
    out = [
        _WORDS.get(name, f"The MIME structure has a defect ({name}).")
        for name in (_categories(parsed) if mime else [])
        if name.endswith("Defect") and hasattr(email.errors, name)  # the parser's own findings
    ]
    if mime and _epilogue(parsed):
        out.append(
            "Text follows the last boundary of a multipart part (an epilogue): mail programs "
            "do not show it, so it can hide content from you and not from a filter."
        )
    counts = Counter(f.name.lower() for f in fields)
    display = {f.name.lower(): f.name for f in fields}
    for name in _SINGLE:
        if counts[name] > 1:
            out.append(
                f"The message has {counts[name]} {display[name]} headers: mail programs may "
                "show different ones."
            )
    for name, label in _REQUIRED:
        if counts[name] == 0:
            out.append(f"The message has no {label} header.")
    return tuple(dict.fromkeys(out))
