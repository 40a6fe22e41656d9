"""Learning from signed mail, as an explicit step of the reading flow (never a side effect).

RFC 8551 §2.5: a good, trusted, whole-message signature matching From updates a known contact's
capabilities and encryption preference (:func:`harvest`).  :func:`learn_from_message` does
that only when every certificate it would store is already in the contacts, so opening a message
never adds a certificate silently: new ones go through ctrl+k and a question (or
``smimetui contacts import``).  :func:`signer_record` only looks up; it writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.contacts import (
    SOURCE_MAIL,
    CertificateChange,
    ContactCert,
    Contacts,
    cert_addresses,
    is_ca,
    normalise,
)
from smimetui.core.read.report import Coverage, SecurityReport, SignatureVerdict
from smimetui.core.settings.home import Home


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


def why_not_harvestable(report: SecurityReport) -> str | None:
    """None when the signer's certificate may be learnt from this message, else why not.

    Only a good signature over the whole message, with a trusted chain and a signer matching
    From: anyone can make a certificate with anyone's address, so an untrusted one would let a
    stranger plant their key for a contact.
    """
    sig = report.signature
    if sig is None or sig.signer is None:
        return "the message is not signed by a known certificate"
    if sig.verdict is not SignatureVerdict.GOOD:
        return "the signature is not good"
    if sig.chain is not ChainStatus.TRUSTED:
        return "the signer's certificate does not lead to a root you trust"
    if not sig.from_match:
        return "the signer does not match From"
    if normalise(report.from_addr) not in {normalise(e) for e in sig.signer.email}:
        # (a From written in punycode against a certificate read in Unicode, say): a
        # certificate is stored only under an address it names, exactly
        return "the signer's certificate does not name the From address exactly"
    if sig.covers is not Coverage.WHOLE:
        return "only part of the message is signed"
    return None


def harvest(contacts: Contacts, report: SecurityReport) -> list[CertificateChange]:
    """Learn from a signed message: the signer's certificate, capabilities, encryption preference.

    Only what :func:`why_not_harvestable` accepts teaches anything; otherwise nothing is stored.
    """
    sig = report.signature
    if sig is None or sig.signer is None or why_not_harvestable(report) is not None:
        return []
    address = report.from_addr
    signer = x509.load_der_x509_certificate(sig.signer.der)
    for carried in sig.certificates:
        if carried.der and carried.sha256 != sig.signer.sha256 and is_ca(carried.der):
            contacts.add_intermediate(x509.load_der_x509_certificate(carried.der))
    changes = contacts.add_certificate(signer, source=SOURCE_MAIL, addresses=[address])
    preferred = next(
        (c for c in sig.certificates if c.sha256 == sig.encryption_key_preference and c.der),
        None,
    )
    if preferred is not None and preferred.sha256 != sig.signer.sha256:
        enc = x509.load_der_x509_certificate(preferred.der)
        if normalise(address) in cert_addresses(enc):
            changes += contacts.add_certificate(enc, source=SOURCE_MAIL, addresses=[address])
    if sig.signing_time is not None:
        contacts.record_capabilities(
            address,
            sig.capabilities,
            sig.encryption_key_preference,
            sig.signing_time,
            signature_good=True,
        )
    return changes
