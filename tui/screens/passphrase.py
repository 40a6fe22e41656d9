"""The passphrase prompt: a modal asked for from a worker thread when a private key is needed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PassphraseScreen(ModalScreen[str | None]):
    """Dismisses with the passphrase, or None when the user cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Do not unlock", id="passphrase-cancel")
    ]

    def __init__(self, ident: str, attempt: int, hint: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.ident = ident
        self.attempt = attempt
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="passphrase-dialog"):
            yield Static("Unlock digital ID", classes="dialog-title")
            yield Static(Content(f"Passphrase for {self.ident}"), classes="dialog-question")
            if self.attempt > 1:
                yield Static("✗ Wrong passphrase, try again.", classes="dialog-error")
            if self.hint:
                yield Static(Content(self.hint), classes="dialog-details")
            yield Input(password=True, id="passphrase-input", placeholder="passphrase")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
