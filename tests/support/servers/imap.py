"""IMAP server fixtures: one real Dovecot, Cyrus and Courier per session; a fresh mail user per
test; a second, independent client to check what the server holds.

A folder's conftest.py wires them in (``from tests.support.servers.imap import ...``), with
``pytest_generate_tests`` where its tests use the ``servers`` mark.

``mail_user`` is on the server named by ``server_kind``: Dovecot unless the test (or its class or
module) is marked ``@pytest.mark.servers("dovecot", "cyrus", "courier")``, which runs it once per
server.  Cyrus and Courier skip, with the reason, only where their unpacked binaries are absent
(tests/support/servers/fetch.sh puts them there; CI runs it)."""

from __future__ import annotations

import itertools
import os
import random
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import imapclient
import pytest

from smimetui.core.mail.imap.backend import ImapBackend
from smimetui.core.mail.imap.header_cache import HeaderCache
from tests.support.messages import make_message

from . import courier, cyrus
from .common import SPECIAL_MAILBOXES
from .dovecot import DOVECOT, Dovecot

_users = itertools.count(1)
SERVERS = ("dovecot", "cyrus", "courier")


class ImapServer(Protocol):
    """What the tests use of a server fixture (Dovecot, Cyrus, Courier)."""

    kind: str
    prefix: str  # personal folders' prefix: "INBOX." on Courier
    delimiter: str
    qresync: bool
    imap_port: int

    def folder(self, name: str) -> str: ...

    def add_user(self, user: str, password: str) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def restart(self) -> None: ...


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server_kind" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("servers")
    kinds = marker.args if marker is not None else ("dovecot",)
    metafunc.parametrize("server_kind", kinds, scope="session")


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not shutil.which(DOVECOT) and not Path(DOVECOT).exists():
        pytest.skip("dovecot-imapd is not installed (tests/run.sh installs it)")
    server = Dovecot.create()
    server.start()
    yield server
    server.destroy()


def _unavailable(reason: str | None) -> None:
    """Skip where a server's binaries are absent; in CI (which fetches them) fail instead."""
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the backend tests on every server", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def cyrus_server() -> Iterator[cyrus.Cyrus]:
    _unavailable(cyrus.unavailable())
    server = cyrus.Cyrus.create()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def courier_server() -> Iterator[courier.Courier]:
    _unavailable(courier.unavailable())
    server = courier.Courier.create()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def server_kind() -> str:
    """Dovecot, unless pytest_generate_tests parametrises it from a ``servers`` mark."""
    return "dovecot"


@pytest.fixture
def server(server_kind: str, request: pytest.FixtureRequest) -> ImapServer:
    """This test's server (function scope, so that it always follows ``server_kind``; the
    servers themselves are session fixtures)."""
    name = "dovecot" if server_kind == "dovecot" else f"{server_kind}_server"
    found: ImapServer = request.getfixturevalue(name)
    return found


@dataclass
class MailUser:
    server: Any  # an ImapServer; Dovecot-only tests also use its TLS ports and CA
    name: str
    password: str
    tmp: Path

    def box(self, name: str) -> str:
        """The server's name of a personal folder: ``Archive``, or ``INBOX.Archive`` on Courier."""
        return str(self.server.folder(name))

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
def mail_user(server: ImapServer, tmp_path: Path) -> MailUser:
    name = f"user{next(_users)}"
    server.add_user(name, f"secret-{name}")
    return MailUser(server, name, f"secret-{name}", tmp_path)


@pytest.fixture
def user_without_trash(server: ImapServer, tmp_path: Path) -> MailUser:
    """A user with every special folder but Trash (Cyrus and Courier only: Dovecot's test
    configuration creates Trash by itself, and Courier refuses to delete its Trash)."""
    if server.kind == "dovecot":
        pytest.skip("Dovecot's test configuration creates Trash by itself (auto = subscribe)")
    name = f"user{next(_users)}"
    folders = [f for f in SPECIAL_MAILBOXES if f != "Trash"]
    server.add_user(name, f"secret-{name}", folders)  # type: ignore[call-arg]
    return MailUser(server, name, f"secret-{name}", tmp_path)


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


def other_client(user: MailUser) -> imapclient.IMAPClient:
    """A second, independent client (plain imapclient), like another mail program."""
    client = imapclient.IMAPClient("127.0.0.1", port=user.server.imap_port, ssl=False)
    client.login(user.name, user.password)
    return client


def fill(backend: ImapBackend, count: int, folder: str = "INBOX", seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    messages = [make_message(rng, i) for i in range(count)]
    for raw in messages:
        backend.append(folder, raw)
    return messages


def server_flags(user: MailUser, folder: str = "INBOX") -> dict[int, frozenset[str]]:
    client = other_client(user)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search()  # imapclient 4.1 cannot fetch "1:*"
        data = client.fetch(uids, ["FLAGS"]) if uids else {}
        return {
            uid: frozenset(f.decode() for f in d[b"FLAGS"] if f != b"\\Recent")
            for uid, d in data.items()
        }
    finally:
        client.logout()
