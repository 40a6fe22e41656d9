"""An aiosmtpd submission server (STARTTLS) that accepts XOAUTH2 and OAUTHBEARER only, checking
each bearer token at the loopback OAuth2 server's introspection endpoint, as Dovecot does.

A refused token gets the RFC 7628 error challenge (base64 JSON), the client's empty answer, then
``535``; the tests check that this JSON becomes a sentence.
"""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.support.pki import localhost_tls
from tests.support.servers.ports import free_port

SCOPE = "mail"


@dataclass
class OAuthHandler:
    introspection_url: str
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)  # (mechanism, user) accepted

    def _check(self, user: str, token: str) -> dict[str, str] | None:
        """None when the token is good for ``user`` with the mail scope, else the error JSON."""
        body = urlencode({"token": token}).encode()
        with urllib.request.urlopen(self.introspection_url, body, timeout=10) as answer:
            info = json.load(answer)
        if not info.get("active") or info.get("username") != user:
            return {"status": "invalid_token", "scope": SCOPE}
        if SCOPE not in str(info.get("scope", "")).split():
            return {"status": "insufficient_scope", "scope": SCOPE}
        return None

    async def _auth(self, server: Any, args: list[str], mechanism: str) -> AuthResult:
        if len(args) > 1:
            raw = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            raw = base64.b64decode(answer) if isinstance(answer, bytes) else b""
        fields = dict(p.split("=", 1) for p in raw.decode().split("\x01") if "=" in p)
        if mechanism == "OAUTHBEARER":
            user = raw.decode().split(",")[1].removeprefix("a=")
        else:
            user = fields.get("user", "")
        token = fields.get("auth", "").removeprefix("Bearer ")
        error = await asyncio.to_thread(self._check, user, token)
        if error is None:
            self.logins.append((mechanism, user))
            return AuthResult(success=True, auth_data=user)
        await server.challenge_auth(json.dumps(error))
        return AuthResult(success=False, handled=False, message="535 5.7.8 Authentication failed")

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        return await self._auth(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server: Any, args: list[str]) -> AuthResult:
        return await self._auth(server, args, "OAUTHBEARER")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@dataclass
class OAuthSmtp:
    controller: Controller
    handler: OAuthHandler
    port: int
    ca_file: Path


def start_smtp(introspection_url: str, directory: Path) -> OAuthSmtp:
    context = localhost_tls(directory, "OAuth SMTP Test CA")
    handler = OAuthHandler(introspection_url)
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_exclude_mechanism=["LOGIN", "PLAIN"],
    )
    controller.start()
    return OAuthSmtp(controller, handler, port, directory / "ca.pem")
