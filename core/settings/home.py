"""Where per-user state lives: one self-contained home directory.

``SMIMETUI_HOME`` (or ``--home``) selects a home that holds everything: config, keystore, trust
store, contacts, cache.  Without it the platformdirs/XDG locations are used, with config, data and
cache in their usual places.

Everything in a home is the user's alone: every folder 0700 and every file 0600, whatever the
umask.  Folders are made one level at a time (``mkdir(parents=True, mode=...)`` gives the mode to
the last one only), files are created 0600 before anything is written to them, and
:meth:`Home.secure` puts right the modes of a home that already exists (run when one is opened).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "smimetui"
ENV_HOME = "SMIMETUI_HOME"
DIR_MODE = 0o700
FILE_MODE = 0o600
# Mail stores and the message cache can hold 100k files: their folders are made private, the
# files inside are created 0600 by their writers, and opening a home does not walk them.
_NOT_WALKED = ("Mail", "messages")
# What smimetui keeps at the top of a home; anything else there (a --home pointed at a folder
# with other things in it) is not ours to change.
_OURS = (
    "config.toml",
    "demo.json",
    "keystore",
    "trust",
    "cache",
    "demo",
    "offered-roots",
    *_NOT_WALKED,
)
_OURS_PREFIXES = ("contacts.sqlite3", "headers.sqlite3")  # with their -wal, -shm, -journal


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600 if it does not exist (so that SQLite and other writers
    never create it with the umask's mode), or make an existing one 0600; return it."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    _chmod(path, FILE_MODE)
    return path


def _chmod(path: Path, mode: int) -> None:
    with contextlib.suppress(OSError):  # not ours to change (another owner): leave it
        if stat.S_IMODE(path.lstat().st_mode) != mode:
            os.chmod(path, mode)


def _walk(root: Path, *, top: bool = False) -> Iterator[tuple[Path, bool]]:
    """(path, is_dir) for ``root`` and everything below it, links not followed; at the ``top``
    of a home only what smimetui keeps there."""
    yield root, True
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink():
            continue
        if top and entry.name not in _OURS and not entry.name.startswith(_OURS_PREFIXES):
            continue
        if entry.is_dir():
            if entry.name in _NOT_WALKED:
                yield Path(entry.path), True
            else:
                yield from _walk(Path(entry.path))
        elif entry.is_file():
            yield Path(entry.path), False


@dataclass(frozen=True, slots=True)
class Home:
    """Paths of one user's state.  Directories are created on first use, private to the user."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> Home:
        """A self-contained home rooted at ``root``."""
        base = Path(root).expanduser().absolute()
        return cls(config_dir=base, data_dir=base, cache_dir=base / "cache")

    @classmethod
    def default(cls) -> Home:
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME)),
        )

    @classmethod
    def resolve(cls, explicit: str | os.PathLike[str] | None = None) -> Home:
        """``--home`` wins, then ``$SMIMETUI_HOME``, then the platform defaults."""
        if explicit:
            return cls.at(explicit)
        env = os.environ.get(ENV_HOME)
        if env:
            return cls.at(env)
        return cls.default()

    # -- well-known locations -------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def keystore_dir(self) -> Path:
        return self.data_dir / "keystore"

    @property
    def trust_dir(self) -> Path:
        return self.data_dir / "trust"

    @property
    def contacts_db(self) -> Path:
        return self.data_dir / "contacts.sqlite3"

    @property
    def cache_db(self) -> Path:
        return self.cache_dir / "headers.sqlite3"

    @property
    def message_cache_dir(self) -> Path:
        return self.cache_dir / "messages"

    @property
    def roots(self) -> tuple[Path, ...]:
        """The folders that belong to smimetui alone (one for a self-contained home)."""
        return tuple(dict.fromkeys((self.config_dir, self.data_dir, self.cache_dir)))

    def ensure(self, path: Path) -> Path:
        """Create directory ``path`` if needed, each missing folder 0700, and return it."""
        missing: list[Path] = []
        current = path
        while not current.exists() and current != current.parent:
            missing.append(current)
            current = current.parent
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):  # made meanwhile by another process
                folder.mkdir(mode=DIR_MODE)
            _chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
        if not path.is_dir():
            path.mkdir(mode=DIR_MODE)  # a file in the way: FileExistsError, as mkdir says
        if any(path == r or r in path.parents for r in self.roots):
            _chmod(path, DIR_MODE)
        return path

    def secure(self) -> None:
        """Make every folder of an existing home 0700 and every file 0600."""
        for root in self.roots:
            if not root.is_dir():
                continue
            for path, is_dir in _walk(root, top=True):
                _chmod(path, DIR_MODE if is_dir else FILE_MODE)
