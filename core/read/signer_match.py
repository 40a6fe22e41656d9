"""Does the signer's certificate belong to the sender the message claims?

A signature only vouches for the From line when there is exactly one From header with exactly
one mailbox whose addr-spec is one of the certificate's addresses (compared as a whole,
case-insensitively, as NSS/Thunderbird and Outlook do: RFC 5321 leaves local-part case to the
receiving server, and no real server tells Alice@ from alice@), and nothing else in that
header shows a different address.  Anything ambiguous (two From headers, a group, a display
name holding another address, a header that does not parse cleanly) is no match, with a
sentence saying why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.utils import getaddresses

from smimetui.core.read.lookalike import address_problems, decode_domain
from smimetui.core.sanitize import clean_line

# Something that looks like an address, anywhere in a decoded header (names, comments).
# The lookbehind and the possessive run make it linear: a match starts only where a run of
# address characters starts, and a run without "@" is given up at once (no backtracking).
_ADDRESS_LIKE = re.compile(
    r"(?<![^\s<>()\"',;:@])[^\s<>()\"',;:@]++@[^\s<>()\"',;:@]+\.[^\s<>()\"',;:@]+"
)
# Longer From values are no sender anyone could read, and parsing them costs time.
MAX_FROM_LENGTH = 2048
_FOLD = re.compile(r"\r?\n(?=[ \t])")
# Empty list elements ("a@b.c," / ", a@b.c"): obsolete syntax that parsers disagree about.
_EMPTY_ELEMENT = re.compile(r"^\s*,|,\s*$|,\s*,")


@dataclass(frozen=True, slots=True)
class FromMatch:
    matches: bool
    problems: tuple[str, ...]
    from_addrs: tuple[str, ...]  # addr-specs found in the From header(s), sanitised


class _Unparseable(Exception):
    pass


def _normalise(addr: str) -> str:
    """Local part exact; domain case-folded and in Unicode (asn1crypto decodes punycode SANs,
    a From header may carry either form)."""
    local, sep, domain = addr.strip().rpartition("@")
    return f"{local}@{decode_domain(domain).lower()}" if sep else addr.strip()


def _parse_one(value: str) -> tuple[list[Address], str]:
    """Mailboxes of one From value and its decoded text; _Unparseable on any defect."""
    if len(value) > MAX_FROM_LENGTH:
        raise _Unparseable
    unfolded = _FOLD.sub("", value)
    try:
        header = policy.strict.header_factory("From", unfolded)
    except Exception as exc:  # hostile header: the email package raises many kinds
        raise _Unparseable from exc
    if header.defects:
        raise _Unparseable
    # a second, independent parser must see the same mailboxes (and no empty list elements)
    independent = getaddresses([unfolded])
    if any(not addr for _, addr in independent) or _EMPTY_ELEMENT.search(unfolded):
        raise _Unparseable
    mailboxes: list[Address] = []
    for group in header.groups:
        if group.display_name is not None:
            raise _Unparseable  # group syntax ("undisclosed-recipients:;") is no sender
        mailboxes.extend(group.addresses)
    if len(independent) != len(mailboxes):
        raise _Unparseable
    for mailbox in mailboxes:
        if not mailbox.username or not mailbox.domain or "@" in mailbox.domain:
            raise _Unparseable
    # the raw text too: comments ("(bob@x.org)") are dropped from the decoded form
    return mailboxes, f"{header} {unfolded}"


def parse_from(from_values: Sequence[str]) -> tuple[str, ...]:
    """Every addr-spec of the From header(s), parsed strictly; unparseable values give none."""
    found: list[str] = []
    for value in from_values:
        try:
            mailboxes, _ = _parse_one(value)
        except _Unparseable:
            continue
        found.extend(_normalise(m.addr_spec) for m in mailboxes)
    return tuple(found)


def match_signer_to_from(from_values: Sequence[str], signer_emails: Sequence[str]) -> FromMatch:
    """Match the message's From against the signer's certificate addresses."""
    addrs = tuple(clean_line(a, max_length=320) for a in parse_from(from_values))
    signers = [_normalise(e) for e in signer_emails if e and "@" in e]
    shown_signers = ", ".join(clean_line(s, max_length=320) for s in signers)

    def no(problem: str) -> FromMatch:
        return FromMatch(False, (problem,), addrs)

    values = [v for v in from_values if v is not None]
    if not values or all(not v.strip() for v in values):
        return no("The message has no From address, so the signer cannot be matched to a sender.")
    if len(values) > 1:
        return no("The message has more than one From header, so its sender is ambiguous.")
    try:
        mailboxes, decoded = _parse_one(values[0])
    except _Unparseable:
        shown = clean_line(values[0], max_length=120)
        return no(
            f"The From header ({shown}) does not parse cleanly, so it cannot be matched "
            "to the signer."
        )
    if not mailboxes:
        return no("The message has no From address, so the signer cannot be matched to a sender.")
    if len(mailboxes) > 1:
        return no(
            f"The From header names {len(mailboxes)} senders ({', '.join(addrs)}); "
            "a signature can vouch for only one."
        )
    sender = _normalise(mailboxes[0].addr_spec)
    shown_sender = clean_line(sender, max_length=320)
    others = [a for a in _ADDRESS_LIKE.findall(decoded) if _normalise(a).lower() != sender.lower()]
    if others:
        return no(
            f"The sender's name shows another address ({clean_line(others[0], max_length=120)}) "
            f"than the one the message is from ({shown_sender})."
        )
    if not signers:
        return no(
            "The signer's certificate names no e-mail address, so it cannot be matched to "
            f"the sender {shown_sender}."
        )
    if sender.lower() not in {s.lower() for s in signers}:
        return no(
            f"The message says it is from {shown_sender}, but it was signed by {shown_signers}."
        )
    # A certificate for a lookalike domain matches exactly and is still a trick: say so.
    return FromMatch(True, address_problems(sender, "The signer's address"), addrs)
