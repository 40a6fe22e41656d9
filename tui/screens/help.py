"""The help screen: every key of the screen below, with its binding id for remapping."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

INTRO = (
    "Keys of this screen. Remap any of them in config.toml, e.g.\n"
    '    [keys]\n    reply = "R"\n'
    "The security state always has an icon and a word:\n"
    "    ✓ verified   ! warning   ✗ invalid   ◆ encrypted   … signed, not checked yet"
)


def binding_rows(screen: Screen[object]) -> list[tuple[str, str, str, str]]:
    """(key, description, tooltip, id) for every binding active on ``screen``."""
    rows: list[tuple[str, str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        ident = binding.id or ""
        if (binding.action, ident) in seen and not ident:
            continue
        seen.add((binding.action, ident))
        display = screen.app.get_key_display(binding)
        rows.append((display or key, binding.description, binding.tooltip, ident))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", tooltip="Close help", id="help-close"),
        Binding("j", "move(1)", "Down", show=False, id="help-down"),
        Binding("k", "move(-1)", "Up", show=False, id="help-up"),
        Binding("g", "move(-1000)", "First", show=False, id="help-first"),
        Binding("G,end", "move(1000)", "Last", show=False, id="help-last"),
    ]

    def __init__(self, under: Screen[Any]) -> None:
        super().__init__(classes="dialog-screen")
        self.under = under

    def compose(self) -> ComposeResult:
        # The table scrolls itself (its cursor row is always in view); the intro stays on top.
        with Vertical(classes="dialog", id="help-dialog"):
            yield Static("Help", classes="dialog-title")
            yield Static(Content(INTRO), classes="dialog-details")
            table: DataTable[str] = DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            table.add_columns("Key", "Action", "What it does", "Binding id")
            for row in binding_rows(self.under):
                table.add_row(*row)
            yield table

    def action_move(self, rows: int) -> None:
        table: DataTable[str] = self.query_one("#help-keys", DataTable)
        table.move_cursor(row=max(0, min(table.cursor_row + rows, table.row_count - 1)))

    def action_close(self) -> None:
        self.dismiss(None)
