"""Fixtures every folder uses: a private smimetui home, the fixture PKI, a chain validator.

The PKI is generated once per session, relative to the real clock (tests/support/pki.py), so
tests never depend on a fixed date.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from smimetui.core.settings.home import Home
from tests.support.pki import FixturePKI, make_fixture_pki

if TYPE_CHECKING:
    from smimetui.core.pki.trust import ChainValidator


def pytest_configure(config: pytest.Config) -> None:
    # The IMAP fixtures' mark (tests/support/servers/imap.py), wherever a folder wires them in.
    config.addinivalue_line("markers", "servers(*kinds): run the test on each IMAP server named")


@pytest.fixture(scope="session")
def fixture_pki() -> FixturePKI:
    return make_fixture_pki()


@pytest.fixture(scope="session")
def pki_dir(fixture_pki: FixturePKI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixture PKI written as PEM files (for the openssl CLI); keys unencrypted."""
    directory = tmp_path_factory.mktemp("pki")
    paths = fixture_pki.write(directory)
    return paths


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Home]:
    """A fresh, self-contained smimetui home; $SMIMETUI_HOME points at it."""
    root = tmp_path / "home"
    root.mkdir()
    monkeypatch.setenv("SMIMETUI_HOME", str(root))
    yield Home.at(root)


@pytest.fixture
def validator(home: Home, fixture_pki: FixturePKI) -> ChainValidator:
    """The real chain validator with only the fixture root trusted (imported here: the trust
    module is not needed by most tests)."""
    from smimetui.core.pki.trust import ChainValidator, TrustStore

    store = TrustStore(home, use_system=False)
    store.add(fixture_pki.root.cert_pem)
    return ChainValidator(store)
