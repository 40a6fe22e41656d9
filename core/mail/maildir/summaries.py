"""Summaries of stored messages: the list row from the headers, the security badge from the
top-level Content-Type, and attachment detection from the MIME tree.

Shared by the Maildir backend and anything else that holds whole messages on disk.  Nothing
here raises on malformed input: a broken header gives an empty field, never an exception.
"""

from __future__ import annotations

import datetime as dt
import os
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from smimetui.core.mail.base import SecurityHint, Summary
from smimetui.core.sanitize import clean_line

_HEAD_CHUNK = 64 * 1024
_HEAD_LIMIT = 1024 * 1024  # a header block longer than this is cut (and still listed)
_FULL_PARSE_LIMIT = 64 * 1024 * 1024  # attachment detection reads messages up to this size
_SIGNATURE_TYPES = frozenset({"application/pkcs7-signature", "application/x-pkcs7-signature"})
_PKCS7_MIME = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})


def read_head(path: Path) -> tuple[bytes, int]:
    """The header block of the message at ``path`` and the file size."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(_HEAD_CHUNK)
        while _header_end(head) < 0 and len(head) < min(size, _HEAD_LIMIT):
            more = handle.read(_HEAD_CHUNK)
            if not more:
                break
            head += more
    end = _header_end(head)
    return (head[:end] if end >= 0 else head), size


def _header_end(data: bytes) -> int:
    positions = [p for p in (data.find(b"\n\n"), data.find(b"\r\n\r\n")) if p >= 0]
    return min(positions) if positions else -1


def parse_head(head: bytes) -> Message:
    # 8-bit headers are nearly always UTF-8; replace what is not, never fail.
    return HeaderParser(policy=compat32).parsestr(head.decode("utf-8", errors="replace"))


def decoded(msg: Message, name: str) -> str:
    """The header's text with RFC 2047 words decoded, sanitised to one line."""
    value = msg.get(name)
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (LookupError, UnicodeError, ValueError, AssertionError):
        text = str(value)
    return clean_line(text, max_length=1000)


def security_hint(msg: Message) -> SecurityHint:
    """What the top-level Content-Type claims (no verification happens here)."""
    ctype = msg.get_content_type()
    if ctype == "multipart/signed":
        return SecurityHint.SIGNED
    if ctype in _PKCS7_MIME:
        smime_type = str(msg.get_param("smime-type", "") or "").lower()
        if smime_type == "signed-data":
            return SecurityHint.SIGNED
        if smime_type in ("enveloped-data", "authenveloped-data", ""):
            return SecurityHint.ENCRYPTED  # .p7m without smime-type is enveloped in practice
    return SecurityHint.NONE


def has_attachments(msg: Message) -> bool:
    """True when some leaf part is an attachment (S/MIME signature parts do not count)."""
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype in _SIGNATURE_TYPES or ctype in _PKCS7_MIME:
            continue
        try:
            disposition = part.get_content_disposition()
            filename = part.get_filename()
        except (LookupError, UnicodeError, ValueError):
            return True  # unreadable parameters: show the paper clip rather than hide a part
        if disposition == "attachment" or (filename and disposition != "inline"):
            return True
    return False


def _date(msg: Message, fallback: float) -> dt.datetime:
    raw = msg.get("Date")
    if raw:
        try:
            when = parsedate_to_datetime(str(raw))
            return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    return dt.datetime.fromtimestamp(fallback, dt.UTC)


def _sender(msg: Message) -> tuple[str, str]:
    text = decoded(msg, "From")
    try:
        pairs = getaddresses([text])
    except (ValueError, IndexError):
        pairs = []
    name, addr = pairs[0] if pairs else ("", "")
    name, addr = clean_line(name, 200), clean_line(addr, 320)
    if not addr:
        return text, ""
    return (f"{name} <{addr}>" if name else addr), addr


def summarize(uid: int, path: Path, flags: frozenset[str]) -> Summary:
    head, size = read_head(path)
    msg = parse_head(head)
    security = security_hint(msg)
    structured = msg.get_content_maintype() == "multipart" or bool(msg.get("Content-Disposition"))
    attachments = (
        structured
        and security is not SecurityHint.ENCRYPTED
        and size <= _FULL_PARSE_LIMIT
        and has_attachments(_parse_file(path))
    )
    sender, sender_addr = _sender(msg)
    return Summary(
        uid=uid,
        date=_date(msg, path.stat().st_mtime),
        sender=sender,
        sender_addr=sender_addr,
        subject=decoded(msg, "Subject"),
        flags=flags,
        size=size,
        security=security,
        has_attachments=attachments,
        message_id=decoded(msg, "Message-ID"),
        in_reply_to=decoded(msg, "In-Reply-To"),
        to=decoded(msg, "To"),
    )


def _parse_file(path: Path) -> Message:
    with open(path, "rb") as handle:
        return BytesParser(policy=compat32).parse(handle)


def searchable_text(raw: bytes) -> str:
    """Decoded headers and text parts of ``raw``, for a plain substring search."""
    msg = BytesParser(policy=compat32).parsebytes(raw)
    chunks = [decoded(msg, h) for h in ("From", "To", "Cc", "Subject")]
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            payload = part.get_payload(decode=True)
        except (ValueError, TypeError):
            continue
        if isinstance(payload, bytes):
            charset = part.get_content_charset() or "utf-8"
            try:
                chunks.append(payload.decode(charset, errors="replace"))
            except LookupError:
                chunks.append(payload.decode("utf-8", errors="replace"))
    return "\n".join(chunks)
