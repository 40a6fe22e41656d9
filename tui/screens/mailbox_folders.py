"""Mailbox component: which folder the list shows, and bringing it up to date.

INBOX opens first (every store has one); its cached rows are shown at once, or, cold, the rows
as the sync delivers them; the folder list (a LIST and a STATUS per folder) comes after, even
when opening the first folder failed.  Opening and listing run in thread workers that post
``FolderFilling``, ``FolderProgressed``, ``FolderOpened`` and ``FoldersLoaded``; the screen
hands those to the methods here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

from textual.content import Content
from textual.screen import Screen
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState

from smimetui.core.mail.base import Folder, FolderRole
from smimetui.core.session.mail_session import MailSession
from smimetui.tui import messages as m
from smimetui.tui.app_services import mail_app
from smimetui.tui.screens.mailbox_badges import RowBadges
from smimetui.tui.screens.mailbox_state import MailboxState
from smimetui.tui.widgets.folder_tree import FolderTree
from smimetui.tui.widgets.message_list import MessageList
from smimetui.tui.worker_errors import in_thread

INBOX = "INBOX"  # RFC 3501 names it so; the Maildir root is it
FIRST_ROWS_WAIT = 1.0  # seconds a cold sync waits for its first rows to be drawn


class FolderView:
    """``folder_shown`` is called when the list starts showing another folder; ``opened``
    when a folder is opened (the screen drops what belonged to the previous one)."""

    def __init__(
        self,
        screen: Screen[None],
        session: MailSession,
        state: MailboxState,
        *,
        badges: RowBadges,
        folder_shown: Callable[[], None],
        opened: Callable[[], None],
        threading: bool = False,
    ) -> None:
        self._screen = screen
        self._session = session
        self._state = state
        self._badges = badges
        self._folder_shown = folder_shown
        self._opened = opened
        self.threading = threading  # the threaded view (T)
        self._shown_folder: str | None = None  # the folder the list shows now
        self._filling: str | None = None  # the folder whose cold sync the list shows filling
        self._folders_asked = False

    @property
    def _list(self) -> MessageList:
        return self._screen.query_one(MessageList)

    # -- opening -----------------------------------------------------------------------------
    def start_with_inbox(self) -> None:
        inbox = Folder(INBOX, INBOX, role=FolderRole.INBOX)
        self._screen.query_one(FolderTree).set_folders([inbox], select=INBOX)  # until the list
        self.open(INBOX)

    def open(self, folder: str) -> None:
        self._state.folder = folder
        self._filling = None
        self._opened()
        self._list.empty_text = "Loading…"
        self.reload(folder, show_cached=True)
        mail_app(self._screen).watch_folder(folder, self._screen)

    def reload(self, folder: str, show_cached: bool = False) -> None:
        """Bring ``folder`` up to date. ``show_cached``: the list does not show ``folder`` yet,
        so what the cache holds goes to it at once (no network) first."""
        work = partial(self._open_folder, folder, show_cached, self.threading)
        in_thread(self._screen, work, group="folder", description="open folder")

    def load_folders(self) -> None:
        in_thread(self._screen, self._list_folders, group="folders", description="list folders")

    def load_folders_once(self) -> None:
        if not self._folders_asked:
            self._folders_asked = True
            self.load_folders()

    def in_drafts(self) -> bool:
        folder = self._state.folder
        known = self._screen.query_one(FolderTree).folders.get(folder or "")
        if known is not None and known.role is FolderRole.DRAFTS:
            return True
        return bool(folder) and folder == getattr(self._session.account, "drafts_folder", "")

    # -- workers -----------------------------------------------------------------------------
    def _list_folders(self) -> None:
        self._screen.post_message(m.FoldersLoaded(self._session.list_folders()))

    def _open_folder(self, folder: str, show_cached: bool, threaded: bool) -> None:
        post, session = self._screen.post_message, self._session
        shown: list[threading.Event] = []
        cached = session.cached_index(folder) if show_cached and not threaded else None
        if cached is not None and len(cached):
            post(m.FolderFilling(folder, cached))

        def progress(done: int, total: int) -> None:
            # Called between batches by the syncing thread: the rows so far go to the list
            # at once (coalesced), so a cold folder shows its newest rows after one batch; the
            # sync goes on once the first rows are on screen (or after FIRST_ROWS_WAIT).
            filling = None if threaded else session.filling_index(folder)
            if filling is not None:
                first = not shown
                shown.append(threading.Event())
                post(m.FolderFilling(folder, filling, shown[-1] if first else None))
                if first:
                    shown[0].wait(FIRST_ROWS_WAIT)
            post(m.FolderProgressed(folder, done, total))

        index = session.open_folder(folder, progress)
        if threaded:
            from smimetui.core.mail.thread_index import thread_index

            index = thread_index(index)
        post(m.FolderOpened(folder, index))

    # -- worker results ----------------------------------------------------------------------
    def worker_ended(self, event: Worker.StateChanged) -> None:
        """The folder list comes after the first folder, even when opening it failed."""
        if event.worker.group == "folder" and event.state is WorkerState.ERROR:
            self.load_folders_once()

    def folders_loaded(self, message: m.FoldersLoaded) -> None:
        inbox = next((f.name for f in message.folders if f.role is FolderRole.INBOX), None)
        folder = self._state.folder
        select = folder or inbox or (message.folders[0].name if message.folders else None)
        self._screen.query_one(FolderTree).set_folders(message.folders, select=select)
        if folder is None and select is not None:
            self.open(select)

    def progressed(self, message: m.FolderProgressed) -> None:
        screen = self._screen
        screen.query_one("#progress").display = message.done < message.total
        text = f"Syncing {message.folder}: {message.done} of {message.total} messages"
        screen.query_one("#progress-text", Static).update(Content(text))
        screen.query_one(ProgressBar).update(total=max(message.total, 1), progress=message.done)

    def filling(self, message: m.FolderFilling) -> None:
        """Cached rows, or a cold sync's first rows then more: shown at once, the view kept as
        they grow (and when the folder, up to date, replaces them)."""
        if message.folder != self._state.folder:
            return
        lst = self._list
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
            self._folder_shown()
        if message.shown is not None:
            self._screen.call_after_refresh(message.shown.set)  # drawn: the sync may go on
        self._badges.schedule()
        self.load_folders_once()

    def opened(self, message: m.FolderOpened) -> None:
        if message.folder != self._state.folder:
            return
        self._screen.query_one("#progress").display = False
        lst = self._list
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
            self._folder_shown()
        self._badges.apply_cached()
        self._badges.schedule()
        self.load_folders_once()

    def _after_early_rows(self, folder: str, keep: int | None) -> tuple[int | None, bool]:
        """(cursor uid, keep the scroll) for the folder, up to date, replacing rows shown early
        (cached, or a cold sync's so far): a cursor still on the newest row follows the newest
        row, so new mail on top comes into view; a cursor the user moved keeps its message and
        the scroll stays where it is."""
        early, self._filling = self._filling == folder, None
        if not early:
            return keep, False
        if self._list.cursor == 0:
            return None, False
        return keep, True
