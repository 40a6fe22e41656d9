"""The two OAuth2 providers whose mail hosts automatic setup recognises by MX or host name.

MERGE NOTE: this small table stands in for core/oauth/presets.py (built on the OAuth2 branch);
on merge, take the hosts and ports from there and keep only the MX suffixes here.
"""

from __future__ import annotations

from smimetui.core.autoconfig.model import Server, Settings

PRESETS: dict[str, tuple[Server, Server]] = {
    "microsoft": (
        Server("outlook.office365.com", 993, "tls"),
        Server("smtp.office365.com", 587, "starttls"),
    ),
    "google": (
        Server("imap.gmail.com", 993, "tls"),
        Server("smtp.gmail.com", 465, "tls"),
    ),
}
NAMES = {"microsoft": "Microsoft 365", "google": "Google"}
# MX host suffixes (a leading dot: any name under it) that mean the domain's mail is there.
_MX_SUFFIXES: tuple[tuple[str, str], ...] = (
    (".mail.protection.outlook.com", "microsoft"),
    (".google.com", "google"),
    (".googlemail.com", "google"),
)


def provider_for_mx(host: str) -> str:
    """ "microsoft", "google" or "" for an MX host name."""
    host = host.lower().rstrip(".")
    return next((p for suffix, p in _MX_SUFFIXES if host.endswith(suffix)), "")


def provider_for_host(host: str) -> str:
    """The provider whose preset IMAP or SMTP server ``host`` is, else ""."""
    host = host.lower()
    for name, servers in PRESETS.items():
        if host in {s.host for s in servers}:
            return name
    return ""


def preset(provider: str, source: str) -> Settings:
    imap, smtp = PRESETS[provider]
    return Settings(source=source, imap=imap, smtp=smtp, auth="oauth2", provider=provider)
