"""Adding the sender's certificate from a signed message to the contacts (the reader's ctrl+k),
and whether the chain's root may be offered for trust (``t``).

Only certificates from a good signature over the whole message, with a trusted chain and a
signer that matches From, are offered: anyone can make a certificate with anyone's address.
A replacement for a contact's known certificate needs a second confirmation showing both
fingerprints.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from smimetui.core.errors import ContactsError
from smimetui.core.pki.contacts import (
    SOURCE_MAIL,
    CertificateChange,
    Contacts,
)
from smimetui.core.read.harvest import harvest, why_not_harvestable
from smimetui.core.read.report import SecurityReport
from smimetui.core.read.wording import grouped_fingerprint as fingerprint
from smimetui.core.settings.home import Home


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    summary: str = ""
    change: CertificateChange | None = None  # waiting for the user's yes
    question: str = ""
    details: str = ""

    @property
    def needs_confirmation(self) -> bool:
        return self.change is not None


def why_not_importable(report: SecurityReport) -> str | None:
    """None when the signer's certificate may be imported, else the reason in a sentence.

    The rule is ``harvest.why_not_harvestable``; this words it for a dialog.
    """
    reason = why_not_harvestable(report)
    if reason is None:
        return None
    hint = " (trust the root first: t)" if "root you trust" in reason else ""
    return f"Not imported: {reason}{hint}."


def why_not_trustable(report: SecurityReport) -> str | None:
    """None when ``t`` may offer the chain's root, else the reason in a sentence."""
    sig = report.signature
    if sig is None or not sig.chain_path:
        return "This message carries no signature chain, so there is no root to trust."
    if sig.chain.value == "trusted":
        return "The signer's chain already leads to a root you trust."
    root = sig.chain_path[-1].cert
    if not root.self_signed:
        return (
            f"The chain ends at {root.display_name}, which is not a root: the certificate of "
            f"its issuer ({root.issuer}) is missing, so there is no root to trust."
        )
    if sig.chain.value != "untrusted":
        return (
            f"Trusting the root would not help: the chain is {sig.chain.value}, not merely "
            "from an unknown root."
        )
    return None


def describe_import(report: SecurityReport) -> tuple[str, str, str]:
    """(title, question, details) for the confirmation dialog."""
    reason = why_not_importable(report)
    sig = report.signature
    if reason is not None or sig is None or sig.signer is None:
        return "Cannot import", reason or "There is nothing to import.", ""
    cert = sig.signer
    addresses = ", ".join(cert.email)
    question = f"Add the certificate of {cert.display_name} <{addresses}> to your contacts?"
    details = (
        f"Issued by {cert.issuer}\n"
        f"Valid {cert.not_before:%Y-%m-%d} to {cert.not_after:%Y-%m-%d}\n"
        f"SHA-256 {fingerprint(cert.sha256)}"
    )
    return "Import certificate", question, details


def _stored(report: SecurityReport) -> str:
    cert = report.signature.signer if report.signature else None
    assert cert is not None
    return (
        f"Stored the certificate of {cert.display_name} <{', '.join(cert.email)}> in your "
        f"contacts (SHA-256 {cert.sha256[:16]}…, valid until {cert.not_after:%Y-%m-%d})."
    )


def import_sender_certificate(home: Home, report: SecurityReport) -> ImportOutcome:
    """Store the signer's certificate in the contacts (blocking: call from a worker).

    A certificate that replaces a known one (new key or issuer) is stored pending and comes
    back as a change to confirm with both fingerprints.
    """
    reason = why_not_importable(report)
    if reason is not None:
        raise ContactsError(reason, title="Not imported")
    book = Contacts(home)
    changes = harvest(book, report)
    if changes:
        change = changes[0]
        known = "\n".join(f"Known:  {fingerprint(sha)}" for sha in change.old_fingerprints)
        details = f"{known}\nNew:    {fingerprint(change.new_fingerprint)}"
        question = (
            f"{change.address} already has a different certificate in your contacts "
            "(a new key or a new issuer). Replace it? Confirm the change with them first."
        )
        return ImportOutcome(change=change, question=question, details=details)
    sig = report.signature
    assert sig is not None and sig.signer is not None
    signer = x509.load_der_x509_certificate(sig.signer.der)
    book.add_certificate(signer, source=SOURCE_MAIL, addresses=[report.from_addr], accepted=True)
    return ImportOutcome(summary=_stored(report))


def resolve_change(
    home: Home, report: SecurityReport, change: CertificateChange, accept: bool
) -> str:
    book = Contacts(home)
    if accept:
        book.confirm(change)
        return _stored(report) + " It replaces the one you had."
    book.reject(change)
    return f"Kept the certificate you already had for {change.address}."
