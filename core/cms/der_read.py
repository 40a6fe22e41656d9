"""Read strict DER without building objects, for the fixed parts of CMS on the hot read path.

asn1crypto builds a Python object per element and parses lazily, which costs more than the
cryptography on a typical signed message.  The read path uses this reader for the common, well-
formed case only: anything that is not plain DER (indefinite or non-minimal lengths, high tag
numbers, trailing bytes) raises :class:`DerError`, and the caller then falls back to the full
asn1crypto parser, which decides what malformed input means.  So this module never has to be
lenient, only exact.
"""

from __future__ import annotations

# One element: (tag byte, start of contents, end of contents, start of the whole element).
Tlv = tuple[int, int, int, int]

MAX_DEPTH = 32


class DerError(ValueError):
    """The bytes are not the strict DER this reader accepts (the caller falls back)."""


def read(buf: bytes, pos: int, end: int) -> Tlv:
    """The element starting at ``pos`` (which must end by ``end``)."""
    if pos + 2 > end:
        raise DerError("truncated element")
    tag = buf[pos]
    first = buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag number")
    if first < 0x80:  # short form: most elements
        stop = pos + 2 + first
        if stop > end:
            raise DerError("element overruns its container")
        return tag, pos + 2, stop, pos
    count = first & 0x7F
    start = pos + 2 + count
    if count == 0 or count > 4 or start > end:
        raise DerError("indefinite, absurd or truncated length")
    length = int.from_bytes(buf[pos + 2 : start], "big")
    if buf[pos + 2] == 0 or length < 0x80:
        raise DerError("non-minimal length")
    stop = start + length
    if stop > end:
        raise DerError("element overruns its container")
    return tag, start, stop, pos


def only(buf: bytes, tag: int, pos: int = 0, end: int | None = None) -> Tlv:
    """The single element filling ``buf[pos:end]``, which must carry ``tag``."""
    end = len(buf) if end is None else end
    tlv = read(buf, pos, end)
    if tlv[0] != tag or tlv[2] != end:
        raise DerError(f"expected one element with tag {tag:#x}")
    return tlv


def children(buf: bytes, start: int, end: int) -> list[Tlv]:
    """The elements that exactly fill ``buf[start:end]`` (the contents of a constructed one)."""
    out: list[Tlv] = []
    pos = start
    while pos < end:
        tlv = read(buf, pos, end)
        out.append(tlv)
        pos = tlv[2]
    return out


def der_length(n: int) -> bytes:
    """The DER length octets for ``n`` content bytes."""
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def expect(tlv: Tlv, tag: int) -> Tlv:
    if tlv[0] != tag:
        raise DerError(f"expected tag {tag:#x}, found {tlv[0]:#x}")
    return tlv


def whole(buf: bytes, tlv: Tlv) -> bytes:
    """The encoding of the element itself (header and contents)."""
    return buf[tlv[3] : tlv[2]]


def contents(buf: bytes, tlv: Tlv) -> bytes:
    return buf[tlv[1] : tlv[2]]


def is_strict(buf: bytes, start: int, end: int, depth: int = 0) -> bool:
    """Whether ``buf[start:end]`` is a run of strict DER elements all the way down.

    Constructed universal types may only be SEQUENCE or SET (a constructed string is BER).
    """
    if depth > MAX_DEPTH:
        return False
    pos = start
    try:
        while pos < end:
            tag, c_start, c_end, _ = read(buf, pos, end)
            if tag & 0x20:
                if tag & 0xC0 == 0 and tag & 0x1F not in (0x10, 0x11):
                    return False
                if not is_strict(buf, c_start, c_end, depth + 1):
                    return False
            pos = c_end
    except DerError:
        return False
    return pos == end


def oid_is_minimal(buf: bytes, tlv: Tlv) -> bool:
    """No sub-identifier starts with a 0x80 padding byte, and the last byte ends one."""
    _, start, end, _ = tlv
    if start == end or buf[end - 1] & 0x80:
        return False
    at_start = True
    for pos in range(start, end):
        byte = buf[pos]
        if at_start and byte == 0x80:
            return False
        at_start = not byte & 0x80
    return True
