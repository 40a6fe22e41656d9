"""Mailbox: how it starts.  INBOX opens first (every store has one); its cached rows are shown
at once, or, cold, the rows as the sync delivers them; the folder list (a LIST and a STATUS per
folder) comes after."""

from __future__ import annotations

from textual import on
from textual.worker import Worker, WorkerState

from smimetui.core.mail.base import Folder, FolderRole
from smimetui.tui import messages as m
from smimetui.tui.screens.mailbox_workers import MailboxWorkers
from smimetui.tui.widgets.folder_tree import FolderTree
from smimetui.tui.widgets.message_list import MessageList

INBOX = "INBOX"  # RFC 3501 names it so; the Maildir root is it


class MailboxStart(MailboxWorkers):
    """Mixin for the mailbox screen."""

    folder: str | None
    _shown_folder: str | None

    def _open(self, folder: str) -> None:
        raise NotImplementedError

    def folder_shown(self) -> None:  # ReadFlags: the automatic first preview is not reading
        raise NotImplementedError

    def _schedule_verify(self) -> None:
        raise NotImplementedError

    def _init_start(self) -> None:
        self._filling: str | None = None  # the folder whose cold sync the list shows filling
        self._folders_asked = False

    def _start_with_inbox(self) -> None:
        inbox = Folder(INBOX, INBOX, role=FolderRole.INBOX)
        self.query_one(FolderTree).set_folders([inbox], select=INBOX)  # until the real list
        self._open(INBOX)

    def _load_folders_once(self) -> None:
        if not self._folders_asked:
            self._folders_asked = True
            self.load_folders()

    @on(Worker.StateChanged)
    def _folder_worker_ended(self, event: Worker.StateChanged) -> None:
        """The folder list comes after the first folder, even when opening it failed."""
        if event.worker.group == "folder" and event.state is WorkerState.ERROR:
            self._load_folders_once()

    def on_folder_filling(self, message: m.FolderFilling) -> None:
        """Cached rows, or a cold sync's first rows then more: shown at once, the view kept as
        they grow (and when the folder, up to date, replaces them)."""
        if message.folder != self.folder:
            return
        lst = self.query_one(MessageList)
        if self._filling == message.folder:
            lst.grow_index(message.index)
            if message.shown is not None:
                message.shown.set()
            return
        self._filling = message.folder
        same = self._shown_folder == message.folder
        if not same:
            lst.badges = {}
        self._shown_folder = message.folder
        lst.set_index(message.index, cursor_uid=lst.current_uid if same else None)
        if not same:
            self.folder_shown()
        if message.shown is not None:
            self.call_after_refresh(message.shown.set)  # drawn: the sync may go on
        self._schedule_verify()
        self._load_folders_once()

    def _after_early_rows(self, folder: str, keep: int | None) -> tuple[int | None, bool]:
        """(cursor uid, keep the scroll) for the folder, up to date, replacing rows shown early
        (cached, or a cold sync's so far): a cursor still on the newest row follows the newest
        row, so new mail on top comes into view; a cursor the user moved keeps its message and
        the scroll stays where it is."""
        early, self._filling = self._filling == folder, None
        if not early:
            return keep, False
        if self.query_one(MessageList).cursor == 0:
            return None, False
        return keep, True
