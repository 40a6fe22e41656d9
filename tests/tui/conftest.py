"""Fixtures for the TUI tests: a demo home generated once per session, copied per test; SoftHSM2
for the token PIN dialog (tests/support/servers/softhsm.py)."""

from __future__ import annotations

import asyncio
import inspect
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from smimetui.core.demo.home import ensure_demo_home
from smimetui.core.settings.accounts import add_account, get_account
from smimetui.core.settings.home import Home
from tests.support.servers.softhsm import softhsm  # noqa: F401 (fixture)


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Passphrases come from the modal in these tests, never from a desktop keyring.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("SMIMETUI_DOWNLOADS", str(tmp_path / "downloads"))


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo-template")
    ensure_demo_home(Home.at(root))
    return root


@pytest.fixture
def demo_home(
    demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Home]:
    """A private copy of the demo home (its account points at the copy's Maildir)."""
    root = tmp_path / "demo"
    shutil.copytree(demo_template, root)
    home = Home.at(root)
    account = get_account(home, "demo")
    from dataclasses import replace

    add_account(home, replace(account, maildir=str(root / "Mail")), replace=True)
    monkeypatch.setenv("SMIMETUI_HOME", str(root))
    yield home


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests in a fresh event loop (no asyncio plugin is needed)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True
