"""The mailbox: folder tree, message list, message pane and the security pane (``s``).

Every backend and crypto call runs in a thread worker of this screen and reports back with a
message from ``tui/messages.py``; handlers here own the widgets.  Worker errors are handled once,
at the app (``SmimeTuiApp.on_worker_state_changed``).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, ProgressBar, Static, Tree

from smimetui.core.mail.base import Folder, FolderRole
from smimetui.core.read.report import SecurityReport
from smimetui.core.session.mail_session import MailSession
from smimetui.tui import messages as m
from smimetui.tui.screens.help import HelpScreen
from smimetui.tui.screens.mailbox_actions import MessageActions
from smimetui.tui.screens.mailbox_flags import ReadFlags
from smimetui.tui.screens.mailbox_keys import MAILBOX_BINDINGS
from smimetui.tui.screens.mailbox_reading import ReadingActions
from smimetui.tui.screens.mailbox_search import MailboxSearch
from smimetui.tui.screens.mailbox_start import MailboxStart
from smimetui.tui.verdict import Level, is_locked, verdict_for
from smimetui.tui.widgets.folder_tree import FolderTree
from smimetui.tui.widgets.message_list import MessageList
from smimetui.tui.widgets.message_view import MessageView
from smimetui.tui.widgets.security_pane import SecurityPane
from smimetui.tui.worker_errors import WorkerErrors

# Actions that need an open message.
_NEEDS_MESSAGE = {"reply", "reply_all", "forward", "view_certificate", "save_attachments"}
_NEEDS_MESSAGE |= {"open_attachment", "view_source"}  # issue 15
_NEEDS_ROW = {"delete", "move", "toggle_flag", "toggle_read"}


class MailboxScreen(
    MessageActions,
    ReadFlags,
    MailboxSearch,
    MailboxStart,
    Screen[None],
    WorkerErrors,
    ReadingActions,
):
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
        self.folder: str | None = None
        self.report: SecurityReport | None = None
        self.raw: bytes = b""
        self.report_uid: int | None = None
        self.threading = threading
        self._load_timer: Timer | None = None
        self._verify_timer: Timer | None = None
        self._shown_folder: str | None = None  # the folder the list shows now
        self._init_search()
        self._init_flags(mark_read_after)
        self._init_start()

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
        self._start_with_inbox()  # INBOX first; the folder list comes after its rows

    # -- worker results ------------------------------------------------------------------------

    def on_folders_loaded(self, message: m.FoldersLoaded) -> None:
        tree = self.query_one(FolderTree)
        inbox = next((f.name for f in message.folders if f.role is FolderRole.INBOX), None)
        select = self.folder or inbox or (message.folders[0].name if message.folders else None)
        tree.set_folders(message.folders, select=select)
        if self.folder is None and select is not None:
            self._open(select)

    def _open(self, folder: str) -> None:
        self.folder = folder
        self._filling = None
        self.matches = []
        self.query_one(MessageList).empty_text = "Loading…"
        self.open_folder(folder, show_cached=True)
        self.app.watch_folder(folder, self)  # type: ignore[attr-defined]

    def on_mail_changed(self, message: m.MailChanged) -> None:
        """IDLE saw a change: resync the folder, keeping the selected message selected."""
        if message.folder == self.folder:
            self.open_folder(message.folder)
            self.load_folders()

    def on_folder_progressed(self, message: m.FolderProgressed) -> None:
        self.query_one("#progress").display = message.done < message.total
        text = f"Syncing {message.folder}: {message.done} of {message.total} messages"
        self.query_one("#progress-text", Static).update(Content(text))
        self.query_one(ProgressBar).update(total=max(message.total, 1), progress=message.done)

    def on_folder_opened(self, message: m.FolderOpened) -> None:
        if message.folder != self.folder:
            return
        self.query_one("#progress").display = False
        lst = self.query_one(MessageList)
        lst.empty_text = "No messages in this folder"
        same = self._shown_folder == message.folder
        keep = lst.current_uid if same else None
        if not same:
            lst.badges = {}
        self._shown_folder = message.folder
        near = lst.cursor if same else None
        keep, keep_scroll = self._after_early_rows(message.folder, keep)
        lst.set_index(message.index, cursor_uid=keep, near=near, keep_scroll=keep_scroll)
        if not same:
            self.folder_shown()
        self._apply_cached_badges()
        self._schedule_verify()
        self._load_folders_once()

    def _apply_cached_badges(self) -> None:
        lst = self.query_one(MessageList)
        for position in lst.visible_positions():
            uid = lst.index.uid_at(position)
            cached = self.session.reports.get(self.folder or "", uid)
            if cached is not None:
                lst.set_badge(uid, verdict_for(cached).badge)

    def _schedule_verify(self) -> None:
        if self._verify_timer is not None:
            self._verify_timer.stop()
        self._verify_timer = self.set_timer(0.2, self._verify_visible)

    def _verify_visible(self) -> None:
        lst = self.query_one(MessageList)
        rows = []
        for position in lst.visible_positions():
            summary = lst.index.summary(position)
            if summary.uid not in lst.badges:
                rows.append((summary.uid, summary.security))
        if rows and self.folder:
            self.verify_rows(self.folder, rows)

    def on_security_inspected(self, message: m.SecurityInspected) -> None:
        if message.folder == self.folder:
            self.query_one(MessageList).set_badge(message.uid, verdict_for(message.report).badge)

    def on_message_loaded(self, message: m.MessageLoaded) -> None:
        if message.folder != self.folder:
            return
        self.report, self.raw, self.report_uid = message.report, message.raw, message.uid
        self.query_one(MessageView).show(message.report)
        self.query_one(SecurityPane).show(message.report, message.signer)
        lst = self.query_one(MessageList)
        lst.set_badge(message.uid, verdict_for(message.report).badge)
        self.preview_shown(message.uid)
        self.refresh_bindings()

    # -- widget events -------------------------------------------------------------------------

    @on(Tree.NodeSelected, "#folders")
    def folder_selected(self, event: Tree.NodeSelected[Folder]) -> None:
        folder = event.node.data
        if folder is not None and folder.selectable:
            self._open(folder.name)
            self.query_one(MessageList).focus()

    @on(MessageList.Highlighted)
    def row_highlighted(self, event: MessageList.Highlighted) -> None:
        if isinstance(event, MessageList.Selected):
            return  # Selected is a Highlighted too: row_selected loads it, once
        self.row_moved(event.uid)
        if self._load_timer is not None:
            self._load_timer.stop()
        folder, uid = self.folder, event.uid
        if folder is not None and uid != self.report_uid:
            self._load_timer = self.set_timer(0.12, lambda: self.load_message(folder, uid))
        self._schedule_verify()

    @on(MessageList.Selected)
    def row_selected(self, event: MessageList.Selected) -> None:
        if self._load_timer is not None:
            self._load_timer.stop()  # the preview's load would ask for a passphrase a second time
        if self.folder is not None and self._in_drafts():
            self.open_draft(self.folder, event.uid)  # enter on a draft: go on writing it
            return
        again = self.report is not None and is_locked(self.report)  # asks for the passphrase
        self.set_seen(event.uid, True)  # opened: read (a preview alone does not mark it)
        if self.folder is not None and (event.uid != self.report_uid or again):
            self.load_message(self.folder, event.uid)
        self.query_one("#message-body").focus()

    def _in_drafts(self) -> bool:
        known = self.query_one(FolderTree).folders.get(self.folder or "")
        if known is not None and known.role is FolderRole.DRAFTS:
            return True
        return bool(self.folder) and self.folder == getattr(
            self.session.account, "drafts_folder", ""
        )

    def on_draft_opened(self, message: m.DraftOpened) -> None:
        if message.folder == self.folder:
            self.app.open_draft(message.report, message.uid)  # type: ignore[attr-defined]

    # -- actions -------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _NEEDS_MESSAGE and self.report is None:
            return None
        if action in ("save_attachments", "open_attachment") and not (
            self.report and self.report.attachments
        ):
            return None
        if action in ("next_match", "previous_match") and not self.matches:
            return None
        if action in _NEEDS_ROW and self.query_one(MessageList).current_uid is None:
            return None
        if action == "unlock":
            return True if (self.report and is_locked(self.report)) else None
        if action in ("import_certificate", "trust_root"):
            # Enabled on any open message: when it cannot be done, the key says why.
            return True if self.report is not None else None
        return True

    def action_unlock(self) -> None:
        """Enter on a locked message (focus in its body): ask for the passphrase again."""
        if self.folder is not None and self.report_uid is not None:
            self.load_message(self.folder, self.report_uid)

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
        self.app.action_switch_account()  # type: ignore[attr-defined]

    def action_compose(self) -> None:
        self.app.action_compose_new()  # type: ignore[attr-defined]

    def action_reply(self) -> None:
        self._respond("reply")

    def action_reply_all(self) -> None:
        self._respond("reply-all")

    def action_forward(self) -> None:
        self._respond("forward")

    def _respond(self, mode: str) -> None:
        if self.report is not None:
            self.app.open_compose_for(mode, self.report)  # type: ignore[attr-defined]

    def action_toggle_threads(self) -> None:
        self.threading = not self.threading
        if self.folder:
            self.open_folder(self.folder)
        self.notify("Threads on." if self.threading else "Threads off.", title="View")

    @property
    def verdict_level(self) -> Level | None:
        return verdict_for(self.report).level if self.report else None
