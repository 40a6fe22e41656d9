"""The mailbox screen's keys: mail-reader habits, each with a tooltip and an id for remapping."""

from __future__ import annotations

from textual.binding import Binding, BindingType

from smimetui.tui.screens.mailbox_reading_keys import READING_BINDINGS

MAILBOX_BINDINGS: list[BindingType] = [
    Binding("q", "back", "Back/Quit", tooltip="Back to the list; quit from the list", id="quit"),
    # Second in the footer, so that it is still there at 80 columns.
    Binding("question_mark", "help", "Help", tooltip="All keys", id="help"),
    Binding("slash", "search", "Search", tooltip="Search this folder", id="search"),
    Binding(
        "n",
        "next_match",
        "Next match",
        tooltip="Next search match",
        id="search-next",
        show=False,
    ),
    Binding(
        "N",
        "previous_match",
        "Previous match",
        tooltip="Previous search match",
        id="search-previous",
        show=False,
    ),
    Binding("c", "compose", "Compose", tooltip="Write a new message", id="compose"),
    Binding("r", "reply", "Reply", tooltip="Reply to the sender", id="reply"),
    Binding("a", "reply_all", "Reply all", tooltip="Reply to everyone", id="reply-all"),
    Binding("f", "forward", "Forward", tooltip="Forward the message", id="forward"),
    Binding("d", "delete", "Delete", tooltip="Move to Trash", id="delete"),
    Binding(
        "F",
        "toggle_flag",
        "Flag",
        tooltip="Flag or unflag the highlighted message (* in the list)",
        id="toggle-flag",
        show=False,
    ),
    Binding(
        "M",
        "toggle_read",
        "Read/unread",
        tooltip="Mark the highlighted message read or unread",
        id="toggle-read",
        show=False,
    ),
    Binding("m", "move", "Move", tooltip="Move to another folder", id="move"),
    Binding(
        "s",
        "toggle_security",
        "Security",
        tooltip="Show or hide the security pane",
        id="security",
    ),
    Binding(
        "ctrl+k",
        "import_certificate",
        "Import cert",
        tooltip="Add the sender's certificate to your contacts",
        id="import-certificate",
    ),
    Binding(
        "v",
        "view_certificate",
        "Certificate",
        tooltip="Signer's certificate",
        id="view-certificate",
        show=False,
    ),
    Binding(
        "t",
        "trust_root",
        "Trust root",
        tooltip="Trust the chain's root CA",
        id="trust-root",
        show=False,
    ),
    Binding(
        "w",
        "save_attachments",
        "Save attachments",
        tooltip="Save one attachment or all of them",
        id="save-attachments",
        show=False,
    ),
    Binding(
        "T",
        "toggle_threads",
        "Threads",
        tooltip="Group replies into threads",
        id="threads",
        show=False,
    ),
    Binding(
        "C",
        "contacts",
        "Contacts",
        tooltip="Contacts and their certificates",
        id="contacts",
        show=False,
    ),
    Binding(
        "enter",
        "unlock",
        "Unlock",
        tooltip="Ask for the passphrase of the locked message again",
        id="unlock",
        show=False,
    ),
    Binding(
        "A",
        "switch_account",
        "Accounts",
        tooltip="Open another account",
        id="switch-account",
        show=False,
    ),
    Binding("tab", "app.focus_next", "Next pane", show=False, id="focus-next"),
]

MAILBOX_BINDINGS.extend(READING_BINDINGS)  # h, ctrl+u, o (issue 15)
