"""Mailbox component: loading the open message and showing it, with its security pane, its
full headers (h) and its source (ctrl+u); a stored draft opens in the compose screen.

Loading runs in a thread worker (``MessageLoaded``); reading a good signed message from a known
contact teaches their capabilities, the one write that reading does.
"""

from __future__ import annotations

from functools import partial

from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from smimetui.core.errors import KeyUnlockError, SmimeTuiError
from smimetui.core.read.harvest import learn_from_message, signer_record
from smimetui.core.read.report import EncryptionStatus
from smimetui.core.session.mail_session import MailSession
from smimetui.tui import messages as m
from smimetui.tui.screens.mailbox_state import MailboxState
from smimetui.tui.screens.source import TextViewScreen
from smimetui.tui.widgets.message_view import MessageBody, MessageView
from smimetui.tui.widgets.security_pane import SecurityPane
from smimetui.tui.worker_errors import in_thread

MAX_SHOWN_HEADERS = 500  # more are in the source view (ctrl+u)


class MessageReader:
    def __init__(self, screen: Screen[None], session: MailSession, state: MailboxState) -> None:
        self._screen = screen
        self._session = session
        self._state = state
        self.full_headers = False

    # -- loading -----------------------------------------------------------------------------
    def load(self, folder: str, uid: int) -> None:
        work = partial(self._load, folder, uid)
        in_thread(self._screen, work, group="message", description="open message")

    def reload(self) -> None:
        """The open message again (a passphrase, a new contact or trust may change it)."""
        if self._state.folder and self._state.report_uid is not None:
            self.load(self._state.folder, self._state.report_uid)

    def open_draft(self, folder: str, uid: int) -> None:
        """Read a stored draft back (decrypting it asks for the passphrase) to edit it."""
        work = partial(self._open_draft, folder, uid)
        in_thread(self._screen, work, group="message", description="draft")

    def _load(self, folder: str, uid: int) -> None:
        raw, report = self._session.open_message(folder, uid)
        home = self._session.home
        try:
            # Reading a good signed message from a known contact teaches their capabilities
            # and encryption preference (RFC 8551 §2.5): the one explicit call that writes.
            learnt = learn_from_message(home, report)
            signer = signer_record(home, report, learnt=learnt)
        except SmimeTuiError:  # a damaged address book must not hide the message
            signer = None
        self._screen.post_message(m.MessageLoaded(folder, uid, raw, report, signer))

    def _open_draft(self, folder: str, uid: int) -> None:
        _raw, report = self._session.open_message(folder, uid)
        enc = report.encryption
        if enc is not None and enc.status is not EncryptionStatus.DECRYPTED:
            # An empty form saved again would replace (destroy) the draft: do not open it.
            why = (
                "your digital ID stayed locked; press Enter on it again to be asked for the "
                "passphrase"
                if enc.status is EncryptionStatus.LOCKED
                else (enc.problems[0].rstrip(".") if enc.problems else "it cannot be decrypted")
            )
            raise KeyUnlockError(f"The draft was not opened: {why}.", title="Draft locked")
        self._screen.post_message(m.DraftOpened(folder, uid, report))

    # -- showing -----------------------------------------------------------------------------
    def loaded(self, message: m.MessageLoaded) -> bool:
        """Show a loaded message; False when it belongs to a folder no longer open."""
        if message.folder != self._state.folder:
            return False
        self._state.open_message(message.report, message.raw, message.uid)
        self._screen.query_one(MessageView).show(message.report)
        self._screen.query_one(SecurityPane).show(message.report, message.signer)
        return True

    def toggle_headers(self) -> None:
        self.full_headers = not self.full_headers
        self.show_full_headers()
        self._screen.notify(
            "All headers shown." if self.full_headers else "Usual headers only.", title="Headers"
        )

    def show_full_headers(self) -> None:
        from smimetui.core.read.rawview import header_lines

        body = self._screen.query_one(MessageBody)
        for old in body.query(".full-headers"):
            old.remove()
        raw = self._state.raw
        if not self.full_headers or not raw:
            return
        lines = header_lines(raw)
        if len(lines) > MAX_SHOWN_HEADERS:
            extra = len(lines) - MAX_SHOWN_HEADERS
            lines = lines[:MAX_SHOWN_HEADERS] + [f"… {extra} more lines: ctrl+u shows the source"]
        rows = [Content.assemble((ln.split(":", 1)[0], "bold"), ":" + ln.split(":", 1)[1])
                if ":" in ln else Content(ln) for ln in lines]  # fmt: skip
        block = Static(Content("\n").join(rows), classes="full-headers")
        body.mount(block, before=0 if body.children else None)
        body.scroll_home(animate=False)

    def view_source(self) -> None:
        raw = self._state.raw
        if not raw:
            self._screen.notify("Open a message first.", title="No message")
            return
        from smimetui.core.read.rawview import source_text

        report = self._state.report
        subject = report.subject if report else ""
        title = f"Source of “{subject}” ({len(raw):,} bytes) · escape or q to go back"
        view = TextViewScreen(title, source_text(raw), view_id="source-view")
        self._screen.app.push_screen(view)
