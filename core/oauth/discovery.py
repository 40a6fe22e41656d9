"""A generic OAuth2 provider found from its issuer URL (OpenID Connect Discovery 1.0).

``https://id.example.org`` -> ``https://id.example.org/.well-known/openid-configuration``; the
endpoints it names must use HTTPS (plain HTTP only on loopback, RFC 8252 §7.3).  One answer per
issuer is remembered for the process, so refreshing a token does not ask again.
"""

from __future__ import annotations

import threading
from typing import Any

from smimetui.core.errors import ConfigError
from smimetui.core.oauth.presets import Provider
from smimetui.core.sanitize import clean_line

WELL_KNOWN = "/.well-known/openid-configuration"
DEFAULT_SCOPES = ("openid", "email", "offline_access")
_found: dict[str, Provider] = {}
_lock = threading.Lock()


def is_issuer_url(value: str) -> bool:
    return value.startswith(("https://", "http://"))


def _secure(url: str) -> bool:
    # lazy: requests and authlib only when signing in
    from authlib.common.security import is_secure_transport

    return bool(is_secure_transport(url))


def discover(issuer: str, *, timeout: float = 15.0) -> Provider:
    """The provider described by ``issuer``'s OpenID configuration; ConfigError otherwise."""
    issuer = issuer.rstrip("/")
    with _lock:
        if issuer in _found:
            return _found[issuer]
    if not _secure(issuer):
        raise ConfigError(f"The issuer {issuer!r} must be an https:// URL.")
    url = issuer + WELL_KNOWN
    data = _fetch_json(url, timeout)
    endpoints: dict[str, str] = {}
    for key in ("authorization_endpoint", "token_endpoint", "device_authorization_endpoint"):
        value = data.get(key, "")
        if not isinstance(value, str) or (value and not _secure(value)):
            raise ConfigError(f"{url} names an unusable {key} ({clean_line(str(value), 120)}).")
        endpoints[key] = value
    if not endpoints["token_endpoint"]:
        raise ConfigError(f"{url} names no token_endpoint, so no token can be fetched there.")
    provider = Provider(
        name=issuer,
        title=issuer,
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        device_authorization_endpoint=endpoints["device_authorization_endpoint"],
        scopes=DEFAULT_SCOPES,
    )
    with _lock:
        _found[issuer] = provider
    return provider


def _fetch_json(url: str, timeout: float) -> dict[str, Any]:
    # lazy: requests and authlib only when signing in
    import requests

    try:
        response = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as err:
        raise ConfigError(
            f"The OpenID configuration at {url} could not be read ({type(err).__name__}); "
            "check the issuer URL and the network.",
            title="Provider not found",
        ) from err
    if response.status_code != 200:
        raise ConfigError(
            f"The OpenID configuration at {url} could not be read (HTTP "
            f"{response.status_code}); check the issuer URL.",
            title="Provider not found",
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConfigError(f"{url} did not answer with an OpenID configuration (JSON object).")
    return data
