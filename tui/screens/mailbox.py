"""The mailbox: folder tree, message list, message pane and the security pane (``s``).

Every backend and crypto call runs in a thread worker of this screen and reports back with a
message from ``tui/messages.py``; handlers here own the widgets.  Worker errors are handled once,
at the app (``SmimeTuiApp.on_worker_state_changed``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, ProgressBar, Static, Tree

from smimetui.core.backends.base import SEEN, Folder, FolderRole
from smimetui.core.errors import SmimeTuiError
from smimetui.core.smime.report import Attachment, SecurityReport
from smimetui.tui import messages as m
from smimetui.tui.certimport import ImportOutcome
from smimetui.tui.screens.certificate import CertificateScreen, fingerprint
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.screens.help import HelpScreen
from smimetui.tui.screens.move import MoveScreen
from smimetui.tui.services import MailSession
from smimetui.tui.verdict import Level, verdict_for
from smimetui.tui.widgets.folder_tree import FolderTree
from smimetui.tui.widgets.message_list import MessageList
from smimetui.tui.widgets.message_view import MessageView
from smimetui.tui.widgets.security_pane import SecurityPane
from smimetui.tui.worker_errors import WorkerErrors

# Actions that need an open message.
_NEEDS_MESSAGE = {"reply", "reply_all", "forward", "view_certificate", "save_attachments"}
_NEEDS_ROW = {"delete", "move"}


class MailboxScreen(WorkerErrors, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "q", "back", "Back/Quit", tooltip="Back to the list; quit from the list", id="quit"
        ),
        Binding("slash", "search", "Search", tooltip="Search this folder", id="search"),
        Binding(
            "n",
            "next_match",
            "Next match",
            tooltip="Next search match",
            id="search-next",
            show=False,
        ),
        Binding(
            "N",
            "previous_match",
            "Previous match",
            tooltip="Previous search match",
            id="search-previous",
            show=False,
        ),
        Binding("c", "compose", "Compose", tooltip="Write a new message", id="compose"),
        Binding("r", "reply", "Reply", tooltip="Reply to the sender", id="reply"),
        Binding("a", "reply_all", "Reply all", tooltip="Reply to everyone", id="reply-all"),
        Binding("f", "forward", "Forward", tooltip="Forward the message", id="forward"),
        Binding("d", "delete", "Delete", tooltip="Move to Trash", id="delete"),
        Binding("m", "move", "Move", tooltip="Move to another folder", id="move"),
        Binding(
            "s",
            "toggle_security",
            "Security",
            tooltip="Show or hide the security pane",
            id="security",
        ),
        Binding(
            "ctrl+k",
            "import_certificate",
            "Import cert",
            tooltip="Add the sender's certificate to your contacts",
            id="import-certificate",
        ),
        Binding(
            "v",
            "view_certificate",
            "Certificate",
            tooltip="Signer's certificate",
            id="view-certificate",
            show=False,
        ),
        Binding(
            "t",
            "trust_root",
            "Trust root",
            tooltip="Trust the chain's root CA",
            id="trust-root",
            show=False,
        ),
        Binding(
            "w",
            "save_attachments",
            "Save attachments",
            tooltip="Save one attachment or all of them",
            id="save-attachments",
            show=False,
        ),
        Binding(
            "T",
            "toggle_threads",
            "Threads",
            tooltip="Group replies into threads",
            id="threads",
            show=False,
        ),
        Binding(
            "C",
            "contacts",
            "Contacts",
            tooltip="Contacts and their certificates",
            id="contacts",
            show=False,
        ),
        Binding("tab", "app.focus_next", "Next pane", show=False, id="focus-next"),
        Binding("question_mark", "help", "Help", tooltip="All keys", id="help"),
    ]

    def __init__(self, session: MailSession, *, threading: bool = False) -> None:
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
        self.matches: list[int] = []  # uids of the last search, newest first
        self.match_at = 0

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
        self.load_folders()

    # -- workers (threads: no widgets in here) -------------------------------------------------
    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="folders",
        description="list folders",
    )
    def load_folders(self) -> None:
        self.post_message(m.FoldersLoaded(self.session.backend_call("list_folders")))

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="folder", description="open folder"
    )
    def open_folder(self, folder: str) -> None:
        def progress(done: int, total: int) -> None:
            self.post_message(m.FolderProgressed(folder, done, total))

        index = self.session.backend_call("open_folder", folder, progress)
        if self.threading:
            from smimetui.tui.threads import thread_index

            index = thread_index(index)
        self.post_message(m.FolderOpened(folder, index))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="message",
        description="open message",
    )
    def load_message(self, folder: str, uid: int) -> None:
        raw, report = self.session.open_message(folder, uid)
        try:
            signer = self.session.signer_record(report)
        except SmimeTuiError:  # a damaged address book must not hide the message
            signer = None
        self.post_message(m.MessageLoaded(folder, uid, raw, report, signer))
        self.session.backend_call("set_flags", folder, [uid], add=[SEEN])

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="verify",
        description="verify visible rows",
    )
    def verify_rows(self, folder: str, rows: list[tuple[int, object]]) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        for uid, hint in rows:
            if worker.is_cancelled:
                return
            try:
                report = self.session.verify_for_badge(folder, uid, hint)  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - a broken row keeps its hint badge; opening it says why
                continue
            if report is not None:
                self.post_message(m.SecurityInspected(folder, uid, report))

    @work(thread=True, exclusive=True, exit_on_error=False, group="change", description="move")
    def move_messages(
        self, folder: str, uids: tuple[int, ...], dest: str | None, label: str
    ) -> None:
        if dest is None:
            self.session.backend_call("delete", folder, uids)
        else:
            self.session.backend_call("move", folder, uids, dest)
        for uid in uids:
            self.session.reports.forget(folder, uid)
        self.post_message(m.MessagesMoved(folder, uids, label))

    @work(thread=True, exclusive=True, exit_on_error=False, group="search", description="search")
    def run_search(self, folder: str, text: str) -> None:
        self.post_message(
            m.SearchFinished(folder, text, self.session.backend_call("search", folder, text))
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="certs", description="trust root")
    def trust_root(self, report: SecurityReport) -> None:
        sig = report.signature
        assert sig is not None and sig.chain_path
        self.post_message(m.RootTrusted(self.session.trust_root(sig.chain_path[-1].cert)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="certs", description="import")
    def import_certificate(self, report: SecurityReport) -> None:
        from smimetui.tui.certimport import import_sender_certificate

        outcome = import_sender_certificate(self.session, report)
        if outcome.needs_confirmation:
            self.app.call_from_thread(self._confirm_replacement, report, outcome)
            return
        self.post_message(m.CertificateImported(outcome.summary))

    @work(thread=True, exclusive=True, exit_on_error=False, group="certs", description="replace")
    def resolve_change(self, report: SecurityReport, change: object, accept: bool) -> None:
        from smimetui.tui.certimport import resolve_change

        summary = resolve_change(self.session, report, change, accept)
        self.post_message(m.CertificateImported(summary))

    @work(thread=True, exclusive=True, exit_on_error=False, group="attachments", description="save")
    def save_attachments(self, attachments: tuple[Attachment, ...]) -> None:
        from smimetui.tui.attachments import save_all

        saved = save_all(attachments)
        self.post_message(
            m.CertificateImported(f"Saved {len(saved)} attachment(s) to {saved[0].parent}")
        )

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
        self.matches = []
        self.query_one(MessageList).empty_text = "Loading…"
        self.open_folder(folder)
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
        lst.set_index(message.index, cursor_uid=keep)
        self._apply_cached_badges()
        self._schedule_verify()

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
        self._count_read(message.folder, message.uid)
        lst.mark_seen(message.uid)
        self.refresh_bindings()

    def _count_read(self, folder: str, uid: int) -> None:
        """One unread message less in the folder tree when a new message is opened."""
        lst = self.query_one(MessageList)
        position = lst.index.position_of(uid)
        if position is None or uid in lst.seen_uids or lst.index.summary(position).seen:
            return
        tree = self.query_one(FolderTree)
        known = tree.folders.get(folder)
        if known is not None and known.unread:
            tree.update_folder(replace(known, unread=known.unread - 1))

    def on_messages_moved(self, message: m.MessagesMoved) -> None:
        self.notify(
            f"Moved {len(message.uids)} message(s) to {message.dest}.", title="Moved", markup=False
        )
        if self.folder == message.folder:
            self.report = None
            self.open_folder(message.folder)
        self.load_folders()

    def on_search_finished(self, message: m.SearchFinished) -> None:
        lst = self.query_one(MessageList)
        self.matches = [u for u in message.uids if lst.index.position_of(u) is not None]
        self.match_at = 0
        self.refresh_bindings()
        if not self.matches:
            self.notify(
                f"Nothing in this folder matches {message.text!r}.", title="Search", markup=False
            )
            return
        lst.cursor = lst.index.position_of(self.matches[0]) or 0
        self.notify(
            f"{len(self.matches)} message(s) match; n and N move between them.",
            title="Search",
            markup=False,
        )

    def _jump_match(self, step: int) -> None:
        if not self.matches:
            return
        self.match_at = (self.match_at + step) % len(self.matches)
        lst = self.query_one(MessageList)
        position = lst.index.position_of(self.matches[self.match_at])
        if position is not None:
            lst.cursor = position
            lst.focus()

    def action_next_match(self) -> None:
        self._jump_match(1)

    def action_previous_match(self) -> None:
        self._jump_match(-1)

    def action_contacts(self) -> None:
        from smimetui.tui.screens.contacts import ContactsScreen

        self.app.push_screen(ContactsScreen(self.session.home))

    def on_certificate_imported(self, message: m.CertificateImported) -> None:
        self.notify(message.summary, title="Stored", markup=False)

    def on_root_trusted(self, message: m.RootTrusted) -> None:
        self.notify(message.summary, title="Root trusted", markup=False)
        self.session.reports = type(self.session.reports)()  # verdicts may change: verify again
        self.query_one(MessageList).badges = {}
        self.query_one(MessageList).clear_cache()
        if self.folder and self.report_uid is not None:
            self.load_message(self.folder, self.report_uid)

    # -- widget events -------------------------------------------------------------------------
    @on(Tree.NodeSelected, "#folders")
    def folder_selected(self, event: Tree.NodeSelected[Folder]) -> None:
        folder = event.node.data
        if folder is not None and folder.selectable:
            self._open(folder.name)
            self.query_one(MessageList).focus()

    @on(MessageList.Highlighted)
    def row_highlighted(self, event: MessageList.Highlighted) -> None:
        if self._load_timer is not None:
            self._load_timer.stop()
        folder, uid = self.folder, event.uid
        if folder is not None and uid != self.report_uid:
            self._load_timer = self.set_timer(0.12, lambda: self.load_message(folder, uid))
        self._schedule_verify()

    @on(MessageList.Selected)
    def row_selected(self, event: MessageList.Selected) -> None:
        if self.folder is not None and event.uid != self.report_uid:
            self.load_message(self.folder, event.uid)
        self.query_one("#message-body").focus()

    @on(Input.Submitted, "#search-input")
    def search_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.query_one(MessageList).focus()
        if event.value.strip() and self.folder:
            self.run_search(self.folder, event.value.strip())

    # -- actions -------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _NEEDS_MESSAGE and self.report is None:
            return None
        if action == "save_attachments" and not (self.report and self.report.attachments):
            return None
        if action in ("next_match", "previous_match") and not self.matches:
            return None
        if action in _NEEDS_ROW and self.query_one(MessageList).current_uid is None:
            return None
        if action == "import_certificate":
            from smimetui.tui.certimport import can_import

            return True if (self.report and can_import(self.report, self.session)) else None
        if action == "trust_root":
            sig = self.report.signature if self.report else None
            ok = sig is not None and bool(sig.chain_path) and sig.chain_path[-1].cert.self_signed
            return True if ok and sig and sig.chain.value == "untrusted" else None
        return True

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, MessageList) or focused is None:
            self.app.exit()
        else:
            self.query_one(MessageList).focus()

    def action_search(self) -> None:
        search = self.query_one("#search-input", Input)
        search.display = True
        search.focus()

    def action_toggle_security(self) -> None:
        pane = self.query_one(SecurityPane)
        pane.display = not pane.display

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self))

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

    def action_delete(self) -> None:
        uid = self.query_one(MessageList).current_uid
        if uid is not None and self.folder is not None:
            self.move_messages(self.folder, (uid,), None, "Trash")

    def action_move(self) -> None:
        uid = self.query_one(MessageList).current_uid
        folder = self.folder
        if uid is None or folder is None:
            return
        names = [f for f in self.query_one(FolderTree).folders.values() if f.name != folder]

        def chosen(dest: Folder | None) -> None:
            if dest is not None:
                self.move_messages(folder, (uid,), dest.name, dest.display)

        self.app.push_screen(MoveScreen(names), chosen)

    def action_view_certificate(self) -> None:
        sig = self.report.signature if self.report else None
        cert = sig.signer if sig else None
        if cert is None and self.report and self.report.certificates:
            cert = self.report.certificates[0]
        if cert is None:
            self.notify("This message carries no certificate.", title="No certificate")
            return
        self.app.push_screen(CertificateScreen(cert, sig.chain_path if sig else ()))

    def action_import_certificate(self) -> None:
        if self.report is None:
            return
        from smimetui.tui.certimport import describe_import

        report = self.report
        title, question, details = describe_import(report)

        def answered(yes: bool | None) -> None:
            if yes:
                self.import_certificate(report)

        self.app.push_screen(ConfirmScreen(title, question, details, yes="Import"), answered)

    def _confirm_replacement(self, report: SecurityReport, outcome: ImportOutcome) -> None:
        def answered(yes: bool | None) -> None:
            self.resolve_change(report, outcome.change, bool(yes))

        dialog = ConfirmScreen("Replace certificate?", outcome.question, outcome.details, "Replace")
        self.app.push_screen(dialog, answered)

    def action_trust_root(self) -> None:
        report = self.report
        sig = report.signature if report else None
        if report is None or sig is None or not sig.chain_path:
            return
        root = sig.chain_path[-1].cert
        question = (
            f"Trust {root.display_name} as a root for all mail? Only do this after checking "
            "the fingerprint with its owner (phone, in person)."
        )
        details = f"SHA-256 {fingerprint(root.sha256)}"

        def answered(yes: bool | None) -> None:
            if yes:
                self.trust_root(report)

        self.app.push_screen(
            ConfirmScreen("Trust this root?", question, details, yes="Trust"), answered
        )

    def action_save_attachments(self) -> None:
        if self.report is None or not self.report.attachments:
            return
        from smimetui.tui.screens.attachments import SaveAttachmentsScreen

        def chosen(items: tuple[Attachment, ...] | None) -> None:
            if items:
                self.save_attachments(items)

        self.app.push_screen(SaveAttachmentsScreen(self.report.attachments), chosen)

    def action_toggle_threads(self) -> None:
        self.threading = not self.threading
        if self.folder:
            self.open_folder(self.folder)
        self.notify("Threads on." if self.threading else "Threads off.", title="View")

    @property
    def verdict_level(self) -> Level | None:
        return verdict_for(self.report).level if self.report else None

    def downloads_dir(self) -> Path:
        from smimetui.tui.attachments import downloads_dir

        return downloads_dir()
