"""Choose a destination folder for ``m`` (move)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from smimetui.core.mail.base import Folder


class MoveScreen(ModalScreen[Folder | None]):
    BINDINGS = [Binding("escape,q", "cancel", "Cancel", tooltip="Do not move", id="move-cancel")]

    def __init__(self, folders: list[Folder]) -> None:
        super().__init__(classes="dialog-screen")
        self.folders = folders

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="move-dialog"):
            yield Static("Move to folder", classes="dialog-title")
            yield OptionList(
                *[Option(Content(f.display), id=str(i)) for i, f in enumerate(self.folders)],
                id="move-folders",
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.folders[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)
