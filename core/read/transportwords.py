"""Authentication results and the delivery path in words, for the CLI and the security pane."""

from __future__ import annotations

from smimetui.core.read.authresults import AuthenticationReport
from smimetui.core.read.delivery import DeliveryReport, Hop
from smimetui.core.read.report import SecurityReport


def delay_words(seconds: float | None) -> str:
    if seconds is None:
        return "first hop"
    if seconds < 0:
        return f"{-seconds:.0f} s before the previous hop (clocks disagree or a claim is false)"
    if seconds < 120:
        return f"+{seconds:.0f} s"
    if seconds < 7200:
        return f"+{seconds / 60:.0f} min"
    return f"+{seconds / 3600:.1f} h"


def authentication_lines(auth: AuthenticationReport) -> list[str]:
    lines = [f"Authentication ({auth.authserv_id}): {auth.line}"]
    if auth.summary:
        lines.append(f"  {auth.summary}")
    if auth.ignored:
        lines.append(
            f"  {auth.ignored} Authentication-Results from other servers ignored (anyone can "
            "write them)."
        )
    lines.extend(f"  Problem: {p}" for p in auth.problems)
    return lines


def hop_line(hop: Hop) -> str:
    mark = "your server" if hop.own else ("claimed by the sender" if hop.claimed else "")
    mark = "inside your system" if hop.after else mark
    source = hop.source or "(no from clause)"
    text = f"{hop.number:>3}. {source} → {hop.by or '?'}"
    if hop.protocol:
        text += f" with {hop.protocol}"
    text += f", {hop.date or 'no date'} ({delay_words(hop.delay)})"
    return f"{text} [{mark}]" if mark else text


def delivery_lines(delivery: DeliveryReport, *, max_hops: int = 50) -> list[str]:
    """Nothing for a message with neither Received lines nor defects (a draft, a saved file)."""
    if not delivery.hops and not delivery.defects:
        return []
    lines = [f"Delivery: {delivery.total_hops} hop(s)"]
    if delivery.first_external:
        ip = f" [{delivery.sender_ip}]" if delivery.sender_ip else ""
        lines.append(f"  Handed to your server by: {delivery.first_external}{ip}")
    elif not delivery.hops:
        pass
    elif delivery.known_server:
        lines.append("  Your server stamped no Received line: every hop is the sender's claim.")
    else:
        lines.append(
            "  Which hops are your server's is unknown: set authserv_id (or receiving_hosts) "
            "for the account."
        )
    shown = delivery.hops[-max_hops:]
    if len(delivery.hops) > len(shown) or delivery.total_hops > len(delivery.hops):
        lines.append(f"  (the {len(shown)} newest hops are shown)")
    lines.extend(f"  {hop_line(h)}" for h in shown)
    lines.extend(f"  Defect: {d}" for d in delivery.defects)
    return lines


def transport_lines(report: SecurityReport) -> list[str]:
    lines: list[str] = []
    if report.authentication is not None:
        lines.extend(authentication_lines(report.authentication))
    if report.delivery is not None:
        lines.extend(delivery_lines(report.delivery))
    return lines
