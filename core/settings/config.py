"""The TOML config file in the home (``config.toml``): read with tomllib, written atomically.

Several parts of smimetui own a top-level table each (``accounts``, ``directories``, ...).  A
writer loads the whole document, changes only its own table and saves the rest untouched, so one
part never drops another's settings.  Secrets never go into this file.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from smimetui.core.errors import ConfigError
from smimetui.core.settings.home import Home


def load_config(home: Home) -> dict[str, Any]:
    """The whole config document, or an empty one when there is no file yet."""
    return read_toml(home.config_file)


def save_config(home: Home, data: dict[str, Any]) -> None:
    home.ensure(home.config_dir)
    write_toml(home.config_file, data)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise ConfigError(f"The config file {path} could not be read: {err.strerror}.") from err
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(f"The config file {path} is not UTF-8 text; fix or remove it.") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"The config file {path} is not valid TOML ({err}); fix it.") from err


def write_toml(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (temp file + rename), readable by the user only."""
    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError) as err:  # a programming error, but never a half-written file
        raise ConfigError(f"The settings could not be written as TOML: {err}.") from err
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"The config file {path} could not be written: {err.strerror}.") from err
