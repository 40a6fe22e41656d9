"""DNS look-ups for automatic setup (dnspython): SRV, MX and, with a test resolver, A records.

A failed look-up is never an error here: no record, no answer and no resolver all come back as
an empty list plus a few words for the explanation.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.resolver

from smimetui.core.autoconfig.network import Network

# The two answers that mean "there is nothing", as opposed to "the question went unanswered".
NO_SUCH_NAME, NONE = "no such name", "none"


@dataclass(frozen=True, slots=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str  # without the final dot; "" is RFC 2782's "." (the service is not offered)


@dataclass(frozen=True, slots=True)
class MxRecord:
    preference: int
    host: str


def resolver(network: Network) -> dns.resolver.Resolver:
    """The system resolver, or the test server named in ``network``."""
    if network.nameserver is None:
        res = dns.resolver.Resolver()
    else:
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [network.nameserver[0]]
        res.port = network.nameserver[1]
    res.lifetime = network.dns_timeout
    res.timeout = network.dns_timeout
    return res


def _query(network: Network, name: str, rdtype: str) -> tuple[list[object], str]:
    try:
        answer = resolver(network).resolve(name, rdtype, search=False)
    except dns.resolver.NXDOMAIN:
        return [], NO_SUCH_NAME
    except dns.resolver.NoAnswer:
        return [], NONE
    except dns.exception.Timeout:
        return [], "no answer (timeout)"
    except dns.resolver.NoResolverConfiguration:
        return [], "no DNS resolver configured"
    except dns.exception.DNSException as err:
        return [], f"failed ({type(err).__name__})"
    return list(answer), ""


def _host(name: object) -> str:
    return str(name).rstrip(".").lower()


def srv(network: Network, name: str) -> tuple[list[SrvRecord], str]:
    rdatas, why = _query(network, name, "SRV")
    records = [
        SrvRecord(r.priority, r.weight, r.port, _host(r.target))  # type: ignore[attr-defined]
        for r in rdatas
    ]
    return records, why


def mx(network: Network, domain: str) -> tuple[list[MxRecord], str]:
    rdatas, why = _query(network, domain, "MX")
    records = [MxRecord(r.preference, _host(r.exchange)) for r in rdatas]  # type: ignore[attr-defined]
    return sorted(records, key=lambda m: (m.preference, m.host)), why


def addresses(network: Network, host: str) -> tuple[list[str], str]:
    """IPv4 addresses of ``host`` from the resolver in ``network`` (used with the test hook)."""
    rdatas, why = _query(network, host, "A")
    return [str(r) for r in rdatas], why
