"""Settings from RFC 6186 SRV records, with RFC 8314's ``_submissions`` for implicit TLS.

IMAP comes from ``_imaps._tcp`` (implicit TLS) and ``_imap._tcp`` (STARTTLS), SMTP from
``_submissions._tcp`` and ``_submission._tcp``.  The records of both labels are one list: the
lowest priority wins (the operator's preference), a tie goes to implicit TLS, then to the
heaviest weight (one client needs one host, so the weighted draw of RFC 2782 is settled by
taking the heaviest).  A target of "." says the service is not offered there.
"""

from __future__ import annotations

from smimetui.core.autoconfig import dnslookup
from smimetui.core.autoconfig.model import SECURITY_RANK, Security, Server, valid_host
from smimetui.core.autoconfig.network import Network

IMAP_LABELS: tuple[tuple[str, Security], ...] = (("_imaps._tcp", "tls"), ("_imap._tcp", "starttls"))
SMTP_LABELS: tuple[tuple[str, Security], ...] = (
    ("_submissions._tcp", "tls"),
    ("_submission._tcp", "starttls"),
)


def best_server(
    network: Network, domain: str, labels: tuple[tuple[str, Security], ...]
) -> tuple[Server | None, str]:
    """The preferred server among the labels' records, and a few words on what was seen."""
    ranked: list[tuple[int, int, int, Server]] = []
    refused: list[str] = []
    failures: list[str] = []
    for label, security in labels:
        records, why = dnslookup.srv(network, f"{label}.{domain}")
        if why not in ("", dnslookup.NO_SUCH_NAME, dnslookup.NONE):
            failures.append(why)
        for r in records:
            if not r.target:
                refused.append(label)  # "." : not offered
            elif valid_host(r.target) and 0 < r.port < 65536:
                server = Server(r.target, r.port, security)
                ranked.append((r.priority, SECURITY_RANK[security], -r.weight, server))
    if ranked:
        ranked.sort(key=lambda item: item[:3])
        return ranked[0][3], ""
    if refused:
        return None, "not offered (" + ", ".join(refused) + ' is ".")'
    return None, failures[0] if failures else "none"
