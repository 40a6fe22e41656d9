"""Who the message says it is from, beyond the signer match: Sender, Reply-To, lookalikes.

:mod:`identity` decides whether the signature vouches for From.  This module adds what a user
must also know before trusting or answering a message: a From with several mailboxes or
headers (even unsigned), lookalike letters in the sender's name or domain, a signer who is only
the Sender (a secretary, a list) and not the author, and a Reply-To that sends answers to
someone other than the signer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from email.message import Message
from email.utils import getaddresses, parseaddr

from smimetui.core.read.lookalike import address_problems, name_problems
from smimetui.core.read.mimewalk import header_str
from smimetui.core.read.report import SecurityReport, SignatureReport
from smimetui.core.sanitize import clean_line

_MAX_HEADER = 4096  # longer address headers are not parsed for these hints


def _addresses(values: Sequence[object]) -> list[str]:
    texts = [header_str(v) for v in values if v is not None]
    if sum(len(t) for t in texts) > _MAX_HEADER:
        return []
    found = []
    for _, addr in getaddresses(texts):
        local, sep, domain = addr.strip().rpartition("@")
        if sep and local and domain:
            found.append(f"{local}@{domain.lower()}")
    return found


def message_problems(
    headers: Message, from_addr: str, from_display: str, signature: SignatureReport | None
) -> list[str]:
    """Message-level sentences about the sender, for signed and unsigned mail alike."""
    problems: list[str] = []
    from_values = headers.get_all("from") or []
    if len(from_values) > 1:
        problems.append(
            f"The message has {len(from_values)} From headers; the sender shown is only the "
            "first, and any of them could be false."
        )
    elif signature is None and len(_addresses(from_values)) > 1:
        problems.append("The From header names several senders; any of them could be false.")
    if from_addr and not (signature is not None and signature.from_match):
        # with a matching signer the signature carries the same sentence already
        problems.extend(address_problems(from_addr, "The sender's address"))
    name = parseaddr(from_display)[0] if len(from_display) <= _MAX_HEADER else ""
    problems.extend(name_problems(name))
    return problems


def with_sender_problem(sig: SignatureReport, headers: Message, from_addr: str) -> SignatureReport:
    """A signer who is the Sender but not the author in From: say so, never a match."""
    if sig.from_match or sig.signer is None:
        return sig
    senders = _addresses(headers.get_all("sender") or [])
    signer = {e.lower() for e in sig.signer.email}
    hit = next((s for s in senders if s.lower() in signer), None)
    if hit is None:
        return sig
    author = from_addr or "nobody"
    problem = (
        f"The signer {clean_line(hit, 200)} is the Sender, who sent the message on behalf of "
        f"{clean_line(author, 200)}; the signature does not show that {clean_line(author, 200)} "
        "wrote it."
    )
    return replace(sig, problems=(*sig.problems, problem))


def reply_to_mismatch(report: SecurityReport) -> str | None:
    """A sentence when replies would go to someone other than the signer (or the sender).

    The TUI shows it prominently when the user replies; for signed mail it is also among the
    report's problems.
    """
    replies = _addresses([report.reply_to]) if report.reply_to else []
    if not replies:
        return None
    sig = report.signature
    if sig is not None and sig.signer is not None and sig.signer.email:
        expected = {e.lower() for e in sig.signer.email}
        whom = f"the signer {', '.join(sig.signer.email)}"
    elif report.from_addr:
        expected = {report.from_addr.lower()}
        whom = f"the sender {report.from_addr}"
    else:
        return None
    others = [r for r in replies if r.lower() not in expected]
    if not others:
        return None
    shown = ", ".join(clean_line(o, 200) for o in others[:3])
    return f"Replies go to {shown} (Reply-To), not to {clean_line(whom, 400)}."
