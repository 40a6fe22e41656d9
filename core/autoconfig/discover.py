"""Find a mail address's settings, in Thunderbird's order, asking the public ISPDB only with
consent.

1. the domain's own autoconfig: ``https://autoconfig.DOMAIN/mail/config-v1.1.xml`` and
   ``https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml``;
2. RFC 6186 SRV records;
3. the MX host: Microsoft 365 and Google mean their preset and OAuth2;
4. Thunderbird's ISPDB, by the domain and then by the MX host's domain, only when ``consent``
   says yes: it tells a third party which domain is being set up.

Every source that gives nothing is recorded as a :class:`Step`, so the user can be told why.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from smimetui.core.autoconfig import dnslookup, srv, xmlconfig
from smimetui.core.autoconfig.https import FetchFailed, fetch
from smimetui.core.autoconfig.model import Discovery, Settings, Step
from smimetui.core.autoconfig.network import Network
from smimetui.core.autoconfig.providers import NAMES, preset, provider_for_mx
from smimetui.core.errors import AutoconfigError

# RFC 6761 special-use names that no DNS may answer for: nothing to ask the network about.
_NEVER_RESOLVES = (".invalid", ".localhost")


def _from_url(
    url: str, source: str, email: str, network: Network, steps: list[Step]
) -> Settings | None:
    try:
        settings = xmlconfig.parse(fetch(url, network), email, source)
    except FetchFailed as err:
        steps.append(Step(source, str(err)))
        return None
    except xmlconfig.BadConfig as err:
        steps.append(Step(source, f"refused, {err.reason}"))
        return None
    steps.append(Step(source, "found"))
    return settings


def _own_autoconfig(
    email: str, domain: str, network: Network, steps: list[Step]
) -> Settings | None:
    query = "?emailaddress=" + quote(email, safe="@")
    urls = (
        (f"https://autoconfig.{domain}/mail/config-v1.1.xml{query}", f"autoconfig.{domain}"),
        (
            f"https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml{query}",
            f"{domain}/.well-known",
        ),
    )
    for url, source in urls:
        if settings := _from_url(url, source, email, network, steps):
            return settings
    return None


def _from_srv(domain: str, network: Network, steps: list[Step]) -> Settings | None:
    imap, imap_why = srv.best_server(network, domain, srv.IMAP_LABELS)
    if imap is None:
        steps.append(Step("SRV", f"IMAP {imap_why}"))
        return None
    smtp, _smtp_why = srv.best_server(network, domain, srv.SMTP_LABELS)
    steps.append(Step("SRV", "found"))
    return Settings(source=f"SRV records of {domain}", imap=imap, smtp=smtp)


def _base_domain(host: str) -> str:
    """The registered domain of a host, roughly: its last two labels (mx1.zoho.eu: zoho.eu)."""
    return ".".join(host.split(".")[-2:])


def discover(email: str, network: Network, consent: Callable[[str], bool]) -> Discovery:
    """Look for ``email``'s settings; ``consent(domain)`` is asked before the ISPDB is."""
    local, at, domain = email.rpartition("@")
    domain = domain.lower().rstrip(".")
    try:  # an internationalised domain is looked up by its ASCII (IDNA) form
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = ""
    if not (local and at) or "." not in domain:
        raise AutoconfigError(f"{email!r} is not an email address that has a domain to look up.")
    steps: list[Step] = []

    def done(settings: Settings | None, asked: bool = False) -> Discovery:
        return Discovery(email, settings, tuple(steps), ispdb_asked=asked)

    if domain.endswith(_NEVER_RESOLVES):
        steps.append(Step(domain, "a reserved name that never resolves (RFC 6761)"))
        return done(None)
    if settings := _own_autoconfig(email, domain, network, steps):
        return done(settings)
    if settings := _from_srv(domain, network, steps):
        return done(settings)
    mx_records, mx_why = dnslookup.mx(network, domain)
    mx_host = mx_records[0].host if mx_records else ""
    steps.append(Step("MX", mx_host or mx_why))
    if provider := provider_for_mx(mx_host):
        return done(preset(provider, f"MX of {domain} ({NAMES[provider]})"))
    if not consent(domain):
        steps.append(Step("ISPDB", "not asked (it would learn the domain)"))
        return done(None)
    keys = [domain]
    if mx_host and _base_domain(mx_host) != domain:
        keys.append(_base_domain(mx_host))
    for key in keys:
        url = network.ispdb_url + quote(key, safe="")
        if settings := _from_url(url, f"ISPDB ({key})", email, network, steps):
            return done(settings, asked=True)
    return done(None, asked=True)
