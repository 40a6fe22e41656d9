"""Registered PKCS#11 modules: ``[tokens.NAME] module = "PATH"`` in config.toml.

A name stands for a module (OpenSC's opensc-pkcs11.so, p11-kit-proxy, a vendor's library), not
for one card: every token the module shows is looked at, so a card moved to another reader, or
inserted after smimetui started, is still found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smimetui.core.errors import ConfigError, InputError
from smimetui.core.settings.config import load_config, save_config
from smimetui.core.settings.home import Home

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


@dataclass(frozen=True, slots=True)
class TokenModule:
    name: str
    module: str  # path of the PKCS#11 shared library


def _table(data: dict[str, object]) -> dict[str, object]:
    table = data.get("tokens", {})
    if not isinstance(table, dict):
        raise ConfigError("The [tokens] table in config.toml is not a table; fix or remove it.")
    return table


def list_modules(home: Home) -> list[TokenModule]:
    found: list[TokenModule] = []
    for name, entry in sorted(_table(load_config(home)).items()):
        module = entry.get("module") if isinstance(entry, dict) else None
        if not isinstance(module, str) or not module:
            raise ConfigError(f"The token {name} in config.toml has no module path; fix it.")
        found.append(TokenModule(name, module))
    return found


def get_module(home: Home, name: str) -> TokenModule:
    for entry in list_modules(home):
        if entry.name == name:
            return entry
    raise ConfigError(
        f"There is no token named {name}; `smimetui token list` shows them, "
        "`smimetui token add NAME --module PATH` adds one."
    )


def add_module(home: Home, name: str, module: str) -> TokenModule:
    if not _NAME.match(name):
        raise InputError(
            f"The token name {name!r} is not allowed: use up to 40 letters, digits, '.', '_' "
            "or '-'."
        )
    path = Path(module).expanduser()
    if not path.is_file():
        raise InputError(f"The PKCS#11 module {module} does not exist (or is not a file).")
    data = load_config(home)
    table = _table(data)
    if name in table:
        raise InputError(f"A token named {name} is already registered; remove it first.")
    table[name] = {"module": str(path.resolve())}
    data["tokens"] = table
    save_config(home, data)
    return TokenModule(name, str(path.resolve()))


def remove_module(home: Home, name: str) -> None:
    data = load_config(home)
    table = _table(data)
    if name not in table:
        raise InputError(f"There is no token named {name} to remove.")
    del table[name]
    data["tokens"] = table
    save_config(home, data)
