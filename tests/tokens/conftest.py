"""Fixtures for the token tests: SoftHSM2 (a real PKCS#11 module) with its own configuration in
each test's tmp_path, and the PKCS#11 state of the process reset around every test."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from smimetui.core.pki.tokens import session
from smimetui.core.pki.tokens.registry import add_module
from smimetui.core.settings.home import Home

from .softhsm import MODULE, SoftHsm, make_softhsm, unavailable


@pytest.fixture
def softhsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftHsm]:
    reason = unavailable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the token tests", pytrace=False)
        pytest.skip(reason)
    hsm = make_softhsm(tmp_path / "softhsm")
    monkeypatch.setenv("SOFTHSM2_CONF", str(hsm.conf))
    # No desktop keyring: PINs come from files and prompts here, unless a test adds one.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    session.reset()  # the module reads SOFTHSM2_CONF at C_Initialize
    yield hsm
    session.reset()


@pytest.fixture
def card_home(home: Home, softhsm: SoftHsm) -> Home:
    """A home with the SoftHSM2 module registered as token ``card``."""
    add_module(home, "card", MODULE)
    return home


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests (the TUI test) in a fresh event loop."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True
