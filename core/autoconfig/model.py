"""What automatic setup finds: one server each way, how to sign in, and where it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Security = Literal["tls", "starttls", "none"]
Auth = Literal["password", "oauth2"]

# Thunderbird's placeholders, in the username (and sometimes host name) of a config file.
PLACEHOLDERS = ("%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%")
SECURITY_WORDS: dict[str, str] = {"tls": "SSL/TLS", "starttls": "STARTTLS", "none": "none"}
# Lower is better: implicit TLS, then STARTTLS, plain only when nothing else is offered.
SECURITY_RANK: dict[str, int] = {"tls": 0, "starttls": 1, "none": 2}


def expand(template: str, email: str) -> str:
    """``template`` with the placeholders filled in from ``email``."""
    local, _, domain = email.rpartition("@")
    return (
        template.replace("%EMAILADDRESS%", email)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", domain)
    )


@dataclass(frozen=True, slots=True)
class Server:
    host: str
    port: int
    security: Security
    username: str = "%EMAILADDRESS%"  # a template; see expand()


@dataclass(frozen=True, slots=True)
class Settings:
    """One usable set of settings and the source that gave it ("autoconfig.example.org")."""

    source: str
    imap: Server
    smtp: Server | None
    auth: Auth = "password"
    provider: str = ""  # "microsoft" | "google" when auth is oauth2 with a known preset

    @property
    def auth_words(self) -> str:
        if self.auth == "oauth2":
            return f"OAuth2 ({self.provider or 'provider unknown'})"
        return "password"

    @property
    def plain_text(self) -> bool:
        """Some server is reached without TLS (only chosen when nothing else was offered)."""
        return self.imap.security == "none" or (
            self.smtp is not None and self.smtp.security == "none"
        )


@dataclass(frozen=True, slots=True)
class Step:
    """One source asked and what came of it, for the explanation ("SRV: none")."""

    source: str
    outcome: str

    def __str__(self) -> str:
        return f"{self.source}: {self.outcome}"


@dataclass(frozen=True, slots=True)
class Discovery:
    email: str
    settings: Settings | None
    steps: tuple[Step, ...]
    ispdb_asked: bool = False

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    def explanation(self) -> str:
        return "; ".join(str(step) for step in self.steps)


_HOSTNAME = re.compile(
    r"(?=.{1,253}\Z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z"
)


def valid_host(host: str) -> bool:
    """A dotted DNS host name (lower case): what the network may name as a server."""
    return bool(_HOSTNAME.match(host))
