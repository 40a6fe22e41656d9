"""The OAuth2 tests' world: fixtures for the loopback OAuth2 server, a Dovecot that checks its
tokens and an SMTP server that does the same; an account on those servers; a browser stand-in."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from smimetui.core.oauth.flows import SignInPrompt
from smimetui.core.settings.accounts import Account
from tests.support.servers.dovecot import DOVECOT, Dovecot
from tests.support.servers.oauth import AuthServer
from tests.support.servers.oauth_smtp import OAuthSmtp, start_smtp


def oauth_account(
    auth: AuthServer,
    dovecot: Dovecot | None = None,
    *,
    name: str = "work",
    scopes: str = "mail offline_access",
    smtp_port: int = 0,
    ca_file: str = "",
    **extra: str,
) -> Account:
    return Account(
        name=name,
        email="alice@example.org",
        imap_host="127.0.0.1" if dovecot else "",
        imap_port=dovecot.imaps_port if dovecot else 993,
        imap_security="tls",
        maildir="" if dovecot else "/nonexistent",
        username=auth.user,
        ca_file=str(dovecot.ca_pem) if dovecot else ca_file,
        smtp_host="127.0.0.1" if smtp_port else "",
        smtp_port=smtp_port or 587,
        smtp_security="starttls",
        auth="oauth2",
        oauth2_provider=auth.url,
        oauth2_client_id=auth.client_id,
        oauth2_scopes=scopes,
        **extra,
    ).validate()


class Browser:
    """Stands in for the user's browser: follows the authorization URL, and with it the
    redirect to smimetui's loopback listener, in a thread (the listener answers only once the
    flow waits for it)."""

    def __init__(self) -> None:
        self.prompts: list[SignInPrompt] = []
        self.threads: list[threading.Thread] = []
        self.landed: list[int] = []

    def __call__(self, prompt: SignInPrompt) -> None:
        self.prompts.append(prompt)
        if prompt.user_code:
            return  # device code: the test server approves after a poll

        def visit() -> None:
            self.landed.append(requests.get(prompt.url, timeout=10).status_code)

        thread = threading.Thread(target=visit, daemon=True)
        thread.start()
        self.threads.append(thread)


@pytest.fixture
def auth() -> Iterator[AuthServer]:
    server = AuthServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_auth() -> Iterator[AuthServer]:
    server = AuthServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def oauth_dovecot(module_auth: AuthServer) -> Iterator[Dovecot]:
    if not shutil.which(DOVECOT) and not Path(DOVECOT).exists():
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed; CI must run the OAuth2 tests", pytrace=False)
        pytest.skip("dovecot-imapd is not installed (tests/run.sh installs it)")
    server = Dovecot.create(oauth2_url=module_auth.url + "/introspect")
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="module")
def oauth_smtp(
    module_auth: AuthServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OAuthSmtp]:
    smtp = start_smtp(module_auth.url + "/introspect", tmp_path_factory.mktemp("oauth-smtp"))
    yield smtp
    smtp.controller.stop()
