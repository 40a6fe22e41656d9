"""The delivery path: Received hops, the first external server, and MIME defects in words.

mail-parser reads the ``Received`` trace fields (RFC 5321 §4.4) into hops with from/by/with/date
and the delay between hops, finds the sending server's address as seen by your own server, and
lists the MIME defects of the structure.  Hops are oldest first.  Your server's hops are the
newest ones whose ``by`` names one of the account's receiving hosts; every hop below them was
written before the message reached you and is only the sender's claim.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from typing import Any

from smimetui.core.read.defectwords import defect_sentences
from smimetui.core.read.rawview import HeaderField
from smimetui.core.sanitize import clean_line

MAX_HOPS = 200  # the newest hops read; the rest are counted
MAX_BODY_FOR_DEFECTS = 4 * 1024 * 1024  # larger bodies: only the header is checked
_LARGE = "The MIME structure of this large message was not checked for defects (over 4 MiB)."


def _quiet_mailparser() -> None:
    """mail-parser logs warnings ("content not handled"); with no handler configured Python
    would print them on stderr, over the mail reader's screen."""
    log = logging.getLogger("mailparser")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())
    log.propagate = False


@dataclass(frozen=True, slots=True)
class Hop:
    number: int  # 1 = the oldest
    by: str
    source: str  # the "from" clause as written
    protocol: str  # "with"
    date: str  # ISO 8601 in UTC, or "" when unreadable
    delay: float | None  # seconds since the previous hop, None when unknown
    claimed: bool  # written before your server: the sender's claim
    own: bool  # stamped by your receiving server
    after: bool = False  # stamped inside your system after your server took the message

    def to_json(self) -> dict[str, Any]:
        return {
            "hop": self.number,
            "from": self.source,
            "by": self.by,
            "with": self.protocol,
            "date": self.date or None,
            "delay": self.delay,
            "claimed": self.claimed,
            "own": self.own,
            "after_your_server": self.after,
        }


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    hops: tuple[Hop, ...]
    total_hops: int  # Received fields in the message (may exceed the hops read)
    first_external: str = ""  # the server that handed the message to yours, as it said
    sender_ip: str = ""  # its address, as your server saw it
    defects: tuple[str, ...] = ()  # sentences
    known_server: bool = False  # the account names its receiving hosts

    def to_json(self) -> dict[str, Any]:
        return {
            "hops": [h.to_json() for h in self.hops],
            "total_hops": self.total_hops,
            "first_external": self.first_external or None,
            "sender_ip": self.sender_ip or None,
            "defects": list(self.defects),
        }


def _host(by_clause: str) -> str:
    words = by_clause.split()
    return words[0].lower().rstrip(".") if words else ""


def is_own_host(host: str, receiving: tuple[str, ...]) -> bool:
    """``host`` is one of ``receiving``; an entry starting with "." names a whole domain."""
    for entry in receiving:
        entry = entry.strip().lower().rstrip(".")
        if entry and (host == entry or (entry.startswith(".") and host.endswith(entry))):
            return True
    return False


def _tcp_info_ip(source: str) -> str:
    """The address your server saw, from the TCP-info of its from clause (RFC 5321 §4.4:
    ``from helo (reverse-name [address])``): the last address literal in the first comment."""
    start = source.find("(")
    end = source.find(")", start + 1)
    if start < 0 or end < 0:
        return ""
    comment = source[start + 1 : end]
    open_at = comment.rfind("[")
    close_at = comment.find("]", open_at + 1)
    if open_at < 0 or close_at < 0:
        return ""
    literal = comment[open_at + 1 : close_at].removeprefix("IPv6:").removeprefix("ipv6:")
    try:
        return str(ipaddress.ip_address(literal.strip()))
    except ValueError:
        return ""


def _trimmed(raw_headers: bytes, body: bytes) -> bytes:
    """The message with only the newest MAX_HOPS Received fields (mail-parser reads them all)."""
    lines = raw_headers.replace(b"\r\n", b"\n").split(b"\n")
    out: list[bytes] = []
    seen = 0
    skipping = False
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                out.append(line)
            continue
        skipping = line[:9].lower() == b"received:" and seen >= MAX_HOPS
        if line[:9].lower() == b"received:":
            seen += 1
        if not skipping:
            out.append(line)
    if len(body) > MAX_BODY_FOR_DEFECTS:
        body = b""
    return b"\n".join(out).rstrip(b"\n") + b"\n\n" + body.replace(b"\r\n", b"\n")


def _source(item: dict[str, Any]) -> str:
    """The from clause; a field mail-parser could not split is shown whole, and said so."""
    if "raw" in item and "by" not in item and "from" not in item:
        return "unreadable trace field: " + clean_line(str(item["raw"]), max_length=300)
    return clean_line(str(item.get("from", "")), max_length=300)


def _hop(item: dict[str, Any], own: bool, claimed: bool, after: bool) -> Hop:
    delay = item.get("delay")
    first = int(item.get("hop", 0)) <= 1
    return Hop(
        number=int(item.get("hop", 0)),
        by=clean_line(str(item.get("by", "")), max_length=300),
        source=_source(item),
        protocol=clean_line(str(item.get("with", "")), max_length=60),
        date=clean_line(str(item.get("date_utc", "")), max_length=40),
        delay=None
        if first or not isinstance(delay, (int, float)) or not item.get("date_utc")
        else float(delay),
        claimed=claimed,
        own=own,
        after=after,
    )


def _mark(items: list[dict[str, Any]], receiving: tuple[str, ...]) -> tuple[Hop, ...]:
    """Walk from the newest hop down: hops inside your system (after your server), your
    server's own hops, then everything below them, which is only the sender's claim.  When
    your server stamped no hop at all, every hop is a claim."""
    owns = [is_own_host(_host(str(item.get("by", ""))), receiving) for item in items]
    if not receiving or not any(owns):
        return tuple(_hop(i, own=False, claimed=bool(receiving), after=False) for i in items)
    hops: list[Hop] = []
    state = "after"  # -> "own" -> "claimed", from the newest hop down
    for item, own in zip(reversed(items), reversed(owns), strict=True):
        if state == "after" and own:
            state = "own"
        elif state == "own" and not own:
            state = "claimed"
        hops.append(
            _hop(item, own=state == "own", claimed=state == "claimed", after=state == "after")
        )
    return tuple(reversed(hops))


def delivery_report(
    raw_headers: bytes,
    body: bytes,
    fields: tuple[HeaderField, ...],
    receiving: tuple[str, ...],
) -> DeliveryReport:
    """The delivery path of a message; ``fields`` are its header fields (rawview)."""
    import mailparser  # lazy: only reading mail needs it

    _quiet_mailparser()
    large = len(body) > MAX_BODY_FOR_DEFECTS
    parsed = mailparser.parse_from_bytes(_trimmed(raw_headers, body))
    items = [i for i in parsed.received if isinstance(i, dict)]
    hops = _mark(items, receiving)
    own = [h for h in hops if h.own]
    first_external = own[0].source if own else ""
    sender_ip = _tcp_info_ip(first_external)
    if own and not sender_ip:
        try:
            sender_ip = clean_line(str(parsed.get_server_ipaddress(own[0].by.split()[0]) or ""))
        except Exception:  # an unreadable trace field must not hide the rest
            sender_ip = ""
    total = sum(1 for f in fields if f.name.lower() == "received")
    return DeliveryReport(
        hops=hops,
        total_hops=max(total, len(hops)),
        first_external=first_external,
        sender_ip=sender_ip,
        defects=defect_sentences(parsed, fields, mime=not large) + ((_LARGE,) if large else ()),
        known_server=bool(receiving),
    )
