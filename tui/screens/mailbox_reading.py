"""Mailbox: full headers (h), the raw source (ctrl+u), opening an attachment (o).

A plain class mixed into the mailbox screen: Textual dispatches ``on_message_loaded`` through
the whole MRO, so the full headers come back after each new message without touching the
screen's own handler.  Opening runs the viewer in a thread worker; a viewer that needs the
terminal runs with the app suspended.  Only what the user picked is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import work
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from smimetui.core.read.report import Attachment, SecurityReport
from smimetui.tui import messages as m
from smimetui.tui.screens.source import TextViewScreen
from smimetui.tui.widgets.message_view import MessageBody

MAX_SHOWN_HEADERS = 500  # more are in the source view (ctrl+u)
_PKCS7 = ("application/pkcs7-mime", "application/x-pkcs7-mime")


@dataclass
class AttachmentShown(Message):
    """A worker has text to show for an attachment (a report, a viewer's output)."""

    title: str
    text: str


@dataclass
class ViewerNeedsTerminal(Message):
    """The mailcap entry wants the terminal: run it in the foreground, app suspended."""

    viewer: Any
    attachment: Attachment


@dataclass
class AttachmentOpened(Message):
    summary: str


def is_encrypted_attachment(att: Attachment) -> bool:
    return att.content_type in _PKCS7 or att.filename.lower().endswith(".p7m")


def attachment_text(att: Attachment) -> str:
    """A text/* attachment as text (HTML converted, links numbered), sanitised."""
    from smimetui.core.read.bodytext import html_with_links
    from smimetui.core.sanitize import clean_text

    text = att.data.decode("utf-8", "replace")
    if att.content_type == "text/html":
        text = html_with_links(text, 0)[0]
    return clean_text(text)


class ReadingActions:
    """Plain mixin for ``MailboxScreen`` (which provides query_one, app, notify, session)."""

    full_headers: bool = False
    report: SecurityReport | None
    raw: bytes

    # -- full headers -----------------------------------------------------------------------
    def action_toggle_headers(self) -> None:
        self.full_headers = not self.full_headers
        self._show_full_headers()
        self.notify(  # type: ignore[attr-defined]
            "All headers shown." if self.full_headers else "Usual headers only.", title="Headers"
        )

    def on_message_loaded(self, _message: m.MessageLoaded) -> None:
        if self.full_headers:
            self._show_full_headers()

    def _show_full_headers(self) -> None:
        from smimetui.core.read.rawview import header_lines

        body = self.query_one(MessageBody)  # type: ignore[attr-defined]
        for old in body.query(".full-headers"):
            old.remove()
        if not self.full_headers or not self.raw:
            return
        lines = header_lines(self.raw)
        if len(lines) > MAX_SHOWN_HEADERS:
            extra = len(lines) - MAX_SHOWN_HEADERS
            lines = lines[:MAX_SHOWN_HEADERS] + [f"… {extra} more lines: ctrl+u shows the source"]
        rows = [Content.assemble((ln.split(":", 1)[0], "bold"), ":" + ln.split(":", 1)[1])
                if ":" in ln else Content(ln) for ln in lines]  # fmt: skip
        block = Static(Content("\n").join(rows), classes="full-headers")
        body.mount(block, before=0 if body.children else None)
        body.scroll_home(animate=False)

    # -- source -----------------------------------------------------------------------------
    def action_view_source(self) -> None:
        if not self.raw:
            self.notify("Open a message first.", title="No message")  # type: ignore[attr-defined]
            return
        from smimetui.core.read.rawview import source_text

        subject = self.report.subject if self.report else ""
        title = f"Source of “{subject}” ({len(self.raw):,} bytes) · escape or q to go back"
        self.app.push_screen(TextViewScreen(title, source_text(self.raw), view_id="source-view"))  # type: ignore[attr-defined]

    # -- attachments ------------------------------------------------------------------------
    def action_open_attachment(self) -> None:
        report = self.report
        if report is None or not report.attachments:
            self.notify("This message has no attachments.", title="Nothing to open")  # type: ignore[attr-defined]
            return
        if len(report.attachments) == 1:
            self.open_chosen(report.attachments[0])
            return
        from smimetui.tui.screens.open_attachment import OpenAttachmentScreen

        def chosen(att: Attachment | None) -> None:
            if att is not None:
                self.open_chosen(att)

        self.app.push_screen(OpenAttachmentScreen(report.attachments), chosen)  # type: ignore[attr-defined]

    def open_chosen(self, att: Attachment) -> None:
        if att.content_type.startswith("text/"):
            title = f"{att.filename} ({att.content_type}) · escape or q to go back"
            self.app.push_screen(TextViewScreen(title, attachment_text(att)))  # type: ignore[attr-defined]
        elif is_encrypted_attachment(att):
            self.read_encrypted_attachment(att)
        else:
            self.open_with_viewer(att)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open", description="open")
    def read_encrypted_attachment(self, att: Attachment) -> None:
        from smimetui.tui.verdict import verdict_for

        report = self.session.inspect(att.data)  # type: ignore[attr-defined]
        verdict = verdict_for(report)
        lines = [f"{verdict.icon} {verdict.word}: {verdict.headline}"]
        lines += [f"• {p}" for p in report.problems]
        title = f"{att.filename}, opened through the read path · escape or q to go back"
        self.post_message(AttachmentShown(title, "\n".join(lines) + "\n\n" + report.text))  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, exit_on_error=False, group="open", description="open")
    def open_with_viewer(self, att: Attachment) -> None:
        from smimetui.core.read.mailcap import check_xdg_open, find_viewer, run_viewer

        viewer = find_viewer(att.content_type)
        check_xdg_open(viewer, att.filename)
        if viewer.needs_terminal:
            self.post_message(ViewerNeedsTerminal(viewer, att))  # type: ignore[attr-defined]
            return
        output = run_viewer(viewer, att.data, att.filename, att.content_type)
        if viewer.copious_output:
            title = f"{att.filename}, as {viewer.description} shows it · escape or q to go back"
            self.post_message(AttachmentShown(title, output))  # type: ignore[attr-defined]
        else:
            summary = f"{att.filename} was opened with {viewer.description}."
            self.post_message(AttachmentOpened(summary))  # type: ignore[attr-defined]

    def on_attachment_shown(self, message: AttachmentShown) -> None:
        from smimetui.core.sanitize import clean_text

        self.app.push_screen(TextViewScreen(message.title, clean_text(message.text)))  # type: ignore[attr-defined]

    def on_attachment_opened(self, message: AttachmentOpened) -> None:
        self.notify(message.summary, title="Opened", markup=False)  # type: ignore[attr-defined]

    def on_viewer_needs_terminal(self, message: ViewerNeedsTerminal) -> None:
        from smimetui.core.errors import SmimeTuiError
        from smimetui.core.read.mailcap import run_viewer

        att = message.attachment
        try:
            with self.app.suspend():  # type: ignore[attr-defined]
                run_viewer(message.viewer, att.data, att.filename, att.content_type)
        except SmimeTuiError as err:
            self.app.show_error(err)  # type: ignore[attr-defined]
        except Exception:  # no terminal to hand over (e.g. a web or headless session)
            self.notify(  # type: ignore[attr-defined]
                "This viewer needs the terminal, which cannot be handed over here.",
                title="Not opened",
                severity="error",
            )
