"""A read-only, scrollable text view: the raw source (ctrl+u), a text attachment, the report of
an encrypted attachment, a viewer's output.

The text was sanitised in core; a ``TextArea`` never parses markup, so a source full of
``[bold]`` or escape sequences shows as those characters.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea


class TextViewScreen(Screen[None]):
    """``title`` above ``text``; escape or q goes back to the message."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", tooltip="Back to the message", id="text-view-close"),
    ]
    DEFAULT_CSS = """
    TextViewScreen #text-view-title { padding: 0 1; background: $surface; height: auto; }
    TextViewScreen #text-view { height: 1fr; }
    """

    def __init__(self, title: str, text: str, *, view_id: str = "text-view-screen") -> None:
        super().__init__(id=view_id)
        self.view_title = title
        self.text = text

    def compose(self) -> ComposeResult:
        yield Static(Content(self.view_title), id="text-view-title")
        yield TextArea(
            self.text, read_only=True, soft_wrap=False, show_line_numbers=False, id="text-view"
        )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_close(self) -> None:
        self.dismiss(None)
