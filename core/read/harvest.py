"""Learning from signed mail, as an explicit step of the reading flow (never a side effect).

RFC 8551 §2.5: a good, trusted, whole-message signature matching From updates a known contact's
capabilities and encryption preference (``contacts.harvest``).  :func:`learn_from_message` does
that only when every certificate it would store is already in the contacts, so opening a message
never adds a certificate silently: new ones go through ctrl+k and a question (or
``smimetui contacts import``).  :func:`signer_record` only looks up; it writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smimetui.core.contacts import (
    ContactCert,
    Contacts,
    harvest,
    why_not_harvestable,
)
from smimetui.core.home import Home
from smimetui.core.smime.report import SecurityReport


@dataclass(frozen=True, slots=True)
class SignerRecord:
    """Where the signer's certificate stands in the contacts (shown in the security pane)."""

    address: str
    in_contacts: bool
    source: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    pending: bool = False  # stored, but waiting for the user's yes (a changed certificate)
    harvested: bool = False  # capabilities / encryption preference were learnt from this message


def _known(book: Contacts, address: str) -> dict[str, ContactCert]:
    info = book.address(address)
    return {c.sha256: c for c in info.certificates} if info else {}


def learn_from_message(home: Home, report: SecurityReport) -> bool:
    """Update a known contact from this message; True when it taught something.

    Nothing happens unless the signer's certificate is already stored (and accepted), the
    message may be learnt from at all (``why_not_harvestable``), and the encryption preference
    names no certificate that would be new."""
    sig = report.signature
    if sig is None or sig.signer is None or not report.from_addr:
        return False
    book = Contacts(home)
    known = _known(book, report.from_addr)
    stored = known.get(sig.signer.sha256)
    if stored is None or stored.pending or why_not_harvestable(report) is not None:
        return False
    preferred = sig.encryption_key_preference
    carried = {c.sha256 for c in sig.certificates}
    if preferred and preferred not in known and preferred in carried:
        return False  # it would store a certificate the user never saw
    return not harvest(book, report)


def signer_record(
    home: Home, report: SecurityReport, *, learnt: bool = False
) -> SignerRecord | None:
    """The signer's certificate in the contacts (a lookup only); None for unsigned mail."""
    sig = report.signature
    if sig is None or sig.signer is None or not report.from_addr:
        return None
    stored = _known(Contacts(home), report.from_addr).get(sig.signer.sha256)
    if stored is None:
        return SignerRecord(report.from_addr, False)
    return SignerRecord(
        report.from_addr,
        True,
        stored.source,
        stored.first_seen,
        stored.last_seen,
        stored.pending,
        learnt,
    )
