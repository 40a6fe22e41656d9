"""Lazy decoding of raw ENVELOPE/BODYSTRUCTURE bytes into :class:`Summary` values.

The bulk fetch keeps these bytes undecoded (see :mod:`imap_fetch`); only rows that are shown,
sorted or searched pay for parsing.  Every string that leaves here went through
:func:`clean_line`.  Malformed input never raises: a row with garbage shows what could be read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.header
import email.utils
import itertools
import re
from dataclasses import dataclass
from typing import TypeAlias

from smimetui.core.mail.base import SecurityHint, Summary
from smimetui.core.sanitize import clean_line

Item: TypeAlias = "bytes | None | list[Item]"

_TOKEN = re.compile(
    rb'[ \t\r\n]*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|\{(\d+)\+?\}\r\n|([^\s()"{]+))', re.S
)
_UNESCAPE = re.compile(rb"\\(.)", re.S)
_MAX_DEPTH = 64


def parse_items(data: bytes) -> list[Item]:
    """IMAP s-expressions -> nested lists of bytes/None (NIL); stops quietly at bad input."""
    return _parse(data)[0]


def summary_items_complete(raw: bytes) -> bool:
    """Whether the ENVELOPE/BODYSTRUCTURE bytes of a FETCH parse to the end into what RFC 3501
    says they are (a response misframed by a wrong literal length does not)."""
    items, pos, depth = _parse(raw)
    if depth or raw[pos:].strip() or len(items) % 2:
        return False
    found: dict[bytes, Item] = {}
    for k, v in zip(items[::2], items[1::2], strict=True):
        if not isinstance(k, bytes):
            return False
        found[k.upper()] = v
    env = found.get(b"ENVELOPE")
    if b"ENVELOPE" in found and (not isinstance(env, list) or len(env) != 10):
        return False
    if isinstance(env, list) and not all(_address_list(a) for a in env[2:8]):
        return False
    body = found.get(b"BODYSTRUCTURE")
    return b"BODYSTRUCTURE" not in found or (isinstance(body, list) and bool(body))


def _address_list(value: Item) -> bool:
    return value is None or (
        isinstance(value, list) and all(isinstance(a, list) and len(a) == 4 for a in value)
    )


def _parse(data: bytes) -> tuple[list[Item], int, int]:
    """(items, position reached, open parentheses left)."""
    stack: list[list[Item]] = [[]]
    pos, end = 0, len(data)
    while pos < end:
        m = _TOKEN.match(data, pos)
        if m is None:
            break
        pos = m.end()
        if m.group(1) is not None:
            if len(stack) > _MAX_DEPTH:
                pos = m.start()
                break
            new: list[Item] = []
            stack[-1].append(new)
            stack.append(new)
        elif m.group(2) is not None:
            if len(stack) == 1:
                pos = m.start()
                break
            stack.pop()
        elif m.group(3) is not None:
            text = m.group(3)
            stack[-1].append(_UNESCAPE.sub(rb"\1", text) if b"\\" in text else text)
        elif m.group(4) is not None:
            n = int(m.group(4))
            if pos + n > end:  # a literal longer than what is there: not complete
                return stack[0], m.start(), len(stack)
            stack[-1].append(data[pos : pos + n])
            pos += n
        else:
            atom = m.group(5)
            stack[-1].append(None if atom == b"NIL" else atom)
    return stack[0], pos, len(stack) - 1


def fetch_items(raw: bytes) -> dict[bytes, Item]:
    """``ENVELOPE (...) BODYSTRUCTURE (...)`` -> {b"ENVELOPE": [...], b"BODYSTRUCTURE": [...]}."""
    items = parse_items(raw)
    out: dict[bytes, Item] = {}
    for i in range(0, len(items) - 1, 2):
        key = items[i]
        if isinstance(key, bytes):
            out[key.upper()] = items[i + 1]
    return out


def _text(value: Item) -> str:
    """A header-ish string: bytes decoded as UTF-8 (or Latin-1), RFC 2047 words decoded."""
    if not isinstance(value, bytes):
        return ""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value.decode("latin-1")
    if "=?" in text:
        with contextlib.suppress(ValueError, LookupError, UnicodeError, AssertionError):
            text = str(email.header.make_header(email.header.decode_header(text)))
    return text


def _addresses(value: Item) -> list[tuple[str, str]]:
    """ENVELOPE address list -> [(display name, addr-spec)] (group syntax flattened)."""
    out: list[tuple[str, str]] = []
    if not isinstance(value, list):
        return out
    for addr in value:
        if not isinstance(addr, list) or len(addr) < 4:
            continue
        mailbox, host = addr[2], addr[3]
        if host is None:  # group start/end markers
            continue
        spec = f"{_text(mailbox)}@{_text(host)}"
        out.append((clean_line(_text(addr[0]), 200), clean_line(spec, 320)))
    return out


def _shown(addrs: list[tuple[str, str]]) -> str:
    return ", ".join(f"{n} <{a}>" if n else a for n, a in addrs)


@dataclass(frozen=True, slots=True)
class Structure:
    security: SecurityHint
    has_attachments: bool


def _lower(value: Item) -> str:
    return value.decode("latin-1").lower() if isinstance(value, bytes) else ""


def _params(value: Item) -> dict[str, str]:
    if not isinstance(value, list):
        return {}
    return {_lower(value[i]): _lower(value[i + 1]) for i in range(0, len(value) - 1, 2)}


def _is_attachment(part: list[Item]) -> bool:
    ctype, subtype = _lower(part[0]), _lower(part[1]) if len(part) > 1 else ""
    if ctype == "application" and subtype in ("pkcs7-signature", "x-pkcs7-signature"):
        return False
    for extra in part[7:]:
        if isinstance(extra, list) and extra and _lower(extra[0]) == "attachment":
            return True
    return ctype not in ("text", "multipart", "message") and "name" in _params(
        part[2] if len(part) > 2 else None
    )


def _walk_attachments(body: Item, depth: int = 0) -> bool:
    if not isinstance(body, list) or not body or depth > _MAX_DEPTH:
        return False
    if isinstance(body[0], list):  # multipart: children first, then the subtype
        return any(
            _walk_attachments(child, depth + 1)
            for child in itertools.takewhile(lambda c: isinstance(c, list), body)
        )
    return _is_attachment(body)


def decode_structure(body: Item) -> Structure:
    """What a BODYSTRUCTURE says about S/MIME (signed/encrypted) and attachments."""
    if not isinstance(body, list) or not body:
        return Structure(SecurityHint.NONE, False)
    if isinstance(body[0], list):
        count = next((i for i, c in enumerate(body) if not isinstance(c, list)), len(body))
        children = body[:count]
        subtype = _lower(body[len(children)]) if len(body) > len(children) else ""
        params = _params(body[len(children) + 1]) if len(body) > len(children) + 1 else {}
        if subtype == "signed":
            return Structure(
                SecurityHint.SIGNED, _walk_attachments(children[0] if children else None)
            )
        if subtype == "encrypted" and "pkcs7" in params.get("protocol", ""):
            return Structure(SecurityHint.ENCRYPTED, False)
        return Structure(SecurityHint.NONE, _walk_attachments(body))
    ctype, subtype = _lower(body[0]), _lower(body[1]) if len(body) > 1 else ""
    if ctype == "application" and subtype in ("pkcs7-mime", "x-pkcs7-mime"):
        smime_type = _params(body[2] if len(body) > 2 else None).get("smime-type", "")
        if smime_type in ("signed-data", "certs-only"):
            return Structure(SecurityHint.SIGNED, False)
        return Structure(SecurityHint.ENCRYPTED, False)
    return Structure(SecurityHint.NONE, _is_attachment(body))


def _envelope_date(value: Item, fallback: int) -> dt.datetime | None:
    text = _text(value)
    if text:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            return parsed
        except (ValueError, TypeError, IndexError, OverflowError):
            pass
    return dt.datetime.fromtimestamp(fallback, dt.UTC) if fallback else None


def decode_summary(uid: int, flags: str, date: int, size: int, raw: bytes) -> Summary:
    """The list row for one cached message."""
    items = fetch_items(raw)
    env = items.get(b"ENVELOPE")
    env = env if isinstance(env, list) else []
    env = env + [None] * (10 - len(env))
    senders = _addresses(env[2]) or _addresses(env[3])
    name, addr = senders[0] if senders else ("", "")
    structure = decode_structure(items.get(b"BODYSTRUCTURE"))
    return Summary(
        uid=uid,
        date=_envelope_date(env[0], date),
        sender=name or addr,
        sender_addr=addr,
        subject=clean_line(_text(env[1]), 500),
        flags=frozenset(clean_line(f, 200) for f in flags.split()),
        size=size,
        security=structure.security,
        has_attachments=structure.has_attachments,
        message_id=clean_line(_text(env[9]), 500),
        in_reply_to=clean_line(_text(env[8]), 500),
        to=clean_line(_shown(_addresses(env[5])), 500),
    )


def sort_keys(raw: bytes) -> tuple[str, str]:
    """(sender, subject) folded for sorting; cheaper than a full summary."""
    items = fetch_items(raw)
    env = items.get(b"ENVELOPE")
    env = env if isinstance(env, list) else []
    env = env + [None] * (4 - len(env))
    senders = _addresses(env[2])
    sender = (senders[0][0] or senders[0][1]) if senders else ""
    subject = clean_line(_text(env[1]), 200)
    while subject[:3].lower() in ("re:", "fw:") or subject[:4].lower() == "fwd:":
        subject = subject.split(":", 1)[1].lstrip()
    return sender.casefold(), subject.casefold()
