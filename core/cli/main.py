"""The ``smimetui`` command: the TUI without a subcommand, scriptable subcommands beside it.

Each subcommand group lives in its own module with ``register(subparsers)``; handlers take the
parsed arguments and a :class:`Context` and return an exit code.  Every :class:`SmimeTuiError`
becomes one line on stderr and exit status 2; no traceback ever reaches a user.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from smimetui.core.cli.context import Context
from smimetui.core.errors import SmimeTuiError

# Subcommand modules, in the order they appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "inspect",
    "id",
    "trust",
    "contacts",
    "sign",
    "send",
    "account",
    "mail",
    "directory",
    "import",
)


def installed_version() -> str:
    """The version of the installed distribution (what pip and pipx installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("smimetui")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smimetui",
        description="A terminal mail reader with S/MIME done right. "
        "Without a command, opens the mail reader.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {installed_version()}"
    )
    parser.add_argument("--home", metavar="DIR", help="use DIR for all state (or $SMIMETUI_HOME)")
    parser.add_argument(
        "--demo", action="store_true", help="open the demo: a generated home with sample mail"
    )
    parser.add_argument("--account", metavar="NAME", help="open this account in the mail reader")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"smimetui.core.cli.cmd_{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"smimetui.core.cli.cmd_{name}":
                raise
            continue  # not built yet
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = Context.from_args(args)
    try:
        if args.command is None:
            from smimetui.core.cli.launch import run_tui  # lazy: keeps textual out of the CLI

            return run_tui(ctx, demo=args.demo, account=args.account)
        return int(args.handler(args, ctx) or 0)
    except SmimeTuiError as err:
        print(f"smimetui: {err.one_line()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("smimetui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
