"""Session fixture: one real Dovecot for all backend tests; a fresh mail user per test."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smimetui.core.backends.cache import HeaderCache
from smimetui.core.backends.imap import ImapBackend

from .dovecot import DOVECOT, Dovecot

_users = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not shutil.which(DOVECOT) and not Path(DOVECOT).exists():
        pytest.skip("dovecot-imapd is not installed (tests/run.sh installs it)")
    server = Dovecot.create()
    server.start()
    yield server
    server.destroy()


@dataclass
class MailUser:
    server: Dovecot
    name: str
    password: str
    tmp: Path

    def backend(self, **overrides: Any) -> ImapBackend:
        """A backend for this user (plaintext port unless overridden); caller closes it."""
        options: dict[str, Any] = {
            "account": self.name,
            "host": "127.0.0.1",
            "port": self.server.imap_port,
            "security": "none",
            "username": self.name,
            "password": lambda: self.password,
            "timeout": 10.0,
            "message_cache_dir": self.tmp / "messages",
        }
        options.update(overrides)
        return ImapBackend(**options)


@pytest.fixture
def mail_user(dovecot: Dovecot, tmp_path: Path) -> MailUser:
    name = f"user{next(_users)}"
    dovecot.add_user(name, f"secret-{name}")
    return MailUser(dovecot, name, f"secret-{name}", tmp_path)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[HeaderCache]:
    c = HeaderCache(tmp_path / "headers.sqlite3")
    yield c
    c.close()


@pytest.fixture
def make_backend(mail_user: MailUser, cache: HeaderCache) -> Iterator[Callable[..., ImapBackend]]:
    made: list[ImapBackend] = []

    def make(**overrides: Any) -> ImapBackend:
        overrides.setdefault("cache", cache)
        backend = mail_user.backend(**overrides)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()
