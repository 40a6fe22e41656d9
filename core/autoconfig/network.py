"""How automatic setup reaches the network: DNS resolver, HTTPS port, trust, timeouts.

Production uses the system resolver and port 443 with the system trust store (plus the
account's ``--ca-file`` for a private CA).  Two environment variables exist only as a test hook,
so the tests can run a DNS and an HTTPS server on loopback without editing /etc/hosts:
``SMIMETUI_TEST_DNS=127.0.0.1:PORT`` sends every lookup (SRV, MX and the A records of the
autoconfig hosts) to that server, and ``SMIMETUI_TEST_HTTPS_PORT=PORT`` connects there instead of
443.  Certificates are verified against the real host names either way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from smimetui.core.errors import ConfigError

ISPDB_URL = "https://autoconfig.thunderbird.net/v1.1/"


@dataclass(frozen=True, slots=True)
class Network:
    nameserver: tuple[str, int] | None = None  # None: the system resolver
    https_port: int = 443
    ca_file: str = ""  # extra trust (a private CA), added to the system store
    http_timeout: float = 6.0
    dns_timeout: float = 4.0
    ispdb_url: str = ISPDB_URL

    @classmethod
    def from_environment(cls, ca_file: str = "") -> Network:
        """The production settings, unless the test hook variables are set."""
        nameserver = None
        if spec := os.environ.get("SMIMETUI_TEST_DNS", ""):
            host, _, port = spec.rpartition(":")
            if not host or not port.isdigit():
                raise ConfigError(f"SMIMETUI_TEST_DNS={spec!r} is not HOST:PORT.")
            nameserver = (host, int(port))
        port_spec = os.environ.get("SMIMETUI_TEST_HTTPS_PORT", "443")
        if not port_spec.isdigit():
            raise ConfigError(f"SMIMETUI_TEST_HTTPS_PORT={port_spec!r} is not a port number.")
        return cls(nameserver=nameserver, https_port=int(port_spec), ca_file=ca_file)
