"""The OAuth2 providers smimetui knows by name: their endpoints, scopes and mail servers.

Only endpoints and server names live here; the client ID (and secret, where a provider wants
one) is always the user's or their organisation's own registration.  ``mx_suffixes`` lets
automatic setup recognise a domain hosted by the provider from its MX host.
"""

from __future__ import annotations

from dataclasses import dataclass

from smimetui.core.errors import ConfigError

MICROSOFT_SCOPES = (
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
    "offline_access",
)
GOOGLE_SCOPES = ("https://mail.google.com/",)


@dataclass(frozen=True, slots=True)
class MailServers:
    imap_host: str
    imap_port: int
    imap_security: str
    smtp_host: str
    smtp_port: int
    smtp_security: str


@dataclass(frozen=True, slots=True)
class Provider:
    """Where to sign in: endpoints, the scopes mail needs, and (for presets) the mail servers."""

    name: str
    title: str
    authorization_endpoint: str
    token_endpoint: str
    device_authorization_endpoint: str = ""  # empty: the provider has no device-code flow
    scopes: tuple[str, ...] = ()
    servers: MailServers | None = None
    mx_suffixes: tuple[str, ...] = ()
    # Extra query parameters for the authorization URL (Google returns a refresh token only
    # with access_type=offline, and only on consent).
    authorize_params: tuple[tuple[str, str], ...] = ()


def microsoft(tenant: str = "common") -> Provider:
    """Microsoft identity platform (Microsoft 365 / Exchange Online) for ``tenant``."""
    tenant = tenant or "common"
    if not tenant.replace("-", "").replace(".", "").isalnum():
        raise ConfigError(
            f"The tenant {tenant!r} is not a tenant name or ID; use 'common', 'organizations', "
            "your domain (contoso.onmicrosoft.com) or the directory (tenant) ID."
        )
    base = f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
    return Provider(
        name="microsoft",
        title="Microsoft 365",
        authorization_endpoint=f"{base}/authorize",
        token_endpoint=f"{base}/token",
        device_authorization_endpoint=f"{base}/devicecode",
        scopes=MICROSOFT_SCOPES,
        servers=MailServers(
            "outlook.office365.com", 993, "tls", "smtp.office365.com", 587, "starttls"
        ),
        mx_suffixes=(".mail.protection.outlook.com",),
    )


GOOGLE = Provider(
    name="google",
    title="Google",
    authorization_endpoint="https://accounts.google.com/o/oauth2/v2/auth",
    token_endpoint="https://oauth2.googleapis.com/token",
    device_authorization_endpoint="https://oauth2.googleapis.com/device/code",
    scopes=GOOGLE_SCOPES,
    servers=MailServers("imap.gmail.com", 993, "tls", "smtp.gmail.com", 587, "starttls"),
    mx_suffixes=(".google.com", ".googlemail.com"),
    authorize_params=(("access_type", "offline"), ("prompt", "consent")),
)

PRESET_NAMES = ("microsoft", "google")


def preset(name: str, tenant: str = "") -> Provider:
    """The named preset; ConfigError for a name that is not one."""
    if name == "microsoft":
        return microsoft(tenant or "common")
    if name == "google":
        return GOOGLE
    raise ConfigError(
        f"{name!r} is not an OAuth2 provider smimetui knows; use microsoft, google, or the "
        "issuer URL of an OpenID provider (https://...)."
    )


def preset_for_mx(mx_host: str, tenant: str = "") -> Provider | None:
    """The preset whose mail exchangers ``mx_host`` belongs to, if any (for automatic setup)."""
    host = mx_host.lower().rstrip(".")
    for name in PRESET_NAMES:
        found = preset(name, tenant)
        if any(host.endswith(suffix) for suffix in found.mx_suffixes):
            return found
    return None
