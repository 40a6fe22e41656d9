"""Fixtures for tests that read the real terminal: a demo home per test, the installed command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from smimetui.core.demo.home import ensure_demo_home
from smimetui.core.settings.home import Home


@pytest.fixture
def fresh_demo_home(tmp_path: Path) -> Path:
    root = tmp_path / "home"
    ensure_demo_home(Home.at(root))
    return root


@pytest.fixture(autouse=True)
def _needs_tmux() -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (tests/run.sh installs it)")
