"""Choose what to save (w): every attachment at once, or one of them."""

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

SAVE_ALL = "all"


class SaveAttachmentsScreen(ModalScreen[tuple[Attachment, ...] | None]):
    """Dismisses with the attachments to save, or None when cancelled."""

    BINDINGS = [
        Binding("escape,q", "cancel", "Cancel", tooltip="Save nothing", id="attachments-cancel")
    ]

    def __init__(self, attachments: tuple[Attachment, ...]) -> None:
        super().__init__(classes="dialog-screen")
        self.attachments = attachments

    def compose(self) -> ComposeResult:
        options = [Option(Content(f"Save all {len(self.attachments)} attachments"), id=SAVE_ALL)]
        options += [
            Option(Content(f"{a.filename} ({a.content_type}, {human_size(a.size)})"), id=str(i))
            for i, a in enumerate(self.attachments)
        ]
        with Vertical(classes="dialog", id="attachments-dialog"):
            yield Static("Save attachments", classes="dialog-title")
            yield OptionList(*options, id="attachments-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == SAVE_ALL:
            self.dismiss(self.attachments)
        else:
            self.dismiss((self.attachments[int(event.option.id or 0)],))

    def action_cancel(self) -> None:
        self.dismiss(None)
