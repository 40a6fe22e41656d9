"""Choose which attachment to open (o)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from smimetui.core.read.report import Attachment
from smimetui.tui.widgets.message_view import human_size


class OpenAttachmentScreen(ModalScreen[Attachment | None]):
    BINDINGS = [Binding("escape,q", "cancel", "Cancel", tooltip="Open nothing", id="open-cancel")]

    def __init__(self, attachments: tuple[Attachment, ...]) -> None:
        super().__init__(classes="dialog-screen")
        self.attachments = attachments

    def compose(self) -> ComposeResult:
        options = [
            Option(Content(f"{a.filename} ({a.content_type}, {human_size(a.size)})"), id=str(i))
            for i, a in enumerate(self.attachments)
        ]
        with Vertical(classes="dialog", id="open-attachment-dialog"):
            yield Static("Open which attachment?", classes="dialog-title")
            yield OptionList(*options, id="open-attachment-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.attachments[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)
