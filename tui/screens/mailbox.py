"""The mailbox: folder tree, message list, message pane and the security pane (``s``).

The screen owns the widgets and wires components that each own one concern: ``FolderView``
(which folder the list shows, syncing it), ``RowBadges`` (each row's verdict), ``MessageReader``
(the open message, its headers and source), ``FolderSearch`` (``/``, ``n``, ``N``),
``ReadFlags`` (Seen, Flagged), ``MessageMoves`` (delete, move), ``SenderCertificates`` (view,
import, trust the root) and ``AttachmentActions`` (open, save).  They share one
``MailboxState``.  Their blocking calls run in thread workers of this screen and report back
with a message from ``tui/messages.py``; the handlers here hand each message to its component.
Worker errors end in the app's one error path (``worker_errors.show_worker_error``).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, ProgressBar, Static, Tree
from textual.worker import Worker

from smimetui.core.mail.base import Folder
from smimetui.core.read.report import SecurityReport
from smimetui.core.session.mail_session import MailSession
from smimetui.tui import messages as m
from smimetui.tui.app_services import mail_app
from smimetui.tui.screens.help import HelpScreen
from smimetui.tui.screens.mailbox_attachments import (
    AttachmentActions,
    AttachmentOpened,
    AttachmentShown,
    ViewerNeedsTerminal,
)
from smimetui.tui.screens.mailbox_badges import RowBadges
from smimetui.tui.screens.mailbox_certificates import SenderCertificates
from smimetui.tui.screens.mailbox_flags import ReadFlags
from smimetui.tui.screens.mailbox_folders import FolderView
from smimetui.tui.screens.mailbox_keys import MAILBOX_BINDINGS
from smimetui.tui.screens.mailbox_moves import MessageMoves
from smimetui.tui.screens.mailbox_reading import MessageReader
from smimetui.tui.screens.mailbox_search import FolderSearch
from smimetui.tui.screens.mailbox_state import MailboxState
from smimetui.tui.verdict import Level, is_locked, verdict_for
from smimetui.tui.widgets.folder_tree import FolderTree
from smimetui.tui.widgets.message_list import MessageList
from smimetui.tui.widgets.message_view import MessageView
from smimetui.tui.widgets.security_pane import SecurityPane
from smimetui.tui.worker_errors import show_worker_error

# Actions that need an open message.
_NEEDS_MESSAGE = {"reply", "reply_all", "forward", "view_certificate", "save_attachments"}
_NEEDS_MESSAGE |= {"open_attachment", "view_source"}  # issue 15
_NEEDS_ROW = {"delete", "move", "toggle_flag", "toggle_read"}
LOAD_DELAY = 0.12  # seconds the cursor rests on a row before its message loads


class MailboxScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = MAILBOX_BINDINGS
    # Below 110 columns the security pane would squeeze the list and the message to nothing.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(
        self,
        session: MailSession,
        *,
        threading: bool = False,
        mark_read_after: float | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.state = MailboxState()
        self._load_timer: Timer | None = None
        state = self.state
        self.badges = RowBadges(self, session, state)
        self.flags = ReadFlags(self, session, state, mark_read_after)
        self.search = FolderSearch(self, session, state)
        self.folders = FolderView(
            self,
            session,
            state,
            badges=self.badges,
            folder_shown=self.flags.folder_shown,
            opened=self.search.clear,
            threading=threading,
        )
        self.reader = MessageReader(self, session, state)
        self.moves = MessageMoves(self, session, state, self.folders)
        self.certificates = SenderCertificates(
            self, session, state, reader=self.reader, badges=self.badges
        )
        self.attachments = AttachmentActions(self, session, state)

    # What tests and the app read (the folder below a closed compose screen reloads).
    @property
    def folder(self) -> str | None:
        return self.state.folder

    @property
    def report(self) -> SecurityReport | None:
        return self.state.report

    @property
    def raw(self) -> bytes:
        return self.state.raw

    @property
    def report_uid(self) -> int | None:
        return self.state.report_uid

    @property
    def matches(self) -> list[int]:
        return self.search.matches

    @property
    def verdict_level(self) -> Level | None:
        return verdict_for(self.state.report).level if self.state.report else None

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield FolderTree(id="folders")
            with Vertical(id="reading"):
                yield MessageList(id="message-list")
                yield Input(id="search-input", placeholder="Search this folder, enter to run")
                yield MessageView(id="message-view")
            yield SecurityPane(id="security-pane")
        with Horizontal(id="progress"):
            yield Static(id="progress-text")
            yield ProgressBar(id="progress-bar", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#security-pane").display = False
        self.query_one("#search-input").display = False
        self.query_one("#progress").display = False
        self.query_one(MessageView).show_pending("No message selected.")
        self.query_one(MessageList).focus()
        self.folders.start_with_inbox()  # INBOX first; the folder list comes after its rows

    def _open(self, folder: str) -> None:
        self.folders.open(folder)

    # -- worker results, each to the component that owns it ------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        show_worker_error(self, event)
        self.folders.worker_ended(event)

    def on_folders_loaded(self, message: m.FoldersLoaded) -> None:
        self.folders.folders_loaded(message)

    def on_folder_filling(self, message: m.FolderFilling) -> None:
        self.folders.filling(message)

    def on_folder_progressed(self, message: m.FolderProgressed) -> None:
        self.folders.progressed(message)

    def on_folder_opened(self, message: m.FolderOpened) -> None:
        self.folders.opened(message)

    def on_mail_changed(self, message: m.MailChanged) -> None:
        """IDLE saw a change: resync the folder, keeping the selected message selected."""
        if message.folder == self.state.folder:
            self.folders.reload(message.folder)
            self.folders.load_folders()

    def on_security_inspected(self, message: m.SecurityInspected) -> None:
        self.badges.inspected(message)

    def on_message_loaded(self, message: m.MessageLoaded) -> None:
        if self.reader.loaded(message):
            self.badges.show(message.uid, message.report)
            self.flags.preview_shown(message.uid)
            self.refresh_bindings()
        if self.reader.full_headers:
            self.reader.show_full_headers()

    def on_draft_opened(self, message: m.DraftOpened) -> None:
        if message.folder == self.state.folder:
            mail_app(self).open_draft(message.report, message.uid)

    def on_search_finished(self, message: m.SearchFinished) -> None:
        self.search.finished(message)

    def on_messages_moved(self, message: m.MessagesMoved) -> None:
        self.moves.moved(message)

    def on_certificate_imported(self, message: m.CertificateImported) -> None:
        self.certificates.imported(message)

    def on_root_trusted(self, message: m.RootTrusted) -> None:
        self.certificates.trusted(message)

    def on_attachment_shown(self, message: AttachmentShown) -> None:
        self.attachments.shown(message)

    def on_attachment_opened(self, message: AttachmentOpened) -> None:
        self.attachments.opened(message)

    def on_viewer_needs_terminal(self, message: ViewerNeedsTerminal) -> None:
        self.attachments.needs_terminal(message)

    # -- widget events -------------------------------------------------------------------------
    @on(Tree.NodeSelected, "#folders")
    def folder_selected(self, event: Tree.NodeSelected[Folder]) -> None:
        folder = event.node.data
        if folder is not None and folder.selectable:
            self.folders.open(folder.name)
            self.query_one(MessageList).focus()

    @on(Input.Submitted, "#search-input")
    def search_submitted(self, event: Input.Submitted) -> None:
        self.search.submitted(event)

    @on(MessageList.Highlighted)
    def row_highlighted(self, event: MessageList.Highlighted) -> None:
        if isinstance(event, MessageList.Selected):
            return  # Selected is a Highlighted too: row_selected loads it, once
        self.flags.row_moved(event.uid)
        if self._load_timer is not None:
            self._load_timer.stop()
        folder, uid = self.state.folder, event.uid
        if folder is not None and uid != self.state.report_uid:
            self._load_timer = self.set_timer(LOAD_DELAY, lambda: self.reader.load(folder, uid))
        self.badges.schedule()

    @on(MessageList.Selected)
    def row_selected(self, event: MessageList.Selected) -> None:
        if self._load_timer is not None:
            self._load_timer.stop()  # the preview's load would ask for a passphrase a second time
        folder, report = self.state.folder, self.state.report
        if folder is not None and self.folders.in_drafts():
            self.reader.open_draft(folder, event.uid)  # enter on a draft: go on writing it
            return
        again = report is not None and is_locked(report)  # asks for the passphrase
        self.flags.set_seen(event.uid, True)  # opened: read (a preview alone does not mark it)
        if folder is not None and (event.uid != self.state.report_uid or again):
            self.reader.load(folder, event.uid)
        self.query_one("#message-body").focus()

    # -- actions -------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        report = self.state.report
        if action in _NEEDS_MESSAGE and report is None:
            return None
        if action in ("save_attachments", "open_attachment") and not (
            report and report.attachments
        ):
            return None
        if action in ("next_match", "previous_match") and not self.search.matches:
            return None
        if action in _NEEDS_ROW and self.query_one(MessageList).current_uid is None:
            return None
        if action == "unlock":
            return True if (report and is_locked(report)) else None
        if action in ("import_certificate", "trust_root"):
            # Enabled on any open message: when it cannot be done, the key says why.
            return True if report is not None else None
        return True

    def action_unlock(self) -> None:
        """Enter on a locked message (focus in its body): ask for the passphrase again."""
        self.reader.reload()

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, MessageList) or focused is None:
            self.app.exit()
        else:
            self.query_one(MessageList).focus()

    def action_toggle_security(self) -> None:
        pane = self.query_one(SecurityPane)
        pane.display = not pane.display
        self.set_class(pane.display, "-security")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

    def action_switch_account(self) -> None:
        mail_app(self).action_switch_account()

    def action_compose(self) -> None:
        mail_app(self).action_compose_new()

    def action_reply(self) -> None:
        self._respond("reply")

    def action_reply_all(self) -> None:
        self._respond("reply-all")

    def action_forward(self) -> None:
        self._respond("forward")

    def _respond(self, mode: str) -> None:
        if self.state.report is not None:
            mail_app(self).open_compose_for(mode, self.state.report)

    def action_toggle_threads(self) -> None:
        self.folders.threading = not self.folders.threading
        if self.state.folder:
            self.folders.reload(self.state.folder)
        self.notify("Threads on." if self.folders.threading else "Threads off.", title="View")

    def action_contacts(self) -> None:
        from smimetui.tui.screens.contacts import ContactsScreen

        self.app.push_screen(ContactsScreen(self.session.home))

    # The components' keys (bindings in mailbox_keys.py).
    def action_search(self) -> None:
        self.search.start()

    def action_next_match(self) -> None:
        self.search.jump(1)

    def action_previous_match(self) -> None:
        self.search.jump(-1)

    def action_toggle_read(self) -> None:
        self.flags.toggle_read()

    def action_toggle_flag(self) -> None:
        self.flags.toggle_flag()

    def action_delete(self) -> None:
        self.moves.delete()

    def action_move(self) -> None:
        self.moves.move()

    def action_view_certificate(self) -> None:
        self.certificates.view()

    def action_import_certificate(self) -> None:
        self.certificates.import_sender()

    def action_trust_root(self) -> None:
        self.certificates.trust_root()

    def action_save_attachments(self) -> None:
        self.attachments.save()

    def action_open_attachment(self) -> None:
        self.attachments.open()

    def action_toggle_headers(self) -> None:
        self.reader.toggle_headers()

    def action_view_source(self) -> None:
        self.reader.view_source()
