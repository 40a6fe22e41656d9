"""Mailbox component: deleting (d) and moving (m) the highlighted message.

Deleting moves to Trash; in Trash, or where there is no Trash folder (after an explicit yes),
it deletes for good.  The move runs in a thread worker (``MessagesMoved``); the folder and the
folder list are brought up to date afterwards.
"""

from __future__ import annotations

from functools import partial

from textual.screen import Screen

from smimetui.core.errors import NoTrashError
from smimetui.core.mail.base import Folder
from smimetui.core.sanitize import clean_line
from smimetui.core.session.mail_session import MailSession
from smimetui.tui import messages as m
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.screens.mailbox_folders import FolderView
from smimetui.tui.screens.mailbox_state import MailboxState
from smimetui.tui.screens.move import MoveScreen
from smimetui.tui.widgets.folder_tree import FolderTree
from smimetui.tui.widgets.message_list import MessageList
from smimetui.tui.worker_errors import in_thread


class MessageMoves:
    def __init__(
        self,
        screen: Screen[None],
        session: MailSession,
        state: MailboxState,
        folders: FolderView,
    ) -> None:
        self._screen = screen
        self._session = session
        self._state = state
        self._folders = folders

    def delete(self) -> None:
        uid = self._screen.query_one(MessageList).current_uid
        if uid is not None and self._state.folder is not None:
            self._move(self._state.folder, (uid,), None, "Trash")

    def move(self) -> None:
        uid = self._screen.query_one(MessageList).current_uid
        folder = self._state.folder
        if uid is None or folder is None:
            return
        tree = self._screen.query_one(FolderTree)
        names = [f for f in tree.folders.values() if f.name != folder]

        def chosen(dest: Folder | None) -> None:
            if dest is not None:
                self._move(folder, (uid,), dest.name, dest.display)

        self._screen.app.push_screen(MoveScreen(names), chosen)

    def moved(self, message: m.MessagesMoved) -> None:
        count = len(message.uids)
        notify = self._screen.notify
        if message.for_good:
            notify(f"Deleted {count} message(s) for good.", title="Deleted", markup=False)
        else:
            notify(f"Moved {count} message(s) to {message.dest}.", title="Moved", markup=False)
        if self._state.folder == message.folder:
            self._state.report = None
            self._folders.reload(message.folder)
        self._folders.load_folders()

    def _move(
        self,
        folder: str,
        uids: tuple[int, ...],
        dest: str | None,
        label: str,
        permanently: bool = False,
    ) -> None:
        work = partial(self._move_in_thread, folder, uids, dest, label, permanently)
        in_thread(self._screen, work, group="change", description="move")

    def _move_in_thread(
        self, folder: str, uids: tuple[int, ...], dest: str | None, label: str, permanently: bool
    ) -> None:
        """Move to ``dest``; None deletes (to Trash, or for good: in Trash, or ``permanently``
        after the user said yes because there is no Trash folder)."""
        session = self._session
        for_good = False
        if dest is None:
            try:
                trash = session.delete(folder, uids, permanently=permanently)
            except NoTrashError as exc:
                self._screen.app.call_from_thread(self._confirm_for_good, folder, uids, exc.message)
                return
            label, for_good = clean_line(trash or ""), trash is None
        else:
            session.move(folder, uids, dest)  # their reports are forgotten too
        self._screen.post_message(m.MessagesMoved(folder, uids, label, for_good))

    def _confirm_for_good(self, folder: str, uids: tuple[int, ...], why: str) -> None:
        """No Trash folder to move to: delete for good only after an explicit yes."""

        def answered(yes: bool | None) -> None:
            if yes:
                self._move(folder, uids, None, "", permanently=True)

        question = f"Delete {len(uids)} message(s) for good? This cannot be undone."
        dialog = ConfirmScreen("No Trash folder", question, why, yes="Delete for good")
        self._screen.app.push_screen(dialog, answered)
