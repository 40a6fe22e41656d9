"""Keys for reading like a power user (issue 15), kept apart from the mailbox's other keys."""

from __future__ import annotations

from textual.binding import Binding, BindingType

READING_BINDINGS: list[BindingType] = [
    Binding(
        "h",
        "toggle_headers",
        "Headers",
        tooltip="Show or hide every header",
        id="full-headers",
        show=False,
    ),
    Binding(
        "ctrl+u",
        "view_source",
        "Source",
        tooltip="The message as it arrived",
        id="view-source",
        show=False,
    ),
    Binding(
        "o",
        "open_attachment",
        "Open attachment",
        tooltip="Open an attachment (mailcap, xdg-open)",
        id="open-attachment",
        show=False,
    ),
]
