"""Minimal DER writing for the hot path of the write side.

asn1crypto is used to build each structure's constant parts once (certificates, identifiers,
algorithm identifiers); per message only a few values change, and gluing them together with
these helpers is two orders of magnitude faster than rebuilding asn1crypto objects every time.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes

SEQUENCE = 0x30
SET = 0x31
OCTET_STRING = 0x04
INTEGER = 0x02
OID = 0x06


def length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + length(len(content)) + content


def seq(*parts: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(parts))


def set_of(parts: list[bytes]) -> bytes:
    """DER SET OF: elements sorted by their encodings (X.690 §11.6)."""
    return tlv(SET, b"".join(sorted(parts)))


def octets(data: bytes) -> bytes:
    return tlv(OCTET_STRING, data)


def small_int(value: int) -> bytes:
    return tlv(INTEGER, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def context(number: int, content: bytes, *, constructed: bool = True) -> bytes:
    """[number] with ``content`` as its contents (IMPLICIT re-tag or EXPLICIT wrapper)."""
    return tlv((0xA0 if constructed else 0x80) | number, content)


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def contents(der: bytes) -> bytes:
    """The contents octets of one DER element (its value without tag and length)."""
    first = der[1]
    if first < 0x80:
        return der[2 : 2 + first]
    n = first & 0x7F
    size = int.from_bytes(der[2 : 2 + n], "big")
    return der[2 + n : 2 + n + size]


_FINGERPRINTS: dict[int, tuple[x509.Certificate, bytes]] = {}


def fingerprint(cert: x509.Certificate) -> bytes:
    """SHA-256 of ``cert``, remembered per certificate object (the hot path asks often)."""
    hit = _FINGERPRINTS.get(id(cert))
    if hit is not None and hit[0] is cert:
        return hit[1]
    value = cert.fingerprint(hashes.SHA256())
    if len(_FINGERPRINTS) > 4096:
        _FINGERPRINTS.clear()
    _FINGERPRINTS[id(cert)] = (cert, value)  # holding cert keeps its id() from being reused
    return value
