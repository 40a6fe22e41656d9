"""The secret prompt, asked for from a worker thread: a digital ID's passphrase when a private key
is needed, a smart card's PIN, or a mail server's password (with its own title) when no keyring
holds it."""

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

    def __init__(
        self,
        ident: str,
        attempt: int,
        hint: str = "",
        *,
        title: str = "Unlock digital ID",
        secret: str = "passphrase",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.ident = ident
        self.attempt = attempt
        self.hint = hint
        self.title_text = title
        self.secret = secret  # "passphrase" (a digital ID), "password" (a server), "PIN" (a token)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="passphrase-dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")
            # A password or a PIN comes with its whole question ("PIN for token card, ...").
            question = self.ident if self.secret != "passphrase" else f"Passphrase for {self.ident}"
            yield Static(Content(question), classes="dialog-question")
            if self.attempt > 1:
                yield Static(f"✗ Wrong {self.secret}, try again.", classes="dialog-error")
            if self.hint:
                yield Static(Content(self.hint), classes="dialog-details")
            yield Input(password=True, id="passphrase-input", placeholder=self.secret)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
