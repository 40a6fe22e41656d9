"""Start the Textual app.  Imported lazily so that the CLI never loads textual.

Importing and starting Textual takes a few tenths of a second, so a one-line splash goes to the
terminal first (only on a terminal) and is wiped when the app ends, whatever way it ends.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable

from smimetui.cli.context import Context
from smimetui.core.errors import SmimeTuiError

SPLASH = "smimetui: opening the mail reader..."


def splash() -> Callable[[], None]:
    """Show the splash line now; returns the function that wipes it."""
    out = sys.stdout
    if not out.isatty() or os.environ.get("TERM", "dumb") == "dumb":
        return lambda: None
    out.write(SPLASH)
    out.flush()

    def wipe() -> None:
        out.write("\r\x1b[2K")  # back to the line's start, clear it: the shell prompt goes here
        out.flush()

    return wipe


def run_tui(ctx: Context, *, demo: bool, account: str | None) -> int:
    wipe = splash()
    try:
        try:
            app_module = importlib.import_module("smimetui.tui.run")
        except ModuleNotFoundError as exc:
            raise SmimeTuiError(
                "The mail reader is not built yet; use the subcommands (smimetui --help).",
                title="Not available",
            ) from exc
        return int(app_module.run(ctx.home, demo=demo, account=account) or 0)
    finally:
        wipe()
