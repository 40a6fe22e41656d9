"""Where per-user state lives: one self-contained home directory.

``SMIMETUI_HOME`` (or ``--home``) selects a home that holds everything: config, keystore, trust
store, contacts, cache.  Without it the platformdirs/XDG locations are used, with config, data and
cache in their usual places.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "smimetui"
ENV_HOME = "SMIMETUI_HOME"


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

    def ensure(self, path: Path) -> Path:
        """Create directory ``path`` (mode 0700) if needed and return it."""
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path
