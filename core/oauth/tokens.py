"""Tokens of an OAuth2 account: the refresh token in the keyring, fresh access tokens on demand.

The keyring entry ``oauth2:NAME`` holds JSON with the refresh token and the last access token
and its expiry, so a CLI command run a minute later does not refresh again.  A client secret,
for providers that want one, is the entry ``oauth2-secret:NAME``.  Without a keyring the tokens
stay in memory for the process (the TUI asks to sign in at each start).

:class:`AccessTokens` is what a login asks: a token valid for at least ``LEEWAY`` more seconds,
refreshed when it is not, and refreshed once more (``renew``) after a server rejected it.  A
refresh the provider refuses (revoked, expired, password changed) raises
:class:`SignInRequired`, which tells the user to run ``smimetui account login NAME``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from smimetui.core.errors import AuthenticationError
from smimetui.core.oauth import flows
from smimetui.core.oauth.presets import Provider, preset
from smimetui.core.oauth.sasl import ServerError
from smimetui.core.settings import secrets
from smimetui.core.settings.accounts import Account

LEEWAY = 120.0  # refresh this long before the access token expires


class SignInRequired(AuthenticationError):
    """No usable refresh token: the user must sign in at the provider again."""

    title = "Sign-in needed"

    def __init__(self, account: str, reason: str) -> None:
        super().__init__(
            f"Account {account!r} must sign in again: {reason}; run "
            f"'smimetui account login {account}'."
        )
        self.account = account


def token_entry(account: Account) -> str:
    return f"oauth2:{account.name}"


def secret_entry(account: Account) -> str:
    return f"oauth2-secret:{account.name}"


@dataclass(frozen=True, slots=True)
class StoredTokens:
    refresh_token: str = ""
    access_token: str = ""
    expires_at: float = 0.0
    scope: str = ""

    def fresh(self, now: float) -> bool:
        return bool(self.access_token) and self.expires_at - LEEWAY > now

    @classmethod
    def from_response(
        cls, token: dict[str, Any], previous: StoredTokens | None, now: float
    ) -> StoredTokens:
        """From a token endpoint answer; a refresh answer may leave out the refresh token."""
        expires_in = token.get("expires_in")
        expires_at = token.get("expires_at")
        if isinstance(expires_in, int | float | str) and str(expires_in).isdigit():
            expires_at = now + float(expires_in)
        elif not isinstance(expires_at, int | float):
            expires_at = now + 3600.0  # no lifetime given: assume the usual hour
        return cls(
            refresh_token=str(
                token.get("refresh_token") or (previous and previous.refresh_token) or ""
            ),
            access_token=str(token["access_token"]),
            expires_at=float(expires_at),
            scope=str(token.get("scope") or (previous and previous.scope) or ""),
        )


# -- the keyring ------------------------------------------------------------------------------
_memory: dict[str, StoredTokens] = {}  # when there is no keyring, for this process only
_memory_lock = threading.Lock()


def load_tokens(account: Account) -> StoredTokens | None:
    try:
        text = secrets.get_secret(token_entry(account))
    except secrets.KeyringUnavailable:
        with _memory_lock:
            return _memory.get(account.name)
    if not text:
        return None
    try:
        data = json.loads(text)
        return StoredTokens(**{k: data[k] for k in StoredTokens.__slots__ if k in data})
    except (ValueError, TypeError):  # a bare refresh token stored by hand is fine too
        return StoredTokens(refresh_token=text.strip())


def save_tokens(account: Account, tokens: StoredTokens) -> bool:
    """Keep ``tokens``; False when only in memory (no keyring on this machine)."""
    try:
        secrets.set_secret(token_entry(account), json.dumps(asdict(tokens)))
        return True
    except secrets.KeyringUnavailable:
        with _memory_lock:
            _memory[account.name] = tokens
        return False


def forget_tokens(account: Account) -> None:
    secrets.delete_secret(token_entry(account))
    with _memory_lock:
        _memory.pop(account.name, None)


def client_secret(account: Account) -> str | None:
    try:
        return secrets.get_secret(secret_entry(account)) or None
    except secrets.KeyringUnavailable:
        return None


# -- the provider -----------------------------------------------------------------------------
def provider_for(account: Account) -> Provider:
    # lazy: requests and authlib only when signing in
    from smimetui.core.oauth.discovery import discover, is_issuer_url

    if is_issuer_url(account.oauth2_provider):
        return discover(account.oauth2_provider)
    return preset(account.oauth2_provider, account.oauth2_tenant)


def scopes_for(account: Account, provider: Provider) -> tuple[str, ...]:
    return tuple(account.oauth2_scopes.split()) or provider.scopes


def session_for(account: Account, provider: Provider) -> Any:
    return flows.make_session(
        provider, account.oauth2_client_id, client_secret(account), scopes_for(account, provider)
    )


def sign_in(
    account: Account,
    show: flows.Show,
    *,
    device_code: bool = False,
    open_browser: bool = True,
    cancel: threading.Event | None = None,
    clock: Callable[[], float] = time.time,
) -> tuple[StoredTokens, bool]:
    """Run a sign-in flow and keep its tokens; (tokens, kept in the keyring)."""
    provider = provider_for(account)
    session = session_for(account, provider)
    if device_code:
        token = flows.sign_in_device(session, provider, show, cancel=cancel)
    else:
        token = flows.sign_in_browser(
            session,
            provider,
            show,
            login_hint=account.username or account.email,
            open_browser=open_browser,
            cancel=cancel,
        )
    tokens = StoredTokens.from_response(token, None, clock())
    if not tokens.refresh_token:
        # Without one the account would need a sign-in every hour: say so now, not then.
        raise flows.SignInError(
            f"{provider.title} gave no refresh token; the scopes must include offline access "
            "(Microsoft: offline_access) and the app must be allowed to use it."
        )
    return tokens, save_tokens(account, tokens)


# -- access tokens for a login ----------------------------------------------------------------
# Called (from the login's thread) when the saved sign-in is missing or refused, with the
# account and the reason; True once the user signed in again (the TUI's dialog), else False.
SignInHook = Callable[[Account, str], bool]


class AccessTokens:
    """Callable: a valid access token for ``account``; ``renew()`` after a server refused one."""

    def __init__(
        self,
        account: Account,
        *,
        clock: Callable[[], float] = time.time,
        sign_in: SignInHook | None = None,
    ) -> None:
        self.account = account
        self.clock = clock
        self.sign_in = sign_in
        self._lock = threading.Lock()
        self.refreshes = 0  # diagnostics and tests

    def __call__(self) -> str:
        with self._lock:
            if self.account.oauth2_token_command:
                return self._from_command()
            stored = load_tokens(self.account)
            if stored is not None and stored.fresh(self.clock()):
                return stored.access_token
            return self._refresh(stored)

    def renew(self) -> str:
        """A new token, whatever the clock says (the server rejected the last one)."""
        with self._lock:
            if self.account.oauth2_token_command:
                return self._from_command()
            return self._refresh(load_tokens(self.account))

    def rejected(self, where: str, error: ServerError) -> AuthenticationError:
        """The error for a token the server refused even after a renewal."""
        if self.account.oauth2_token_command:
            return AuthenticationError(
                f"{where}: {error.sentence()}, even with a new token from the token command "
                f"{self.account.oauth2_token_command!r}; sign in again with that tool."
            )
        # Servers (Dovecot, Google) answer 401 for a missing scope too, naming the scope they
        # want: a token granted without it is a wrong scope, which a new sign-in with the right
        # scopes fixes, not an expired token.
        stored = load_tokens(self.account)
        granted = set(stored.scope.split()) if stored is not None else set()
        if error.scope and granted and not set(error.scope.split()) <= granted:
            error = ServerError("insufficient_scope", error.scope)
        return SignInRequired(self.account.name, f"{where}: {error.sentence()}")

    def _from_command(self) -> str:
        return secrets.run_password_command(
            self.account.oauth2_token_command, what="OAuth2 token command"
        )

    def _refresh(self, stored: StoredTokens | None) -> str:
        if stored is None or not stored.refresh_token:
            return self._signed_in_again("no sign-in is saved for it")
        provider = provider_for(self.account)
        session = session_for(self.account, provider)
        try:
            token = flows.token_request(
                lambda: session.refresh_token(
                    provider.token_endpoint, refresh_token=stored.refresh_token
                ),
                provider,
            )
        except flows.SignInError as err:
            cause = err.__cause__
            if getattr(cause, "error", "") in (
                "invalid_grant",
                "interaction_required",
                "consent_required",
            ):
                forget_tokens(self.account)
                return self._signed_in_again(flows.explain(cause, provider))  # type: ignore[arg-type]
            raise
        self.refreshes += 1
        fresh = StoredTokens.from_response(token, stored, self.clock())
        save_tokens(self.account, fresh)
        return fresh.access_token

    def _signed_in_again(self, reason: str) -> str:
        """Ask the hook (the TUI's sign-in dialog) for a new sign-in, else SignInRequired."""
        if self.sign_in is not None and self.sign_in(self.account, reason):
            stored = load_tokens(self.account)
            if stored is not None and stored.access_token:
                return stored.access_token
        raise SignInRequired(self.account.name, reason)
