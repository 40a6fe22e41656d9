"""Mailbox component: the open message's attachments, opened (o) or saved (w).

Only what the user picked is opened: text in a view, an S/MIME attachment through the read
path, anything else with its mailcap viewer (or xdg-open) in a thread worker; a viewer that
needs the terminal runs with the app suspended.  The workers post the messages below, which the
screen hands back to ``shown``, ``opened`` and ``needs_terminal``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.message import Message
from textual.screen import Screen

from smimetui.core.read.mailcap import Viewer
from smimetui.core.read.report import Attachment
from smimetui.core.session.mail_session import MailSession
from smimetui.tui import messages as m
from smimetui.tui.app_services import mail_app
from smimetui.tui.screens.mailbox_state import MailboxState
from smimetui.tui.screens.source import TextViewScreen
from smimetui.tui.worker_errors import in_thread

_PKCS7 = ("application/pkcs7-mime", "application/x-pkcs7-mime")


@dataclass
class AttachmentShown(Message):
    """A worker has text to show for an attachment (a report, a viewer's output)."""

    title: str
    text: str


@dataclass
class ViewerNeedsTerminal(Message):
    """The mailcap entry wants the terminal: run it in the foreground, app suspended."""

    viewer: Viewer
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


class AttachmentActions:
    def __init__(self, screen: Screen[None], session: MailSession, state: MailboxState) -> None:
        self._screen = screen
        self._session = session
        self._state = state

    # -- saving (w) --------------------------------------------------------------------------
    def save(self) -> None:
        report = self._state.report
        if report is None or not report.attachments:
            return
        from smimetui.tui.screens.attachments import SaveAttachmentsScreen

        def chosen(items: tuple[Attachment, ...] | None) -> None:
            if items:
                work = partial(self._save, items)
                in_thread(self._screen, work, group="attachments", description="save")

        self._screen.app.push_screen(SaveAttachmentsScreen(report.attachments), chosen)

    def _save(self, attachments: tuple[Attachment, ...]) -> None:
        from smimetui.core.read.saving import save_all

        saved = save_all(attachments)  # one that fails: an error naming it, the rest saved
        self._screen.post_message(m.CertificateImported(saved.summary))

    # -- opening (o) -------------------------------------------------------------------------
    def open(self) -> None:
        report = self._state.report
        if report is None or not report.attachments:
            self._screen.notify("This message has no attachments.", title="Nothing to open")
            return
        if len(report.attachments) == 1:
            self.open_chosen(report.attachments[0])
            return
        from smimetui.tui.screens.open_attachment import OpenAttachmentScreen

        def chosen(att: Attachment | None) -> None:
            if att is not None:
                self.open_chosen(att)

        self._screen.app.push_screen(OpenAttachmentScreen(report.attachments), chosen)

    def open_chosen(self, att: Attachment) -> None:
        if att.content_type.startswith("text/"):
            title = f"{att.filename} ({att.content_type}) · escape or q to go back"
            self._screen.app.push_screen(TextViewScreen(title, attachment_text(att)))
            return
        work = partial(
            self._read_encrypted if is_encrypted_attachment(att) else self._open_with_viewer, att
        )
        in_thread(self._screen, work, group="open", description="open")

    def _read_encrypted(self, att: Attachment) -> None:
        from smimetui.tui.verdict import verdict_for

        report = self._session.inspect(att.data)
        verdict = verdict_for(report)
        lines = [f"{verdict.icon} {verdict.word}: {verdict.headline}"]
        lines += [f"• {p}" for p in report.problems]
        title = f"{att.filename}, opened through the read path · escape or q to go back"
        self._screen.post_message(AttachmentShown(title, "\n".join(lines) + "\n\n" + report.text))

    def _open_with_viewer(self, att: Attachment) -> None:
        from smimetui.core.read.mailcap import check_xdg_open, find_viewer, run_viewer

        viewer = find_viewer(att.content_type)
        check_xdg_open(viewer, att.filename)
        if viewer.needs_terminal:
            self._screen.post_message(ViewerNeedsTerminal(viewer, att))
            return
        output = run_viewer(viewer, att.data, att.filename, att.content_type)
        if viewer.copious_output:
            title = f"{att.filename}, as {viewer.description} shows it · escape or q to go back"
            self._screen.post_message(AttachmentShown(title, output))
        else:
            summary = f"{att.filename} was opened with {viewer.description}."
            self._screen.post_message(AttachmentOpened(summary))

    # -- worker results ----------------------------------------------------------------------
    def shown(self, message: AttachmentShown) -> None:
        from smimetui.core.sanitize import clean_text

        self._screen.app.push_screen(TextViewScreen(message.title, clean_text(message.text)))

    def opened(self, message: AttachmentOpened) -> None:
        self._screen.notify(message.summary, title="Opened", markup=False)

    def needs_terminal(self, message: ViewerNeedsTerminal) -> None:
        from smimetui.core.errors import SmimeTuiError
        from smimetui.core.read.mailcap import run_viewer

        att = message.attachment
        app = self._screen.app
        try:
            with app.suspend():
                run_viewer(message.viewer, att.data, att.filename, att.content_type)
        except SmimeTuiError as err:
            mail_app(self._screen).show_error(err)
        except Exception:  # no terminal to hand over (e.g. a web or headless session)
            self._screen.notify(
                "This viewer needs the terminal, which cannot be handed over here.",
                title="Not opened",
                severity="error",
            )
