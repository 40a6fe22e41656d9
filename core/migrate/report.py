"""The summary of an import (or of a dry run): what was, or would be, brought over.

One :class:`ImportReport` feeds both the text summary and ``--json``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from smimetui.core.migrate.inventory import Inventory, display_name, sha256
from smimetui.core.migrate.store import Stored, root_file
from smimetui.core.sanitize import clean_line
from smimetui.core.settings.home import Home


@dataclass(frozen=True, slots=True)
class RootLine:
    name: str
    sha256: str
    offered: bool
    why: str
    command: str | None  # the exact `smimetui trust add …` to run, for offered roots


@dataclass(frozen=True, slots=True)
class ImportReport:
    source: str
    location: str
    dry_run: bool
    ids: tuple[tuple[str, str], ...]  # (label, sha256)
    contacts: tuple[tuple[tuple[str, ...], str], ...]  # (addresses, sha256)
    chain_cas: tuple[tuple[str, str], ...]  # (name, sha256)
    roots: tuple[RootLine, ...]
    skipped: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "location": self.location,
            "dry_run": self.dry_run,
            "ids": [{"label": label, "sha256": sha} for label, sha in self.ids],
            "contacts": [{"addresses": list(a), "sha256": sha} for a, sha in self.contacts],
            "chain_cas": [{"name": name, "sha256": sha} for name, sha in self.chain_cas],
            "roots": [
                {
                    "name": r.name,
                    "sha256": r.sha256,
                    "offered": r.offered,
                    "trusted": False,
                    "why": r.why,
                    "command": r.command,
                }
                for r in self.roots
            ],
            "skipped": list(self.skipped),
        }


def trust_command(home: Home, path: str, explicit_home: str | None) -> str:
    prefix = f"smimetui --home {shlex.quote(explicit_home)} " if explicit_home else "smimetui "
    return f"{prefix}trust add {shlex.quote(path)}"


def build_report(
    home: Home,
    inventory: Inventory,
    *,
    stored: Stored | None,
    explicit_home: str | None = None,
) -> ImportReport:
    """The report of a dry run (``stored`` None) or of a finished import."""
    if stored is None:
        ids = tuple((f.label, sha256(f.cert)) for f in inventory.ids)
        contacts = tuple((c.addresses, sha256(c.cert)) for c in inventory.contacts)
        skipped = tuple(inventory.skipped)
    else:
        ids = tuple((i.label, i.id) for i in stored.ids)
        contacts = stored.contacts
        skipped = (*inventory.skipped, *stored.refused)
    roots = tuple(
        RootLine(
            clean_line(display_name(r.cert), max_length=200),
            sha256(r.cert),
            r.offered,
            r.why,
            trust_command(home, str(root_file(home, r.cert)), explicit_home) if r.offered else None,
        )
        for r in inventory.roots
    )
    return ImportReport(
        source=inventory.source,
        location=inventory.location,
        dry_run=stored is None,
        ids=ids,
        contacts=contacts,
        chain_cas=tuple(
            (clean_line(display_name(c), max_length=200), sha256(c)) for c in inventory.chain_cas
        ),
        roots=roots,
        skipped=skipped,
    )
