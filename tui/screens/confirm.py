"""A yes/no question, with optional details (fingerprints) shown literally."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only on an explicit yes; escape and n mean no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", tooltip="Confirm", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", tooltip="Cancel", id="confirm-no"),
    ]

    def __init__(self, title: str, question: str, details: str = "", yes: str = "Yes") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.question = question
        self.details = details
        self.yes_label = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")
            yield Static(Content(self.question), classes="dialog-question")
            if self.details:
                yield Static(Content(self.details), classes="dialog-details")
            with Horizontal(classes="dialog-buttons"):
                yield Button(Content(f"{self.yes_label} (y)"), id="yes", variant="primary")
                yield Button(Content("Cancel (n)"), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
