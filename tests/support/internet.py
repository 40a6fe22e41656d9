"""A small Internet on loopback for automatic setup: a DNS server (SRV, MX, A records) and one
HTTPS server that plays every autoconfig host and Thunderbird's ISPDB, told apart by Host.

Host names resolve through the test DNS server to 127.0.0.1 and the HTTPS port is the test
server's; certificates are still verified against those names, with the fixture's test CA.  The
domains (all under .test, except the ISPDB's own name):

- own.test: autoconfig.own.test holds autoconfig_data/own.xml (and SRV records that must lose to it)
- wellknown.test: only https://wellknown.test/.well-known/autoconfig/...
- moved.test: autoconfig.moved.test redirects to new.moved.test (downgrade.test: to http)
- srv.test, weights.test, dot.test: RFC 6186 SRV records only (dot.test: "." targets, an MX)
- ms.test, gmail.test: only an MX at Microsoft 365 / Google
- isp.test (MX mx1.isp.test), hosted.test (MX mx2.mailhost.test): only the ISPDB knows them
- hostile.test (entity bomb, then SRV), xxe.test (external entity, nothing else)
- untrusted.test: autoconfig host resolves, but the certificate does not name it
- plain.test: only an unencrypted IMAP server; oauth.test: Microsoft's hosts with OAuth2
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smimetui.core.autoconfig.network import Network
from tests.support.servers.dns_https import DnsServer, HttpsServer, Records, Site

DATA = Path(__file__).with_name("autoconfig_data")
WELL_KNOWN = "/.well-known/autoconfig/mail/config-v1.1.xml"
AUTOCONFIG = "/mail/config-v1.1.xml"
ISPDB = "autoconfig.thunderbird.net"


def config_xml(
    imap: tuple[str, int, str, str, str],
    smtp: tuple[str, int, str, str, str] | None = None,
) -> bytes:
    """A config-v1.1 document: each server is (host, port, socketType, username, auth)."""

    def server(tag: str, kind: str, spec: tuple[str, int, str, str, str]) -> str:
        host, port, socket_type, username, auth = spec
        auths = "".join(f"<authentication>{a}</authentication>" for a in auth.split(","))
        return (
            f'<{tag} type="{kind}"><hostname>{host}</hostname><port>{port}</port>'
            f"<socketType>{socket_type}</socketType><username>{username}</username>"
            f"{auths}</{tag}>"
        )

    out = server("outgoingServer", "smtp", smtp) if smtp else ""
    return (
        '<?xml version="1.0"?><clientConfig version="1.1"><emailProvider id="x">'
        f"{server('incomingServer', 'imap', imap)}{out}</emailProvider></clientConfig>"
    ).encode()


WEB_HOSTS = [
    "autoconfig.own.test",
    "wellknown.test",
    "autoconfig.moved.test",
    "new.moved.test",
    "autoconfig.downgrade.test",
    "autoconfig.hostile.test",
    "autoconfig.xxe.test",
    "autoconfig.plain.test",
    "autoconfig.oauth.test",
    ISPDB,
]
RECORDS: Records = {
    **{(host, "A"): ["127.0.0.1"] for host in [*WEB_HOSTS, "autoconfig.untrusted.test"]},
    ("_imaps._tcp.own.test", "SRV"): ["0 0 993 srv-loses.own.test."],
    ("_imaps._tcp.srv.test", "SRV"): ["10 0 993 mail.srv.test."],
    ("_imap._tcp.srv.test", "SRV"): ["10 50 143 mail.srv.test."],
    ("_submissions._tcp.srv.test", "SRV"): ["5 0 465 mail.srv.test."],
    ("_submission._tcp.srv.test", "SRV"): ["0 0 587 smtp.srv.test."],
    ("_imaps._tcp.weights.test", "SRV"): [
        "0 10 993 light.weights.test.",
        "0 90 993 heavy.weights.test.",
        "1 100 993 later.weights.test.",
    ],
    ("_imaps._tcp.dot.test", "SRV"): ["0 0 0 ."],
    ("_imap._tcp.dot.test", "SRV"): ["0 0 0 ."],
    ("dot.test", "MX"): ["10 mx.dot.test."],
    ("_imaps._tcp.hostile.test", "SRV"): ["0 0 993 imap.hostile.test."],
    ("ms.test", "MX"): ["0 ms-test.mail.protection.outlook.com."],
    ("gmail.test", "MX"): ["5 alt1.aspmx.l.google.com.", "1 aspmx.l.google.com."],
    ("isp.test", "MX"): ["10 mx1.isp.test."],
    ("hosted.test", "MX"): ["10 mx2.mailhost.test."],
}


def _site() -> Site:
    site = Site()
    site.put("autoconfig.own.test", AUTOCONFIG, (DATA / "own.xml").read_bytes())
    site.put(
        "wellknown.test",
        WELL_KNOWN,
        config_xml(("imap.wellknown.test", 993, "SSL", "%EMAILADDRESS%", "password-cleartext")),
    )
    site.redirect("autoconfig.moved.test", AUTOCONFIG, "https://new.moved.test/config.xml")
    site.redirect("autoconfig.downgrade.test", AUTOCONFIG, "http://new.moved.test/config.xml")
    site.put(
        "new.moved.test",
        "/config.xml",
        config_xml(("imap.moved.test", 993, "SSL", "%EMAILADDRESS%", "password-cleartext")),
    )
    site.put("autoconfig.hostile.test", AUTOCONFIG, (DATA / "billion_laughs.xml").read_bytes())
    site.put("autoconfig.xxe.test", AUTOCONFIG, (DATA / "external_entity.xml").read_bytes())
    site.put(
        "autoconfig.plain.test",
        AUTOCONFIG,
        config_xml(
            ("imap.plain.test", 143, "plain", "%EMAILADDRESS%", "password-cleartext"),
            ("smtp.plain.test", 587, "STARTTLS", "%EMAILADDRESS%", "password-cleartext"),
        ),
    )
    site.put(
        "autoconfig.oauth.test",
        AUTOCONFIG,
        config_xml(
            ("outlook.office365.com", 993, "SSL", "%EMAILADDRESS%", "OAuth2,password-cleartext"),
            ("smtp.office365.com", 587, "STARTTLS", "%EMAILADDRESS%", "OAuth2"),
        ),
    )
    site.put(
        ISPDB,
        "/v1.1/isp.test",
        config_xml(
            ("imap.isp.test", 993, "SSL", "%EMAILADDRESS%", "password-cleartext"),
            ("smtp.isp.test", 465, "SSL", "%EMAILADDRESS%", "password-cleartext"),
        ),
    )
    site.put(
        ISPDB,
        "/v1.1/mailhost.test",
        config_xml(("imap.mailhost.test", 993, "SSL", "%EMAILLOCALPART%", "password-cleartext")),
    )
    return site


@dataclass
class Internet:
    dns: DnsServer
    https: HttpsServer
    site: Site

    def network(self, *, trusted: bool = True) -> Network:
        return Network(
            nameserver=("127.0.0.1", self.dns.port),
            https_port=self.https.port,
            ca_file=str(self.https.ca_file) if trusted else "",
            http_timeout=5.0,
            dns_timeout=2.0,
        )


@pytest.fixture(scope="session")
def _internet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Internet]:
    site = _site()
    dns = DnsServer(RECORDS)
    https = HttpsServer(site, WEB_HOSTS, tmp_path_factory.mktemp("autoconfig-tls"))
    try:
        yield Internet(dns, https, site)
    finally:
        https.close()
        dns.close()


@pytest.fixture
def internet(_internet: Internet) -> Internet:
    """The loopback Internet with empty request logs."""
    _internet.site.log.clear()
    _internet.dns.queries.clear()
    return _internet


@pytest.fixture
def cli_internet(internet: Internet, monkeypatch: pytest.MonkeyPatch) -> Internet:
    """The same, reached by the CLI through the test hook variables."""
    monkeypatch.setenv("SMIMETUI_TEST_DNS", f"127.0.0.1:{internet.dns.port}")
    monkeypatch.setenv("SMIMETUI_TEST_HTTPS_PORT", str(internet.https.port))
    return internet
