"""Authentication-Results (RFC 8601) from your own receiving server, and only from it.

Anyone can write an ``Authentication-Results`` header before a message reaches your server, so
only instances whose authserv-id is the one configured for the account count (RFC 8601 §5: the
border MTA removes or ignores instances carrying its own id from outside).  The topmost such
instance is read with ``authres`` (a real RFC 8601 parser, never a regex over the header); every
other instance is counted as ignored.  Every string that reaches the report is sanitised.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import getaddresses
from typing import Any

from smimetui.core.sanitize import clean_line

MAX_INSTANCES = 200  # Authentication-Results fields looked at
MAX_FIELD_BYTES = 16_384  # longer fields are not parsed
MAX_RESULTS = 50  # results kept from our own instance
SHOWN_METHODS = ("dkim", "spf", "dmarc", "arc")
# The property that names the domain a method speaks for (RFC 8601 §2.7).
_DOMAIN_PROPERTY = {
    "dkim": (("header", "d"), ("header", "i")),
    "spf": (("smtp", "mailfrom"), ("smtp", "helo")),
    "dmarc": (("header", "from"),),
    "arc": (),
}


@dataclass(frozen=True, slots=True)
class AuthResult:
    method: str  # "dkim", "spf", "dmarc", ...
    result: str  # "pass", "fail", "none", ...
    domain: str = ""  # the domain it speaks for, when stated

    @property
    def words(self) -> str:
        label = self.method.upper()
        return f"{label}: {self.result}" + (f" ({self.domain})" if self.domain else "")


@dataclass(frozen=True, slots=True)
class AuthenticationReport:
    authserv_id: str  # the configured id of your receiving server
    found: bool  # your server's instance was present
    results: tuple[AuthResult, ...] = ()
    ignored: int = 0  # instances from other servers (forgeable), not read
    problems: tuple[str, ...] = ()
    summary: str = ""  # one sentence about the From address, for unsigned mail

    @property
    def line(self) -> str:
        """ "DKIM: pass (example.org) · SPF: fail · DMARC: pass" or why there is none."""
        if not self.found:
            return f"no result from your server {self.authserv_id}"
        shown = [r for r in self.results if r.method in SHOWN_METHODS] or list(self.results)
        return " · ".join(r.words for r in shown) or "your server checked nothing"

    def result_of(self, method: str) -> AuthResult | None:
        return next((r for r in self.results if r.method == method), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "authserv_id": self.authserv_id,
            "found": self.found,
            "results": [
                {"method": r.method, "result": r.result, "domain": r.domain or None}
                for r in self.results
            ],
            "ignored": self.ignored,
            "summary": self.summary,
            "problems": list(self.problems),
        }


def _authserv_id(value: str) -> str:
    """The authserv-id: the first token before ';' (a version number may follow it)."""
    head = value.split(";", 1)[0].strip()
    return head.split()[0].strip('"').lower() if head else ""  # a value may be quoted


def _parse(value: str) -> Any:
    import authres  # lazy: only reading mail needs it

    return authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)


def _domain_of(method: str, result: Any) -> str:
    for ptype, name in _DOMAIN_PROPERTY.get(method, ()):
        for prop in result.properties:
            if prop.type == ptype and prop.name == name and prop.value:
                value = str(prop.value)
                return clean_line(value.rpartition("@")[2].lower(), max_length=255)
    return ""


def _results(parsed: Any) -> tuple[AuthResult, ...]:
    out: list[AuthResult] = []
    for result in list(parsed.results)[:MAX_RESULTS]:
        method = clean_line(str(result.method or ""), max_length=40).lower()
        verdict = clean_line(str(result.result or ""), max_length=40).lower()
        if method and verdict:
            out.append(AuthResult(method, verdict, _domain_of(method, result)))
    return tuple(out)


def _from_domain(from_addr: str) -> str:
    pairs = getaddresses([from_addr])
    addr = pairs[0][1] if pairs else ""
    return addr.rpartition("@")[2].lower() if "@" in addr else ""


def _summary(results: tuple[AuthResult, ...], from_addr: str, server: str) -> str:
    dmarc = next((r for r in results if r.method == "dmarc"), None)
    domain = _from_domain(from_addr)
    if dmarc is None or not domain:
        return ""
    if dmarc.result == "pass" and (not dmarc.domain or dmarc.domain == domain):
        return f"Your server {server} confirmed by DMARC that this message comes from {domain}."
    if dmarc.result in ("fail", "permerror"):
        return (
            f"DMARC failed at your server {server}: the From address {from_addr} is not "
            "confirmed and may be forged."
        )
    return ""


def authentication_report(
    values: list[str], authserv_id: str, from_addr: str
) -> AuthenticationReport | None:
    """Read ``values`` (the Authentication-Results field bodies, topmost first).

    None when no authserv-id is configured: then nothing in these headers can be trusted.
    """
    own_id = authserv_id.strip().lower()
    if not own_id:
        return None
    server = clean_line(own_id, max_length=255)
    considered = values[:MAX_INSTANCES]
    ours = [v for v in considered if _authserv_id(v[:1024]) == own_id]
    ignored = len(considered) - len(ours)
    if not ours:
        return AuthenticationReport(authserv_id=server, found=False, ignored=ignored)
    value = ours[0]  # the topmost: the one your server added last
    if len(value.encode("utf-8", "replace")) > MAX_FIELD_BYTES:
        problem = (
            f"Your server's Authentication-Results is longer than {MAX_FIELD_BYTES:,} bytes "
            "and was not read."
        )
        return AuthenticationReport(server, found=False, ignored=ignored, problems=(problem,))
    try:
        parsed = _parse(value)
    except Exception:  # authres raises its own errors and, on odd input, others
        problem = "Your server's Authentication-Results could not be read (malformed)."
        return AuthenticationReport(server, found=False, ignored=ignored, problems=(problem,))
    results = _results(parsed)
    return AuthenticationReport(
        authserv_id=server,
        found=True,
        results=results,
        ignored=ignored,
        summary=_summary(results, from_addr, server),
    )
