"""A small OAuth2 authorization server on loopback, for the sign-in and login tests.

Endpoints: OpenID discovery, authorization (approves at once as ``user`` and redirects to the
client's loopback URI, so a test follows the redirect with an HTTP client instead of a
browser), token (authorization_code with the PKCE S256 check, refresh_token, device_code),
device authorization (RFC 8628) and introspection (RFC 7662, what Dovecot asks).  Access tokens
expire after ``access_ttl`` seconds; refresh tokens can be revoked; scopes are kept per token.
It is test infrastructure, so plain ``http.server``: every rule it checks is written out here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Grant:
    user: str
    scope: str
    client_id: str


@dataclass
class AuthServer:
    user: str = "alice"
    client_id: str = "test-client"
    client_secret: str = ""  # when set, the token endpoint wants it (client_secret_post)
    access_ttl: float = 3600.0
    consent_required: bool = False  # the authorization endpoint answers error=consent_required
    device_approvals_after: int = 1  # polls answered authorization_pending before approval
    access: dict[str, tuple[Grant, float]] = field(default_factory=dict)  # token -> (grant, exp)
    refresh: dict[str, Grant] = field(default_factory=dict)
    codes: dict[str, tuple[Grant, str, str]] = field(default_factory=dict)  # code -> (g, chal, uri)
    devices: dict[str, list[Any]] = field(default_factory=dict)  # device_code -> [grant, polls]
    log: list[str] = field(default_factory=list)  # "path grant_type" of every request
    _http: ThreadingHTTPServer | None = None

    # -- test controls --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._http is not None
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def start(self) -> AuthServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.auth = self  # type: ignore[attr-defined]
        self._http = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    def revoke_refresh_tokens(self) -> None:
        self.refresh.clear()

    def revoke_access_tokens(self) -> None:
        self.access.clear()

    def issue(self, scope: str = "mail", ttl: float | None = None) -> str:
        """An access token for ``user`` made outside any flow (token-command tests)."""
        token = "at-" + secrets.token_urlsafe(16)
        grant = Grant(self.user, scope, self.client_id)
        self.access[token] = (grant, time.time() + (self.access_ttl if ttl is None else ttl))
        return token

    def count(self, what: str) -> int:
        return sum(1 for line in self.log if what in line)

    # -- the endpoints ----------------------------------------------------------------------------
    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": self.url + "/authorize",
            "token_endpoint": self.url + "/token",
            "device_authorization_endpoint": self.url + "/device",
            "introspection_endpoint": self.url + "/introspect",
        }

    def authorize(self, query: dict[str, str]) -> str:
        """The Location of the redirect back to the client."""
        redirect = query["redirect_uri"]
        assert urlsplit(redirect).hostname in ("127.0.0.1", "localhost"), redirect
        state = query.get("state", "")
        if self.consent_required:
            return redirect + "?" + urlencode({"error": "consent_required", "state": state})
        if query.get("client_id") != self.client_id or query.get("code_challenge_method") != "S256":
            return redirect + "?" + urlencode({"error": "invalid_request", "state": state})
        code = "code-" + secrets.token_urlsafe(12)
        grant = Grant(self.user, query.get("scope", ""), self.client_id)
        self.codes[code] = (grant, query["code_challenge"], redirect)
        return redirect + "?" + urlencode({"code": code, "state": state})

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        kind = form.get("grant_type", "")
        if form.get("client_id") != self.client_id:
            return 401, {"error": "invalid_client"}
        if self.client_secret and form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "client secret missing"}
        if kind == "authorization_code":
            found = self.codes.pop(form.get("code", ""), None)
            if found is None:
                return 400, {"error": "invalid_grant", "error_description": "unknown code"}
            grant, challenge, redirect = found
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != challenge or form.get("redirect_uri") != redirect:
                return 400, {"error": "invalid_grant", "error_description": "PKCE check failed"}
            return 200, self._tokens(grant, new_refresh=True)
        if kind == "refresh_token":
            grant = self.refresh.get(form.get("refresh_token", ""))
            if grant is None:
                return 400, {"error": "invalid_grant", "error_description": "token revoked"}
            return 200, self._tokens(grant, new_refresh=False)
        if kind == DEVICE_GRANT:
            pending = self.devices.get(form.get("device_code", ""))
            if pending is None:
                return 400, {"error": "expired_token"}
            pending[1] += 1
            if pending[1] <= self.device_approvals_after:
                return 400, {"error": "authorization_pending"}
            del self.devices[form["device_code"]]
            return 200, self._tokens(pending[0], new_refresh=True)
        return 400, {"error": "unsupported_grant_type"}

    def device(self, form: dict[str, str]) -> dict[str, Any]:
        code = "dc-" + secrets.token_urlsafe(12)
        self.devices[code] = [Grant(self.user, form.get("scope", ""), self.client_id), 0]
        return {
            "device_code": code,
            "user_code": "WDJB-MJHT",
            "verification_uri": self.url + "/activate",
            "expires_in": 60,
            "interval": 0.05,
        }

    def introspect(self, form: dict[str, str]) -> dict[str, Any]:
        found = self.access.get(form.get("token", ""))
        if found is None or found[1] < time.time():
            return {"active": False}
        grant, expires = found
        return {
            "active": True,
            "username": grant.user,
            "scope": grant.scope,
            "client_id": grant.client_id,
            "exp": int(expires),
        }

    def _tokens(self, grant: Grant, *, new_refresh: bool) -> dict[str, Any]:
        token = "at-" + secrets.token_urlsafe(16)
        self.access[token] = (grant, time.time() + self.access_ttl)
        answer: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(self.access_ttl),
            "scope": grant.scope,
        }
        if new_refresh:
            refresh = "rt-" + secrets.token_urlsafe(16)
            self.refresh[refresh] = grant
            answer["refresh_token"] = refresh
        return answer


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    @property
    def auth(self) -> AuthServer:
        return self.server.auth  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.auth.log.append(f"GET {parts.path}")
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, self.auth.discovery())
        elif parts.path == "/authorize":
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            self.send_response(302)
            self.send_header("Location", self.auth.authorize(query))
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        path = urlsplit(self.path).path
        self.auth.log.append(f"POST {path} {form.get('grant_type', '')}")
        if path == "/token":
            self._json(*self.auth.token(form))
        elif path == "/device":
            self._json(200, self.auth.device(form))
        elif path == "/introspect":
            self._json(200, self.auth.introspect(form))
        else:
            self._json(404, {"error": "not_found"})

    def _json(self, status: int, data: dict[str, Any]) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return
