"""Build the backend and the sender for an account, and find its password.

The password comes from, in this order: the account's ``password_command`` (``pass show mail``),
the system keyring (entry ``account:NAME``), or a prompt callback given by the caller (the TUI's
dialog, the CLI's getpass on a terminal).  It is looked up only when a login needs it, once per
source, and never written anywhere.  An OAuth2 account (``auth = "oauth2"``) logs in with an
access token from ``oauth.tokens.AccessTokens`` instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from smimetui.core.errors import ConfigError, SecretStoreError
from smimetui.core.mail.base import MailBackend
from smimetui.core.mail.smtp import SmtpSender
from smimetui.core.settings import secrets
from smimetui.core.settings.accounts import Account
from smimetui.core.settings.home import Home

if TYPE_CHECKING:
    from smimetui.core.oauth.tokens import AccessTokens, SignInHook

# Called with a sentence such as "Password for alice@imap.example.org (account work)".
PasswordPrompt = Callable[[str], str]


class PasswordSource:
    """A callable that returns the account's password, asking its sources once."""

    def __init__(
        self,
        account: Account,
        prompt: PasswordPrompt | None = None,
        *,
        server: Literal["imap", "smtp"] = "imap",
    ) -> None:
        self.account = account
        self.prompt = prompt
        self.server = server  # which login the question names (one password serves both)
        self._value: str | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._value is None:
                self._value = self._lookup()
            return self._value

    def forget(self) -> None:
        """Drop the remembered password (after the server refused it)."""
        with self._lock:
            self._value = None

    def _lookup(self) -> str:
        account = self.account
        if account.password_command:
            return secrets.run_password_command(account.password_command)
        no_keyring = False
        try:
            stored = secrets.get_secret(account.secret_key)
        except secrets.KeyringUnavailable:
            stored, no_keyring = None, True
        if stored:
            return stored
        if self.prompt is not None:
            if self.server == "smtp":
                who, host = account.smtp_login, account.smtp_host
            else:
                who, host = account.username or account.email, account.imap_host
            answer = self.prompt(f"Password for {who} at {host} (account {account.name})")
            if answer:
                return answer
            raise SecretStoreError(f"No password was given for account {account.name!r}.")
        if no_keyring:
            raise SecretStoreError(
                f"Account {account.name!r} has no password command, and no system keyring is "
                "available on this machine to hold a password; set password_command in the "
                "config (e.g. 'pass show mail') or run smimetui in a terminal to be asked.",
                title="No password",
            )
        raise SecretStoreError(
            f"No password is stored for account {account.name!r}; store one with "
            f"'smimetui account password {account.name}' or set a password command.",
            title="No password",
        )


def open_backend(
    account: Account,
    home: Home,
    *,
    prompt: PasswordPrompt | None = None,
    sign_in: SignInHook | None = None,
) -> MailBackend:
    """The account's mail store: its Maildir, or its IMAP server with the header cache."""
    if account.is_local:
        # lazy: only the account's own kind of store is loaded (startup)
        from smimetui.core.mail.maildir.backend import MaildirBackend

        return MaildirBackend(Path(account.maildir).expanduser())
    try:  # built by the IMAP work; imported lazily so local accounts never need it
        # lazy: only the account's own kind of store is loaded (startup)
        from smimetui.core.mail.imap.backend import ImapBackend
        from smimetui.core.mail.imap.header_cache import HeaderCache
    except ImportError as err:
        raise ConfigError(
            "IMAP accounts are not supported by this build; use a Maildir account.",
            title="IMAP unavailable",
        ) from err
    home.ensure(home.cache_dir)
    backend: MailBackend = ImapBackend(
        account=account.name,
        host=account.imap_host,
        port=account.imap_port,
        security=account.imap_security,
        username=account.username,
        password=PasswordSource(account, prompt),
        cache=HeaderCache(home.cache_db),
        own_cache=True,  # closed with the backend: the file is checkpointed, not leaked
        ca_file=account.ca_file or None,
        message_cache_dir=home.ensure(home.message_cache_dir),
        oauth2=access_tokens(account, sign_in),
        oauth2_mechanism=account.oauth2_mechanism,
    )
    return backend


def access_tokens(account: Account, sign_in: SignInHook | None = None) -> AccessTokens | None:
    """The account's OAuth2 token source (``sign_in`` asks the user to sign in again when the
    saved sign-in is gone), or None for a password account."""
    if not account.uses_oauth2:
        return None
    # lazy: only the account's own kind of store is loaded (startup)
    from smimetui.core.oauth.tokens import AccessTokens

    return AccessTokens(account, sign_in=sign_in)


def open_sender(
    account: Account,
    *,
    prompt: PasswordPrompt | None = None,
    sign_in: SignInHook | None = None,
    password: PasswordSource | None = None,
) -> SmtpSender:
    """The account's SMTP sender; ConfigError when the account has no SMTP server.

    ``password``: a source kept by the caller, so that a password the user typed is asked once
    per session rather than once per send (else a new source with ``prompt``)."""
    if not account.smtp_host:
        raise ConfigError(
            f"Account {account.name!r} has no SMTP server; add one with "
            f"'smimetui account add {account.name} --smtp-host HOST ...' (remove and re-add).",
            title="No SMTP server",
        )
    return SmtpSender(
        account.smtp_host,
        account.smtp_port,
        account.smtp_security,
        username=account.smtp_login,
        password=(password or PasswordSource(account, prompt, server="smtp"))
        if account.smtp_login
        else None,
        ca_file=account.ca_file or None,
        oauth2=access_tokens(account, sign_in),
        oauth2_mechanism=account.oauth2_mechanism,
    )
