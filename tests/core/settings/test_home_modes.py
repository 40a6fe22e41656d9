"""Local files are the user's alone: every folder of a home 0700, every file 0600 (issue 11.8).

The expectation is the XDG Base Directory rule (a missing base directory "should be created with
permission 0700") applied to everything smimetui stores, under the usual umask 022 that would
otherwise leave folders 0755 and files 0644.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.demo.home import ensure_demo_home
from smimetui.core.mail.imap.header_cache import HeaderCache
from smimetui.core.pki.contacts import Contacts
from smimetui.core.settings.home import Home


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _loose(root: Path) -> dict[str, str]:
    return {
        name: oct(mode)
        for name, mode in _modes(root).items()
        if mode != (0o700 if (root / name).is_dir() else 0o600)
    }


class TestNewHome:
    def test_everything_a_fresh_home_holds_is_private(self, tmp_path: Path) -> None:
        home = Home.at(tmp_path / "home")
        ensure_demo_home(home)  # config, keystore, trust store, contacts, Maildir, marker
        Contacts(home)
        HeaderCache(home.ensure(home.cache_dir) / "headers.sqlite3").close()
        home.ensure(home.message_cache_dir)
        assert (tmp_path / "home" / "contacts.sqlite3").exists()
        assert _loose(tmp_path / "home") == {}

    def test_every_missing_folder_is_made_0700(self, tmp_path: Path) -> None:
        base = tmp_path / "xdg"
        home = Home(base / "config" / "smimetui", base / "share" / "smimetui", base / "cache")
        home.ensure(home.keystore_dir)
        assert _loose(base) == {}


class TestExistingHome:
    def test_opening_a_home_fixes_loose_modes(self, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
        root = tmp_path / "old"
        home = Home.at(root)
        ensure_demo_home(home)
        Contacts(home)
        for path in [root, *root.rglob("*")]:
            if "Mail" not in path.parts:
                path.chmod(0o755 if path.is_dir() else 0o644)
        unrelated = root / "notes.txt"  # a --home with other things in it: not ours
        unrelated.write_text("mine")
        unrelated.chmod(0o644)
        assert main(["--home", str(root), "contacts", "list"]) == 0
        loose = _loose(root)
        assert loose == {"notes.txt": "0o644"}
