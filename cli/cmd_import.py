"""``smimetui import thunderbird|gpgsm|neomutt``: moving in from another mail program.

Each source module reads its store with the other program's own tools; nothing is written until
every key is unlocked, and ``--dry-run`` writes nothing at all.  Keys are stored encrypted with a
passphrase the user gives (``--new-passphrase-file`` or a prompt); roots are offered with the
exact ``smimetui trust add`` command, never trusted.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smimetui.cli.context import Context
from smimetui.core.errors import InputError, KeyUnlockError
from smimetui.core.pki.passphrase import (
    MAX_PROMPTS,
    interactive,
    prompt_new_passphrase,
    read_passphrase_file,
)

if TYPE_CHECKING:  # the CLI starts without loading cryptography for every command
    from smimetui.core.migrate.inventory import FoundId, Inventory, UnlockedKey
    from smimetui.core.settings.home import Home

Opener = Callable[[str | None, "Home"], AbstractContextManager["Inventory"]]


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    title: str  # "Thunderbird"
    metavar: str
    help: str
    secret_help: str


SOURCES = (
    Source(
        "thunderbird",
        "Thunderbird",
        "PROFILE",
        "a Thunderbird profile folder (default: the default profile in ~/.thunderbird)",
        "file whose first line is the NSS primary password of the profile",
    ),
    Source(
        "gpgsm",
        "gpgsm",
        "GNUPGHOME",
        "a GnuPG home folder (default: $GNUPGHOME or ~/.gnupg)",
        "file whose first line is the passphrase of the gpgsm keys",
    ),
    Source(
        "neomutt",
        "NeoMutt",
        "FOLDER",
        "NeoMutt's smime_keys folder with keys/ and certificates/ (default: ~/.smime)",
        "file whose first line is the passphrase of the NeoMutt keys",
    ),
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "import",
        help="move in from Thunderbird, gpgsm or NeoMutt",
        description="Bring over digital IDs, contacts' certificates and CA certificates; roots "
        "are offered with the `smimetui trust add` command to run, never trusted.",
    )
    cmds = parser.add_subparsers(dest="import_source", metavar="SOURCE", required=True)
    for source in SOURCES:
        p = cmds.add_parser(source.name, help=f"import from {source.title}")
        p.add_argument("path", metavar=source.metavar, nargs="?", help=source.help)
        p.add_argument("--dry-run", action="store_true", help="show what would be imported")
        p.add_argument("--json", action="store_true", help="print the summary as JSON")
        p.add_argument("--passphrase-file", metavar="F", help=source.secret_help)
        p.add_argument(
            "--new-passphrase-file",
            metavar="F",
            help="protect the imported keys in your keystore with this passphrase",
        )
        p.add_argument("--yes", action="store_true", help="accept changed certificates")
        p.set_defaults(handler=cmd_import, source=source)


def _opener(name: str) -> Opener:
    module = importlib.import_module(f"smimetui.core.migrate.{name}")
    opener: Opener = module.open_store
    return opener


def _secrets(args: argparse.Namespace, accepted: list[bytes]) -> Iterator[bytes | None]:
    if args.passphrase_file:
        yield read_passphrase_file(args.passphrase_file)
    yield from accepted
    yield None


def _unlock(found: FoundId, args: argparse.Namespace, accepted: list[bytes]) -> UnlockedKey:
    """The key of ``found``: with the given secret, one that worked before, none, or asked."""
    last: KeyUnlockError | None = None  # a secret that was wrong says more than none at all
    for secret in _secrets(args, accepted):
        try:
            unlocked = found.unlock(secret)
        except KeyUnlockError as err:
            last = err if secret or last is None else last
            continue
        if secret and secret not in accepted:
            accepted.append(secret)
        return unlocked
    if interactive():
        for attempt in range(MAX_PROMPTS):
            answer = getpass.getpass(f"{found.secret_name[0].upper()}{found.secret_name[1:]}: ")
            try:
                unlocked = found.unlock(answer.encode("utf-8"))
            except KeyUnlockError as err:
                last = err
                if attempt + 1 < MAX_PROMPTS:
                    sys.stderr.write("That is wrong; try again.\n")
                continue
            accepted.append(answer.encode("utf-8"))
            return unlocked
    if last is not None and (args.passphrase_file or interactive()):
        raise last
    raise KeyUnlockError(
        f"{found.secret_name[0].upper()}{found.secret_name[1:]} is needed to import the "
        f"digital ID {found.label}; give it with --passphrase-file F or run smimetui in a "
        "terminal to be asked."
    )


def _unlock_all(
    inventory: Inventory, args: argparse.Namespace
) -> list[tuple[FoundId, UnlockedKey]]:
    """Every key, before anything is written; a wrong secret stops the import, a key the
    other program cannot hand over is left out with the reason in the summary."""
    accepted: list[bytes] = []
    keys = []
    for found in inventory.ids:
        try:
            keys.append((found, _unlock(found, args, accepted)))
        except InputError as err:
            inventory.skipped.append(
                f"The digital ID {found.label} was not imported: {err.one_line()}"
            )
    return keys


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    # lazy: only this command loads it (tests/test_startup.py)
    from smimetui.cli.import_summary import print_report
    from smimetui.core.migrate.report import build_report
    from smimetui.core.migrate.store import store_inventory

    source: Source = args.source
    explicit_home = getattr(args, "home", None)
    with _opener(source.name)(args.path, ctx.home) as inventory:
        if args.dry_run:
            report = build_report(ctx.home, inventory, stored=None, explicit_home=explicit_home)
            print_report(ctx, report, source.title, as_json=args.json)
            return 0
        keys = _unlock_all(inventory, args)
    passphrase = None
    if keys:
        passphrase = (
            read_passphrase_file(args.new_passphrase_file)
            if args.new_passphrase_file
            else prompt_new_passphrase(f"the digital IDs imported from {source.title}")
        )
    stored = store_inventory(ctx.home, inventory, keys, passphrase, confirm_changes=args.yes)
    report = build_report(ctx.home, inventory, stored=stored, explicit_home=explicit_home)
    print_report(ctx, report, source.title, as_json=args.json)
    return 0
