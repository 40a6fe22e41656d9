"""Fixtures: the loopback OAuth2 server, a Dovecot that checks its tokens, an SMTP server that
does the same, an in-memory keyring and a home with an OAuth2 account."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends.dovecot import DOVECOT, Dovecot
from tests.backends_local.test_factory import MemoryKeyring, memory_keyring  # noqa: F401
from tests.oauth.authserver import AuthServer
from tests.oauth.smtpserver import OAuthSmtp, start_smtp


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
