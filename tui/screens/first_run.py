"""The first-run screen: no account yet, so say how to add one or try the demo."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

WELCOME = """Welcome to smimetui.

There is no mail account configured in {config}.

Add one from the command line, then start smimetui again:

    smimetui account add work --email you@example.org \\
        --imap-host imap.example.org --username you \\
        --smtp-host smtp.example.org

    smimetui account add local --email you@example.org --maildir ~/Mail

Import your digital ID (certificate and private key) with:

    smimetui id import you.p12

Or try everything without a server first:

    smimetui --demo
"""


class FirstRunScreen(Screen[None]):
    BINDINGS = [
        Binding("q,escape", "app.quit", "Quit", tooltip="Leave smimetui", id="first-run-quit")
    ]

    def __init__(self, config_path: str, problem: str = "") -> None:
        super().__init__()
        self.config_path = config_path
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical(id="first-run"):
            if self.problem:
                yield Static(Content(f"✗ {self.problem}"), classes="dialog-error")
            yield Static(Content(WELCOME.format(config=self.config_path)), id="welcome")
        yield Footer()
