"""Pilot helpers: build the app over a home, move to a message by subject, read the screen."""

from __future__ import annotations

import html
import re

from textual.pilot import Pilot

from smimetui.core.settings.home import Home
from smimetui.tui.app import SmimeTuiApp
from smimetui.tui.keys import UiSettings
from smimetui.tui.run import build_app
from smimetui.tui.widgets.message_list import MessageList

SIZE = (140, 44)


def make_app(home: Home, settings: UiSettings | None = None) -> SmimeTuiApp:
    app = build_app(home)
    assert isinstance(app, SmimeTuiApp)
    if settings is not None:
        app.settings = settings
    return app


async def settle(pilot: Pilot[object]) -> None:
    """Let timers fire and workers finish (twice: a result may start another worker)."""
    for _ in range(3):
        await pilot.pause(0.2)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_subject(pilot: Pilot[object], prefix: str) -> int:
    """Put the list cursor on the first message whose subject starts with ``prefix``."""
    await settle(pilot)
    lst = pilot.app.screen.query_one(MessageList)
    for position in range(len(lst.index)):
        if lst.index.summary(position).subject.startswith(prefix):
            lst.cursor = position
            await settle(pilot)
            return position
    raise AssertionError(f"no message with subject {prefix!r}")


def screen_text(app: SmimeTuiApp) -> str:
    """The visible screen as plain text (from the SVG export, entities decoded)."""
    svg = app.export_screenshot()
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(texts)).replace("\xa0", " ")


def widget_text(app: SmimeTuiApp, selector: str) -> str:
    """What a Static holds (unwrapped), for text longer than one screen line."""
    from textual.widgets import Static

    return "\n".join(str(w.content) for w in app.screen.query(selector) if isinstance(w, Static))
