"""Fixtures of the adversarial suite: a trust store with the fixture root, keys, a listener."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smimetui.core.pki.keycandidates import StaticKeyCandidate
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read.inspect import InspectContext
from smimetui.core.settings.home import Home
from tests.support.pki import FixturePKI

from .helpers import Listener


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


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()
