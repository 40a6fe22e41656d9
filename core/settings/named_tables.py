"""The ``[SECTION.NAME]`` tables of ``config.toml``: accounts and directories are kept alike.

Each entry is one table under its section, read and written one at a time: changing one entry
rewrites only that table, and every other table (and keys this version does not know) is kept.
The entry's own type builds itself from its table and back (``from_table`` / ``to_table``); this
module owns the section and says the same sentences for both kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from smimetui.core.errors import ConfigError
from smimetui.core.settings.config import load_config, save_config
from smimetui.core.settings.home import Home


class Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


@dataclass(frozen=True, slots=True)
class NamedTables(Generic[T]):
    section: str  # "accounts": the entries are [accounts.NAME]
    noun: str  # "account", as in "There is no account named ..."
    article: str  # "An" or "A", as in "An account named ... exists already"
    command: str  # "smimetui account", to name the command that removes one
    from_table: Callable[[str, dict[str, Any]], T]
    to_table: Callable[[T], dict[str, Any]]

    def tables(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The section of the parsed config; ConfigError when it is not a table."""
        table = doc.get(self.section, {})
        if not isinstance(table, dict):
            raise ConfigError(
                f"[{self.section}] in the config file must be a table of {self.section}."
            )
        return cast(dict[str, Any], table)

    def load(self, home: Home) -> list[T]:
        """Every entry, in file order."""
        return [self.from_table(n, t) for n, t in self.tables(load_config(home)).items()]

    def unknown(self, name: str, known: list[str]) -> ConfigError:
        listed = ", ".join(known) or "none"
        return ConfigError(
            f"There is no {self.noun} named {name!r}; the {self.section} are: {listed}."
        )

    def add(
        self,
        home: Home,
        entry: T,
        *,
        replace: bool = False,
        adjust_others: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Save ``entry`` (already validated); ``adjust_others`` may edit the section first."""
        doc = load_config(home)
        table = self.tables(doc)
        if entry.name in table and not replace:
            raise ConfigError(
                f"{self.article} {self.noun} named {entry.name!r} exists already; remove it first "
                f"({self.command} remove {entry.name})."
            )
        if adjust_others is not None:
            adjust_others(table)
        table[entry.name] = self.to_table(entry)
        doc[self.section] = table
        save_config(home, doc)

    def remove(self, home: Home, name: str) -> T:
        """Delete the entry's table and return what it was."""
        doc = load_config(home)
        table = self.tables(doc)
        if name not in table:
            raise self.unknown(name, list(table))
        removed = self.from_table(name, table.pop(name))
        doc[self.section] = table
        save_config(home, doc)
        return removed
