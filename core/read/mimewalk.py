"""Walk a MIME tree keeping the original bytes of every entity.

S/MIME signatures cover exact bytes, and re-serialising a parsed message is not byte-exact, so the
tree is split on the raw bytes: each :class:`Entity` holds the bytes it was cut from, its parsed
headers (stdlib ``email``) and its raw, still transfer-encoded body.  Limits on depth and part count
keep hostile nesting bounded.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from dataclasses import dataclass, field
from email.header import Header, decode_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from smimetui.core.errors import MimeError, ResourceLimitError

MAX_DEPTH = 16
MAX_PARTS = 2000

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_header_parser = BytesHeaderParser(policy=compat32)


@dataclass(frozen=True, slots=True)
class Entity:
    raw: bytes = field(repr=False)  # the entity exactly as in the input (headers + body)
    headers: Message = field(repr=False)
    body: bytes = field(repr=False)  # raw body, still content-transfer-encoded
    content_type: str  # lower-case "maintype/subtype"
    children: tuple[Entity, ...] = ()
    defects: tuple[str, ...] = ()
    _memo: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)

    def param(self, name: str) -> str | None:
        """A Content-Type parameter (RFC 2231 decoded); parsed once per entity."""
        if "params" not in self._memo:
            params: dict[str, str] = {}
            for key, value in self.headers.get_params(header="content-type", failobj=[])[1:]:
                if isinstance(value, tuple):  # RFC 2231 encoded
                    value = value[2]
                params.setdefault(key.lower(), str(value).strip('"'))
            self._memo["params"] = params
        return self._memo["params"].get(name.lower())

    @property
    def is_multipart(self) -> bool:
        return self.content_type.startswith("multipart/")

    @property
    def disposition(self) -> str:
        value = self.headers.get("content-disposition", "")
        return str(value).split(";", 1)[0].strip().lower()

    @property
    def filename(self) -> str | None:
        name = self.headers.get_filename()
        if name is None:
            name = self.param("name")
        return str(name) if name is not None else None

    def decoded(self) -> bytes:
        """The body with its Content-Transfer-Encoding undone (tolerant of bad padding)."""
        return decode_transfer(self.body, str(self.headers.get("content-transfer-encoding", "")))


_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_BASE64 = bytes(b for b in range(256) if b not in _BASE64_ALPHABET)


def decode_transfer(body: bytes, encoding: str) -> bytes:
    enc = encoding.strip().lower()
    if enc == "base64":
        data = body.translate(None, _NOT_BASE64)  # faster than a regex, same result
        data = data.split(b"=", 1)[0]
        data += b"=" * (-len(data) % 4)
        try:
            return base64.b64decode(data)
        except (binascii.Error, ValueError):
            return b""
    if enc == "quoted-printable":
        return quopri.decodestring(body)
    return body


def split_header_body(raw: bytes) -> tuple[bytes, bytes]:
    """Header block and body of an entity.  A blank first line means no headers."""
    if raw.startswith(b"\r\n"):
        return b"", raw[2:]
    if raw.startswith(b"\n"):
        return b"", raw[1:]
    match = _HEADER_END.search(raw)
    if match is None:
        return raw, b""
    return raw[: match.start()] + b"\r\n", raw[match.end() :]


def _delimiter_end(body: bytes, pos: int, marker_len: int) -> tuple[int, bool] | None:
    """If a delimiter line starts at ``pos``: (end of its line break, is close delimiter)."""
    end = pos + marker_len
    closing = body.startswith(b"--", end)
    if closing:
        end += 2
    while end < len(body) and body[end] in b" \t":
        end += 1
    if end == len(body):
        return end, closing
    if body.startswith(b"\r\n", end):
        return end + 2, closing
    if body.startswith(b"\n", end):
        return end + 1, closing
    return None  # "--boundary" followed by other text is not a delimiter


def split_multipart(body: bytes, boundary: str) -> tuple[list[bytes], bool]:
    """The raw parts of a multipart body, and whether the close delimiter was found.

    Plain ``bytes.find`` rather than a regex per boundary: every message has its own boundary,
    and compiling a pattern for each costs more than the whole scan.
    """
    marker = b"--" + boundary.encode("utf-8", "surrogateescape")
    parts: list[bytes] = []
    start: int | None = None
    pos = 0
    while True:
        pos = body.find(marker, pos)
        if pos < 0:
            break
        if pos > 0 and body[pos - 1] != 0x0A:  # not at the start of a line
            pos += 1
            continue
        found = _delimiter_end(body, pos, len(marker))
        if found is None:
            pos += 1
            continue
        line_end, closing = found
        if start is not None:
            # RFC 2046: the line break before "--boundary" belongs to the delimiter
            cut = pos - 1 if pos > 0 else pos
            if cut > 0 and body[cut - 1] == 0x0D:
                cut -= 1
            parts.append(body[start : max(cut, start)])
            if len(parts) > MAX_PARTS:
                raise ResourceLimitError(
                    f"The message has more than {MAX_PARTS} parts; smimetui stops reading there."
                )
        if closing:
            return parts, True
        start = line_end
        pos = line_end
    if start is not None:
        parts.append(body[start:])
    return parts, False


class _Counter:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


def _boundary(headers: Message) -> str | None:
    """The boundary parameter (what ``Message.get_boundary`` returns, with one parse)."""
    value = headers.get_param("boundary", header="content-type")
    if value is None or value == "":
        return None
    if isinstance(value, tuple):  # RFC 2231 encoded
        value = value[2]
    return str(value).rstrip()


def parse_entity(raw: bytes, *, depth: int = 0, _counter: _Counter | None = None) -> Entity:
    """Parse ``raw`` into an :class:`Entity` tree.  Raises :class:`MimeError` on non-MIME input."""
    counter = _counter or _Counter()
    counter.count += 1
    if counter.count > MAX_PARTS:
        raise ResourceLimitError(
            f"The message has more than {MAX_PARTS} parts; smimetui stops reading there."
        )
    if depth > MAX_DEPTH:
        raise ResourceLimitError(
            f"The message is nested more than {MAX_DEPTH} levels deep; smimetui stops there."
        )
    header_bytes, body = split_header_body(raw)
    headers = _header_parser.parsebytes(header_bytes)
    defects = [type(d).__name__ for d in headers.defects]
    content_type = headers.get_content_type()
    children: tuple[Entity, ...] = ()
    if content_type.startswith("multipart/"):
        boundary = _boundary(headers)
        if not boundary:
            defects.append("MultipartWithoutBoundary")
            content_type = "text/plain"
        else:
            parts, closed = split_multipart(body, boundary)
            if not closed:
                defects.append("MissingCloseBoundary")
            children = tuple(
                parse_entity(part, depth=depth + 1, _counter=counter) for part in parts
            )
    return Entity(
        raw=raw,
        headers=headers,
        body=body,
        content_type=content_type,
        children=children,
        defects=tuple(defects),
    )


def parse_message(raw: bytes) -> Entity:
    """Parse a whole message; raises :class:`MimeError` if it has no header at all."""
    if not raw.strip():
        raise MimeError("The file is empty, so there is no message to show.")
    entity = parse_entity(raw)
    if not entity.headers.keys():
        raise MimeError("This is not an e-mail message: it has no header lines.")
    return entity


def header_str(value: object) -> str:
    """A header value as text.  Raw 8-bit bytes (UTF-8 headers, RFC 6532) come back from the
    compat32 parser as an ``unknown-8bit`` Header object; they are decoded as UTF-8 here."""
    if isinstance(value, Header):
        raw = b"".join(
            part if isinstance(part, bytes) else part.encode("utf-8", "surrogateescape")
            for part, _ in decode_header(value)
        )
        return raw.decode("utf-8", "replace")
    text = str(value)
    if not text.isascii():
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def canonical_crlf(data: bytes) -> bytes:
    """Line endings as CRLF, as S/MIME signs text (RFC 8551 §3.1.1)."""
    if b"\n" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
