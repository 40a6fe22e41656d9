"""The two sign-in flows, with authlib's OAuth2 client (requests underneath).

* Authorization code with PKCE (RFC 7636, S256) and a loopback redirect (RFC 8252): a one-shot
  HTTP listener on 127.0.0.1 receives the redirect; the browser is opened with ``webbrowser``,
  and the URL is shown too, for a machine without one.
* Device code (RFC 8628): the user types a short code on any device; works over SSH.

Both report what the user must do through a ``show`` callback (the CLI prints, the TUI shows a
dialog) and stop early when ``cancel`` is set.  They return the token response (a dict).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from smimetui.core.errors import AuthenticationError
from smimetui.core.oauth.presets import Provider
from smimetui.core.sanitize import clean_line

if TYPE_CHECKING:
    from authlib.integrations.requests_client import OAuth2Session

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SIGN_IN_SECONDS = 600.0


class SignInError(AuthenticationError):
    title = "Sign-in failed"


@dataclass(frozen=True, slots=True)
class SignInPrompt:
    """What the user must do: open ``url`` (and type ``user_code`` there, for a device code)."""

    url: str
    user_code: str = ""
    browser_opened: bool = False

    def sentence(self) -> str:
        if self.user_code:
            return f"Open {self.url} on any device and enter the code {self.user_code}."
        if self.browser_opened:
            return f"Sign in in the browser that opened; if none did, open {self.url}"
        return f"Open this address in a browser and sign in: {self.url}"


Show = Callable[[SignInPrompt], None]


def make_session(
    provider: Provider, client_id: str, secret: str | None, scopes: tuple[str, ...], **kw: Any
) -> OAuth2Session:
    # lazy: requests and authlib only when signing in
    from authlib.integrations.requests_client import OAuth2Session

    return OAuth2Session(
        client_id,
        secret or None,
        scope=" ".join(scopes),
        token_endpoint_auth_method="client_secret_post" if secret else "none",
        code_challenge_method="S256",
        timeout=30,
        **kw,
    )


def explain(err: Exception, provider: Provider) -> str:
    """A sentence for an error from the token or authorization endpoint."""
    code = str(getattr(err, "error", "") or "")
    detail = clean_line(str(getattr(err, "description", "") or ""), 200)
    where = provider.title
    if code in ("consent_required", "interaction_required") or "AADSTS65001" in detail:
        return (
            f"{where} wants consent first: the app (your client ID) has not been allowed to read "
            "mail for this user; sign in again and accept, or ask your administrator to grant "
            "consent for the organisation"
        )
    if code == "invalid_scope":
        return f"{where} refused the scopes asked for ({detail or 'wrong scope'})"
    if code in ("invalid_client", "unauthorized_client"):
        return (
            f"{where} does not accept the client ID ({detail or code}); check the app "
            "registration (public client / device code allowed, redirect http://localhost)"
        )
    if code == "access_denied":
        return f"the sign-in at {where} was declined"
    if code == "mismatching_state":
        return "the answer to the sign-in does not belong to this request (its state differs)"
    if code == "expired_token":
        return "the device code expired before the sign-in finished"
    if code == "invalid_grant":
        return f"{where} no longer accepts the saved sign-in ({detail or 'revoked or expired'})"
    if code:
        return f"{where} answered {code}" + (f": {detail}" if detail else "")
    return f"{where} could not be reached ({clean_line(str(err), 200) or type(err).__name__})"


def token_request(action: Callable[[], Any], provider: Provider) -> dict[str, Any]:
    """Run one token-endpoint call; OAuth and network errors become :class:`SignInError`."""
    # lazy: requests and authlib only when signing in
    import requests
    from authlib.common.errors import AuthlibBaseError

    try:
        token = action()
    except (AuthlibBaseError, requests.RequestException, ValueError) as err:
        raise SignInError(_capital(explain(err, provider)) + ".") from err
    if not isinstance(token, dict) or "access_token" not in token:
        raise SignInError(f"{provider.title} answered without an access token.")
    return dict(token)


def _capital(text: str) -> str:
    """The sentence with a capital, unless it starts with a provider's URL."""
    return text if text.startswith("http") else text[:1].upper() + text[1:]


# -- authorization code + PKCE ----------------------------------------------------------------
def graphical_browser_likely() -> bool:
    """Whether ``webbrowser`` would open a window: without a display it falls back to a text
    browser (lynx, w3m) in this very terminal, which would take over the mail reader."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class _Redirect(BaseHTTPRequestHandler):
    """Receives the one redirect back from the provider and thanks the user."""

    server: _LoopbackServer

    def do_GET(self) -> None:
        if "state=" not in urlsplit(self.path).query:  # a favicon, a stray visitor: not it
            self.send_error(404)
            return
        self.server.received = self.path
        body = b"<html><body><p>Signed in. You can close this window.</p></body></html>"
        if "error=" in self.path:
            body = b"<html><body><p>The sign-in did not finish; see smimetui.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return  # nothing on the user's terminal


class _LoopbackServer(HTTPServer):
    received: str = ""


def sign_in_browser(
    session: OAuth2Session,
    provider: Provider,
    show: Show,
    *,
    login_hint: str = "",
    open_browser: bool = True,
    cancel: threading.Event | None = None,
    timeout: float = SIGN_IN_SECONDS,
) -> dict[str, Any]:
    """Authorization code with PKCE on a loopback redirect."""
    # lazy: requests and authlib only when signing in
    from authlib.common.security import generate_token

    if not provider.authorization_endpoint:
        raise SignInError(f"{provider.title} has no authorization endpoint; use --device-code.")
    server = _LoopbackServer(("127.0.0.1", 0), _Redirect)
    server.timeout = 0.2
    # Microsoft registers "http://localhost" for desktop apps (any port); others take the IP.
    host = "localhost" if provider.name == "microsoft" else "127.0.0.1"
    redirect_uri = f"http://{host}:{server.server_address[1]}/"
    session.redirect_uri = redirect_uri
    verifier = generate_token(64)
    extra = dict(provider.authorize_params)
    if login_hint:
        extra["login_hint"] = login_hint
    try:
        url, state = session.create_authorization_url(
            provider.authorization_endpoint, code_verifier=verifier, **extra
        )
        opened = False
        if open_browser and graphical_browser_likely():
            with contextlib.suppress(Exception):  # no browser is a normal case over SSH
                opened = bool(webbrowser.open(url))
        show(SignInPrompt(url, browser_opened=opened))
        deadline = time.monotonic() + timeout
        while not server.received:
            if cancel is not None and cancel.is_set():
                raise SignInError("The sign-in was cancelled.", title="Sign-in cancelled")
            if time.monotonic() > deadline:
                raise SignInError("The sign-in was not finished in time; try again.")
            server.handle_request()
    finally:
        server.server_close()
    response = "http://127.0.0.1" + server.received
    query = {k: v[0] for k, v in parse_qs(urlsplit(response).query).items()}
    if "error" in query or "code" not in query:
        # lazy: requests and authlib only when signing in
        from authlib.integrations.base_client.errors import OAuthError

        error = OAuthError(query.get("error", "no_code"), query.get("error_description", ""))
        raise SignInError(f"{_capital(explain(error, provider))}.")
    return token_request(
        lambda: session.fetch_token(
            provider.token_endpoint,
            authorization_response=response,
            code_verifier=verifier,
            state=state,  # authlib checks the redirect's state against it (CSRF)
        ),
        provider,
    )


# -- device code ------------------------------------------------------------------------------
def sign_in_device(
    session: OAuth2Session,
    provider: Provider,
    show: Show,
    *,
    cancel: threading.Event | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Device authorization grant (RFC 8628): show the code, poll until the user is done."""
    # lazy: requests and authlib only when signing in
    import requests
    from authlib.integrations.base_client.errors import OAuthError

    if not provider.device_authorization_endpoint:
        raise SignInError(
            f"{provider.title} offers no device-code sign-in; leave out --device-code."
        )
    try:
        answer = session.post(
            provider.device_authorization_endpoint,
            data={"client_id": session.client_id, "scope": session.scope},
            withhold_token=True,
        )
        grant = answer.json()
    except (requests.RequestException, ValueError) as err:
        raise SignInError(f"{_capital(explain(err, provider))}.") from err
    if not isinstance(grant, dict) or "device_code" not in grant:
        error = OAuthError(
            error=str(grant.get("error", "")) if isinstance(grant, dict) else "",
            description=str(grant.get("error_description", "")) if isinstance(grant, dict) else "",
        )
        raise SignInError(f"{_capital(explain(error, provider))}.")
    url = str(grant.get("verification_uri") or grant.get("verification_url") or "")
    show(SignInPrompt(clean_line(url, 300), clean_line(str(grant.get("user_code", "")), 40)))
    interval = float(grant.get("interval", 5) or 5)
    deadline = time.monotonic() + float(grant.get("expires_in", SIGN_IN_SECONDS))
    while True:
        if cancel is not None and cancel.is_set():
            raise SignInError("The sign-in was cancelled.", title="Sign-in cancelled")
        if time.monotonic() > deadline:
            raise SignInError("The device code expired before the sign-in finished; try again.")
        try:
            return dict(
                session.fetch_token(
                    provider.token_endpoint,
                    grant_type=DEVICE_GRANT,
                    device_code=grant["device_code"],
                )
            )
        except OAuthError as err:
            if err.error == "authorization_pending":
                pass
            elif err.error == "slow_down":
                interval += 5
            else:
                raise SignInError(f"{_capital(explain(err, provider))}.") from err
        except requests.RequestException as err:
            raise SignInError(f"{_capital(explain(err, provider))}.") from err
        _wait(interval, cancel, sleep)


def _wait(seconds: float, cancel: threading.Event | None, sleep: Callable[[float], None]) -> None:
    if cancel is not None:
        cancel.wait(seconds)
    else:
        sleep(seconds)
