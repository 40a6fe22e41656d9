"""The token tests: SoftHSM2 (a real PKCS#11 module, tests/support/servers/softhsm.py) with its
own configuration in each test's tmp_path, and ``async def`` tests run in a fresh event loop."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from tests.support.servers.softhsm import card_home, softhsm  # noqa: F401 (fixtures)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests (the TUI test) in a fresh event loop."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True
