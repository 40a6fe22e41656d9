"""Start the Textual app.  Imported lazily so that the CLI never loads textual."""

from __future__ import annotations

import importlib

from smimetui.core.cli.context import Context
from smimetui.core.errors import SmimeTuiError


def run_tui(ctx: Context, *, demo: bool, account: str | None) -> int:
    try:
        app_module = importlib.import_module("smimetui.tui.run")
    except ModuleNotFoundError as exc:
        raise SmimeTuiError(
            "The mail reader is not built yet; use the subcommands (smimetui --help).",
            title="Not available",
        ) from exc
    return int(app_module.run(ctx.home, demo=demo, account=account) or 0)
