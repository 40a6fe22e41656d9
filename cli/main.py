"""The ``smimetui`` command: the TUI without a subcommand, scriptable subcommands beside it.

Each subcommand group lives in its own module with ``register(subparsers)``; handlers take the
parsed arguments and a :class:`Context` and return an exit code.  Only the module of the command
given is imported (ldap3, pyhanko and the rest load with the commands that need them), and none
for the mail reader; ``--help`` and a mistyped command import them all, to list them.  Every
:class:`SmimeTuiError` becomes one line on stderr and exit status 2; no traceback ever reaches a
user.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from smimetui.cli.context import Context
from smimetui.core.errors import SmimeTuiError

# Subcommand modules, in the order they appear in --help, with the commands each registers.
COMMANDS: dict[str, tuple[str, ...]] = {
    "inspect": ("inspect",),
    "id": ("id",),
    "trust": ("trust",),
    "contacts": ("contacts",),
    "sign": ("sign", "encrypt"),
    "send": ("send",),
    "account": ("account",),
    "mail": ("folders", "list", "show", "delete", "sync"),
    "directory": ("directory",),
    "import": ("import",),
    "token": ("token",),
}
COMMAND_MODULES: tuple[str, ...] = tuple(COMMANDS)


def installed_version() -> str:
    """The version of the installed distribution (what pip and pipx installed)."""
    # lazy: only --version needs it
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("smimetui")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


class _PrintVersion(argparse.Action):
    """``--version``: the installed version, looked up only when asked (start-up stays lean)."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kw: object) -> None:
        print(f"{parser.prog} {installed_version()}")
        parser.exit()


def _global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--version", action=_PrintVersion, nargs=0, help="print the installed version and exit"
    )
    parser.add_argument("--home", metavar="DIR", help="use DIR for all state (or $SMIMETUI_HOME)")
    parser.add_argument(
        "--demo", action="store_true", help="open the demo: a generated home with sample mail"
    )
    parser.add_argument("--account", metavar="NAME", help="open this account in the mail reader")


def modules_for(argv: Sequence[str]) -> tuple[str, ...]:
    """The subcommand modules ``argv`` needs: the chosen command's, none for the mail reader,
    all of them for ``--help`` and for a command that does not exist (to list them)."""
    pre = argparse.ArgumentParser(add_help=False)
    _global_options(pre)
    _known, rest = pre.parse_known_args(argv)
    command = next((word for word in rest if not word.startswith("-")), None)
    if command is None:
        return COMMAND_MODULES if {"-h", "--help"} & set(rest) else ()
    chosen = [module for module, names in COMMANDS.items() if command in names]
    return tuple(chosen) or COMMAND_MODULES


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smimetui",
        description="A terminal mail reader with S/MIME done right. "
        "Without a command, opens the mail reader.",
    )
    _global_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        try:
            module = importlib.import_module(f"smimetui.cli.cmd_{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"smimetui.cli.cmd_{name}":
                raise
            continue  # not built yet
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(modules_for(argv)).parse_args(argv)
    ctx = Context.from_args(args)
    try:
        if args.command is None:
            from smimetui.cli.launch import run_tui  # lazy: keeps textual out of the CLI

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
