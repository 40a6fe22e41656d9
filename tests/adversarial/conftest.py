"""Fixtures of the adversarial suite: a trust store with the fixture root, keys, a listener."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from smimetui.core.pki.keycandidates import StaticKeyCandidate
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read.inspect import InspectContext
from smimetui.core.settings.home import Home
from tests.conftest import FixturePKI


@pytest.fixture(scope="session")
def adv_trust(tmp_path_factory: pytest.TempPathFactory, fixture_pki: FixturePKI) -> TrustStore:
    store = TrustStore(Home.at(tmp_path_factory.mktemp("adv-home")), use_system=False)
    store.add(fixture_pki.root.cert_pem)
    return store


@pytest.fixture(scope="session")
def ctx(adv_trust: TrustStore, fixture_pki: FixturePKI) -> InspectContext:
    """Trusts the fixture root only; can decrypt for alice and bob."""
    keys = [
        StaticKeyCandidate(fixture_pki.alice.cert, fixture_pki.alice.key),
        StaticKeyCandidate(fixture_pki.bob.cert, fixture_pki.bob.key),
    ]
    return InspectContext(validator=ChainValidator(adv_trust), keys=keys)


@pytest.fixture
def cli_home(home: Home, fixture_pki: FixturePKI) -> Home:
    """A home ($SMIMETUI_HOME) that trusts the fixture root (and nothing from the system)."""
    TrustStore(home).add(fixture_pki.root.cert_pem)
    return home


class Listener:
    """A TCP server on 127.0.0.1 that counts every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
