"""Textual takes CSS type names from the first base only: App and Screen defaults must apply.

A ``DOMNode`` mixin listed first once hid App's and Screen's default styles, and most text was
drawn in its own background colour (tests/terminal/test_contrast.py measures the result).
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from textual.app import App
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

MODULES = (
    "smimetui.tui.app",
    "smimetui.tui.screens.mailbox",
    "smimetui.tui.screens.compose",
    "smimetui.tui.screens.contacts",
    "smimetui.tui.screens.help",
    "smimetui.tui.screens.confirm",
    "smimetui.tui.screens.passphrase",
    "smimetui.tui.screens.move",
    "smimetui.tui.screens.attachments",
    "smimetui.tui.screens.certificate",
    "smimetui.tui.screens.first_run",
)


def _nodes() -> list[type[DOMNode]]:
    found: list[type[DOMNode]] = []
    for name in MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, (App, Screen)):
                found.append(cls)
    return found


@pytest.mark.parametrize("cls", _nodes(), ids=lambda c: c.__name__)
def test_textual_base_styles_apply(cls: type[DOMNode]) -> None:
    names = cls._css_type_names
    if issubclass(cls, App):
        assert "App" in names
    elif issubclass(cls, ModalScreen):
        assert "ModalScreen" in names and "Screen" in names
    else:
        assert "Screen" in names
