"""SASL XOAUTH2 and OAUTHBEARER (RFC 7628): the client's message and the server's error JSON.

On failure both mechanisms send one challenge holding base64 JSON such as
``{"status":"invalid_token","scope":"..."}`` (RFC 7628 §3.2.2) or Google's
``{"status":"401","schemes":"bearer","scope":"..."}``; the client answers it with an empty
line and the server then says NO.  :func:`read_error` turns that JSON into a sentence.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from dataclasses import dataclass
from typing import Protocol

from smimetui.core.errors import AuthenticationError
from smimetui.core.sanitize import clean_line

# Preferred first, when the server offers both: XOAUTH2's error JSON names the scope the
# server wants (Dovecot, Google), so a wrong scope can be told from an expired token.
MECHANISMS = ("XOAUTH2", "OAUTHBEARER")


def xoauth2(user: str, token: str) -> bytes:
    """Google/Microsoft XOAUTH2: ``user=U^Aauth=Bearer T^A^A``."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def oauthbearer(user: str, token: str, host: str = "", port: int = 0) -> bytes:
    """RFC 7628 OAUTHBEARER: a GS2 header naming the user, then host, port and the token."""
    safe_user = user.replace("=", "=3D").replace(",", "=2C")
    parts = [f"n,a={safe_user},"]
    if host:
        parts.append(f"host={host}")
    if port:
        parts.append(f"port={port}")
    parts.append(f"auth=Bearer {token}")
    return ("\x01".join(parts) + "\x01\x01").encode()


def initial_response(mechanism: str, user: str, token: str, host: str, port: int) -> bytes:
    if mechanism == "OAUTHBEARER":
        return oauthbearer(user, token, host, port)
    return xoauth2(user, token)


def choose_mechanism(offered: list[str], wanted: str = "") -> str | None:
    """The mechanism to use: ``wanted`` if the server offers it, else the preferred one offered.
    None when the server offers neither."""
    upper = {m.upper() for m in offered}
    if wanted:
        return wanted.upper() if wanted.upper() in upper else None
    return next((m for m in MECHANISMS if m in upper), None)


@dataclass(frozen=True, slots=True)
class ServerError:
    """What the server said about a rejected token."""

    status: str = ""
    scope: str = ""

    @property
    def wrong_scope(self) -> bool:
        return self.status in ("insufficient_scope", "403")

    def sentence(self) -> str:
        if self.wrong_scope:
            wants = f" (it wants {self.scope})" if self.scope else ""
            return (
                "the access token does not grant mail access: wrong scope"
                f"{wants}; check the account's scopes and sign in again"
            )
        if self.status in ("invalid_token", "401"):
            return (
                "the access token was not accepted: it has expired or was revoked, or lacks "
                "the scope the server wants"
            )
        if self.status in ("invalid_request", "400"):
            return "the server found the sign-in request malformed (check the username)"
        if self.status:
            return f"the server refused the access token ({self.status})"
        return "the server refused the access token"


def read_error(challenge: bytes | str | None) -> ServerError:
    """Parse the error JSON of a failed OAuth2 SASL exchange (raw or base64); never raises."""
    if not challenge:
        return ServerError()
    data = challenge.encode() if isinstance(challenge, str) else challenge
    candidates = [data]
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.append(base64.b64decode(data, validate=True))
    for candidate in candidates:
        try:
            parsed = json.loads(candidate)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(parsed, dict):
            return ServerError(
                clean_line(str(parsed.get("status", "")), 40),
                clean_line(str(parsed.get("scope", "")), 200),
            )
    return ServerError()


class TokenSource(Protocol):
    """Where a login gets access tokens (see ``tokens.AccessTokens``)."""

    def __call__(self) -> str: ...

    def renew(self) -> str:
        """A new token after the server refused the last one."""
        ...

    def rejected(self, where: str, error: ServerError) -> AuthenticationError:
        """The error to raise when even a renewed token was refused."""
        ...
