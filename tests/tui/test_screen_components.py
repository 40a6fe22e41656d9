"""The mailbox and compose screens are composed of components, not mixins (issue 16).

Each concern (search, reading, flags, moves, certificates, attachments; recipient
certificates, directory lookup, draft autosave) is a plain object the screen owns, with a
typed constructor; none is a base class of the screen, and none waits for a sibling to
override a stub that raises ``NotImplementedError``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual.dom import DOMNode
from textual.screen import Screen

import smimetui.tui
from smimetui.tui.screens.compose import ComposeScreen
from smimetui.tui.screens.compose_directory import DirectoryLookup
from smimetui.tui.screens.compose_drafts import DraftAutosave
from smimetui.tui.screens.compose_recipients import RecipientCertificates
from smimetui.tui.screens.mailbox import MailboxScreen
from smimetui.tui.screens.mailbox_attachments import AttachmentActions
from smimetui.tui.screens.mailbox_badges import RowBadges
from smimetui.tui.screens.mailbox_certificates import SenderCertificates
from smimetui.tui.screens.mailbox_flags import ReadFlags
from smimetui.tui.screens.mailbox_folders import FolderView
from smimetui.tui.screens.mailbox_moves import MessageMoves
from smimetui.tui.screens.mailbox_reading import MessageReader
from smimetui.tui.screens.mailbox_search import FolderSearch

TUI = Path(smimetui.tui.__file__).parent
COMPONENTS = (
    FolderView,
    RowBadges,
    MessageReader,
    FolderSearch,
    ReadFlags,
    MessageMoves,
    SenderCertificates,
    AttachmentActions,
    RecipientCertificates,
    DirectoryLookup,
    DraftAutosave,
)


def _raises_not_implemented(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
    return False


def test_no_stub_waits_for_an_override() -> None:
    stubs = [p.relative_to(TUI) for p in sorted(TUI.rglob("*.py")) if _raises_not_implemented(p)]
    assert stubs == []


@pytest.mark.parametrize("screen", [MailboxScreen, ComposeScreen])
def test_screen_has_no_mixins(screen: type[Screen[None]]) -> None:
    assert screen.__bases__ == (Screen,)


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_component_is_a_plain_object_given_what_it_needs(component: type) -> None:
    assert component.__bases__ == (object,)
    assert not issubclass(component, DOMNode)
    # A typed constructor: the screen hands over what the component needs, and nothing else.
    hints = component.__init__.__annotations__
    assert hints.get("screen") == "Screen[None]" and hints.get("return") == "None"
