"""Certificate directories for recipients without a certificate: look up, describe, import
(the compose screen's ctrl+l).

Blocking (LDAP, the address book): called from workers only.  Nothing found is trusted because
of where it came from; core validated each certificate, and only the usable ones are imported.
A changed certificate for a known address comes back as a change the user must confirm.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from smimetui.core.directory.lookup import Found, import_found, lookup_recipients
from smimetui.core.directory.servers import load_directories
from smimetui.core.pki.contacts import CertificateChange, Contacts
from smimetui.core.read.wording import grouped_fingerprint as fingerprint
from smimetui.core.settings.home import Home


def lookup_missing(home: Home, addresses: Sequence[str]) -> dict[str, list[Found]] | None:
    """Certificates per address from every configured directory; None when none is set up."""
    if not addresses or not load_directories(home):
        return None
    return lookup_recipients(home, addresses)


def found_line(address: str, found: Sequence[Found]) -> str:
    """The directory's answer for one recipient, for the certificate line."""
    if not found:
        return f"{address}: not in the directory"
    usable = sum(1 for f in found if f.usable)
    source = found[0].source
    if usable:
        return f"{address}: {usable} usable in {source} (ctrl+l imports)"
    return f"{address}: only unusable certificates in {source} ({found[0].problems[0]})"


def found_details(found: Iterable[Found]) -> str:
    """Every certificate found, with its source and validation status, for the dialog."""
    blocks = []
    for f in found:
        state = "✓ usable" if f.usable else "✗ not usable: " + " ".join(f.problems)
        blocks.append(
            f"{f.email} — {state}\n"
            f"  {f.subject}\n  issued by {f.issuer}, valid until {f.not_after:%Y-%m-%d}\n"
            f"  SHA-256 {fingerprint(f.sha256)}\n  from {f.source}"
        )
    return "\n".join(blocks)


def import_usable(home: Home, found: Sequence[Found]) -> tuple[str, list[CertificateChange]]:
    """Import the usable certificates; (summary, changes that need the user's yes)."""
    changes = import_found(home, found)
    usable = [f for f in found if f.usable]
    waiting = {c.new_fingerprint for c in changes}
    stored = [f for f in usable if f.sha256 not in waiting]
    who = ", ".join(dict.fromkeys(f.email for f in stored)) or "nobody"
    summary = f"Stored {len(stored)} certificate(s) from the directory for {who}."
    return summary, changes


def change_question(change: CertificateChange) -> tuple[str, str]:
    """(question, details with both fingerprints) for a changed certificate."""
    question = (
        f"{change.address} already has a different certificate in your contacts (a new key or "
        "a new issuer). Use the one from the directory? Confirm the change with them first."
    )
    known = "\n".join(f"Known:  {fingerprint(sha)}" for sha in change.old_fingerprints)
    return question, f"{known}\nNew:    {fingerprint(change.new_fingerprint)}"


def resolve(home: Home, change: CertificateChange, accept: bool) -> str:
    book = Contacts(home)
    if accept:
        book.confirm(change)
        return f"The directory's certificate for {change.address} replaces the one you had."
    book.reject(change)
    return f"Kept the certificate you already had for {change.address}."
