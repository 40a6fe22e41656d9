"""Markup and terminal escapes from mail render literally and do nothing (issue 6, terminal).

The demo's hostile message carries ``[bold]``, ``[@click=app.quit]``, ``[link=...]``, ESC/CSI,
OSC 52 and BEL in its subject, sender name, body and attachment filename.
"""

from __future__ import annotations

from smimetui.core.settings.home import Home
from smimetui.tui.screens.mailbox import MailboxScreen
from smimetui.tui.widgets.message_view import MessageBody, MessageHeaders

from .helpers import SIZE, make_app, open_subject, screen_text, settle, widget_text

MARKUP = "[bold]not bold[/bold] [@click=app.quit]click me[/]"


async def test_hostile_text_is_literal_and_inert(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await open_subject(pilot, "Hostile text shown literally")
        headers = widget_text(app, "#message-headers")
        body = widget_text(app, ".body-text")
        attachments = widget_text(app, "#attachments")
        for text in (headers, body):
            assert MARKUP in text  # shown as typed, brackets and all
            assert "[link=https://x.example]x[/link]" in text
        assert "[red]Admin[/red]" in headers
        assert "[b]evil[_b]" in attachments  # literal; "/" made safe by clean_filename
        everything = headers + body + attachments + screen_text(app)
        for control in ("\x1b", "\x07", "\x9b", "\x9d"):
            assert control not in everything
        assert "<U+202E>" in body  # the bidi override is shown, not obeyed
        # Nothing became a style or an action: no span in the rendered content has a style
        # or a @click meta that we did not put there ourselves.
        for widget in (*app.screen.query(MessageHeaders), *app.screen.query(".body-text")):
            for span in widget.content.spans:  # type: ignore[attr-defined]
                assert "click" not in str(span.style) and "link" not in str(span.style)
        # Clicking on the "[@click=app.quit]" text does not quit.
        await pilot.click(MessageHeaders, offset=(20, 5))
        await pilot.click(MessageBody, offset=(30, 0))
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, MailboxScreen)


async def test_list_row_renders_literally(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Hostile text shown literally: [bold]not bold[/bold]" in text
        assert "[red]Admin[/red]" in text
        assert "\x1b" not in text


async def test_body_cannot_forge_the_status_bar(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await open_subject(pilot, "Not signed, but the body imitates")
        status = widget_text(app, "SecurityStatus")
        assert status.startswith("· Unsigned: Not signed, not encrypted.")
        body = app.screen.query_one(MessageBody)
        status_widget = app.screen.query_one("SecurityStatus")
        # Outside the body's scroll area: not one of its children, so it never scrolls with it
        # and nothing mounted into the body can replace it.
        assert body not in status_widget.ancestors and status_widget not in body.walk_children()
        # The status bar is its own widget above the body: the body's region never covers it.
        assert status_widget.region.bottom <= body.region.y
        assert "✓ Verified: Signed by ceo@example.org" in widget_text(app, ".body-text")
