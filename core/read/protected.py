"""Protected headers: which header section the user is shown, and who it says sent the message.

Header protection puts a copy of the headers inside the signed (and perhaps encrypted) payload:
RFC 9788 marks that part ``hp="clear"`` or ``hp="cipher"``, Thunderbird and K-9 write the older
``protected-headers="v1"`` (draft-autocrypt-lamps-protected-headers).  Subject, To and Cc come
from there.  The From inside is a claim like any other: it replaces the outer From (the one the
receiving server checked with SPF/DKIM/DMARC) only when a signature over the whole displayed
message vouches for it.  A protected From that differs from the outer From is always a problem
naming both.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.message import Message

from smimetui.core.read.mimewalk import Entity, header_str
from smimetui.core.read.report import SignatureReport, SignatureVerdict
from smimetui.core.read.signer_match import parse_from
from smimetui.core.sanitize import clean_line

_HP_VALUES = ("cipher", "clear")


def protected_headers(content: Entity) -> Message | None:
    """The protected header section of the displayed content entity, or None."""
    marked = (content.param("hp") or "").lower() in _HP_VALUES
    marked = marked or (content.param("protected-headers") or "").lower() == "v1"
    if not marked or (content.headers.get("from") is None and "subject" not in content.headers):
        return None
    return content.headers


def from_values(headers: Message) -> list[str]:
    return [header_str(v) for v in headers.get_all("from") or []]


def _senders(values: Sequence[str]) -> frozenset[str]:
    parsed = parse_from(values)
    if parsed:
        return frozenset(a.lower() for a in parsed)
    return frozenset(" ".join(v.split()).lower() for v in values)  # unparseable: the text


def same_sender(a: Sequence[str], b: Sequence[str]) -> bool:
    """Do two From headers name the same mailboxes (whole address, case-insensitive)?"""
    return _senders(a) == _senders(b)


def vouches_for_from(signatures: Sequence[SignatureReport]) -> bool:
    """Does the signature over the displayed content (the innermost one that is not over
    ciphertext) verify and name the From it was matched against?"""
    inner = [s for s in signatures if not s.over_ciphertext]
    return bool(inner) and inner[-1].verdict is SignatureVerdict.GOOD and inner[-1].from_match


def _shown(values: Sequence[str]) -> str:
    addrs = parse_from(values)
    text = ", ".join(addrs) if addrs else " ".join(" ".join(values).split())
    return clean_line(text or "nobody", max_length=200)


def differs_sentence(outer: Sequence[str], inner: Sequence[str], *, accepted: bool) -> str:
    """The problem when the protected From is not the outer From, naming both."""
    out, inn = _shown(outer), _shown(inner)
    if accepted:
        return (
            f"The signed protected headers say this message is from {inn}, but its outer From "
            f"is {out}; {inn} is shown because the signature vouches for it."
        )
    return (
        f"The protected headers inside this message claim it is from {inn}, but no signature "
        f"by {inn} vouches for that, so the outer From ({out}) is shown."
    )
