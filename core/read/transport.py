"""How the message travelled: the delivery path and your server's authentication results.

Both are read from the outermost header of the original bytes (the one your server saw), never
from protected or decrypted headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from smimetui.core.read.authresults import AuthenticationReport, authentication_report
from smimetui.core.read.delivery import DeliveryReport, delivery_report
from smimetui.core.read.mimewalk import split_header_body
from smimetui.core.read.rawview import header_fields


@dataclass(frozen=True, slots=True)
class TransportFacts:
    authentication: AuthenticationReport | None
    delivery: DeliveryReport | None
    problems: tuple[str, ...] = ()


def receiving_hosts(authserv_id: str, hosts: str) -> tuple[str, ...]:
    """The account's receiving hosts (comma-separated), else its authserv-id."""
    listed = tuple(h.strip().lower() for h in hosts.split(",") if h.strip())
    return listed or ((authserv_id.strip().lower(),) if authserv_id.strip() else ())


def transport_facts(
    raw: bytes, from_addr: str, authserv_id: str, receiving: tuple[str, ...]
) -> TransportFacts:
    block, body = split_header_body(raw)
    fields, _cut = header_fields(block + b"\r\n")
    values = [f.value for f in fields if f.name.lower() == "authentication-results"]
    auth = authentication_report(values, authserv_id, from_addr)
    try:
        delivery: DeliveryReport | None = delivery_report(block, body, fields, receiving)
    except ImportError:  # a broken install is a bug to see, not a malformed header
        raise
    except Exception:  # mail-parser on hostile input: the rest of the report still stands
        return TransportFacts(
            auth, None, ("The delivery path could not be read (the header is malformed).",)
        )
    return TransportFacts(auth, delivery)
