"""The command palette (ctrl+p): important actions as "group: Verb object"."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from smimetui.themes import THEMES


class _ThemedApp(Protocol):
    """What the palette needs of the app (SmimeTuiApp), which imports this module."""

    def use_theme(self, name: str) -> None: ...


# (command, screen action, help)
SCREEN_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("mail: Compose message", "compose", "Write a new message (c)"),
    ("mail: Reply to sender", "reply", "Reply to the open message (r)"),
    ("mail: Reply to all", "reply_all", "Reply to everyone on the open message (a)"),
    ("mail: Forward message", "forward", "Forward the open message (f)"),
    ("mail: Delete message", "delete", "Move the highlighted message to Trash (d)"),
    ("mail: Move message", "move", "Move the highlighted message to another folder (m)"),
    ("mail: Flag or unflag message", "toggle_flag", "Toggle the flag of the highlighted one (F)"),
    ("mail: Mark read or unread", "toggle_read", "Toggle read/unread of the highlighted one (M)"),
    ("mail: Search folder", "search", "Search this folder (/)"),
    ("mail: Next search match", "next_match", "Jump to the next match (n)"),
    ("mail: Previous search match", "previous_match", "Jump to the previous match (N)"),
    ("mail: Switch account", "switch_account", "Open another account (A)"),
    ("contacts: Show contacts", "contacts", "Contacts, certificates and their sources (C)"),
    ("message: Save attachments", "save_attachments", "Save one or all to Downloads (w)"),
    ("message: Open attachment", "open_attachment", "Text here, others with your viewer (o)"),
    ("message: View source", "view_source", "The message as it arrived (ctrl+u)"),
    ("message: Toggle all headers", "toggle_headers", "Every header of the message (h)"),
    ("security: Toggle security pane", "toggle_security", "Show or hide signature details (s)"),
    ("security: Import sender certificate", "import_certificate", "Add to contacts (ctrl+k)"),
    ("security: View signer certificate", "view_certificate", "Full certificate details (v)"),
    ("security: Trust root certificate", "trust_root", "Trust the chain's root, after asking (t)"),
    ("view: Toggle threads", "toggle_threads", "Group replies under their parent (T)"),
    ("help: Show keys", "help", "Every key and its binding id (?)"),
)


class SmimeCommands(Provider):
    """Screen actions that are available now (check_action), plus our themes."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = cast(_ThemedApp, self.app)
        screen = self.screen
        found: list[tuple[str, Callable[[], object], str]] = []
        for name, action, help_text in SCREEN_COMMANDS:
            check = getattr(screen, "check_action", None)
            if not hasattr(screen, f"action_{action}"):
                continue
            if check is not None and not check(action, ()):
                continue
            found.append((name, partial(screen.run_action, action), help_text))
        for theme in THEMES:
            label = theme.name.removeprefix("smimetui-")
            found.append(
                (f"view: Use {label} theme", partial(app.use_theme, theme.name), "Switch theme")
            )
        return found

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
