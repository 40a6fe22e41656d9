"""Mailbox component: read/unread and flagged, as a NeoMutt or Thunderbird user expects.

A message becomes Seen when the user opens it (Enter), or, with ``[ui] mark_read_after = N``,
once a preview the user moved to has been shown for N seconds (Thunderbird's delay).  Starting
the app, or opening a folder, previews its newest message without marking it read.  ``M``
toggles read/unread and ``F`` toggles the flag (``*`` in the list); both go to the server.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from textual.screen import Screen
from textual.timer import Timer

from smimetui.core.mail.base import FLAGGED, SEEN
from smimetui.core.session.mail_session import MailSession
from smimetui.tui.screens.mailbox_state import MailboxState
from smimetui.tui.widgets.folder_tree import FolderTree
from smimetui.tui.widgets.message_list import MessageList
from smimetui.tui.worker_errors import in_thread


class ReadFlags:
    """The Seen and Flagged state of rows; ``mark_read_after`` is the read delay, if any."""

    def __init__(
        self,
        screen: Screen[None],
        session: MailSession,
        state: MailboxState,
        mark_read_after: float | None,
    ) -> None:
        self._screen = screen
        self._session = session
        self._state = state
        self.mark_read_after = mark_read_after
        self._read_timer: Timer | None = None
        self._initial_uid: int | None = None  # previewed on its own: never marked by the delay

    @property
    def _list(self) -> MessageList:
        return self._screen.query_one(MessageList)

    def folder_shown(self) -> None:
        """A folder was (re)opened: its automatic first preview does not count as reading."""
        self._initial_uid = self._list.current_uid

    def row_moved(self, uid: int) -> None:
        if uid != self._initial_uid:
            self._initial_uid = None
        if self._read_timer is not None:
            self._read_timer.stop()
            self._read_timer = None

    def preview_shown(self, uid: int) -> None:
        """The message ``uid`` is on screen: start the read delay if the user chose one."""
        if self.mark_read_after is None or uid == self._initial_uid:
            return
        if self._read_timer is not None:
            self._read_timer.stop()

        def still_shown() -> None:
            if self._state.report_uid == uid:
                self.set_seen(uid, True)

        self._read_timer = self._screen.set_timer(self.mark_read_after, still_shown)

    def set_seen(self, uid: int, seen: bool) -> None:
        self._change_flag(uid, SEEN, seen)

    def toggle_read(self) -> None:
        uid = self._list.current_uid
        if uid is not None:
            self.row_moved(uid)  # an explicit choice: the read delay must not undo it
            seen = SEEN in self._list.flags_of(uid)
            self.set_seen(uid, not seen)
            self._screen.notify("Marked unread." if seen else "Marked read.", title="Read")

    def toggle_flag(self) -> None:
        uid = self._list.current_uid
        if uid is not None:
            flagged = FLAGGED in self._list.flags_of(uid)
            self._change_flag(uid, FLAGGED, not flagged)
            self._screen.notify("Flag removed." if flagged else "Flagged.", title="Flag")

    def _change_flag(self, uid: int, flag: str, on: bool) -> None:
        lst = self._list
        flags = lst.flags_of(uid)
        folder = self._state.folder
        if (flag in flags) == on or folder is None:
            return
        lst.show_flags(uid, flags | {flag} if on else flags - {flag})
        if flag == SEEN:
            self._count_unread(folder, -1 if on else 1)
        add, remove = ([flag], []) if on else ([], [flag])
        # Not exclusive: each change goes to the server (the list already shows it).
        work = partial(self._store, folder, uid, add, remove)
        in_thread(self._screen, work, group="flags", description="set flags", exclusive=False)

    def _store(self, folder: str, uid: int, add: list[str], remove: list[str]) -> None:
        self._session.set_flags(folder, (uid,), add=add, remove=remove)

    def _count_unread(self, folder: str, delta: int) -> None:
        tree = self._screen.query_one(FolderTree)
        known = tree.folders.get(folder)
        if known is not None:
            tree.update_folder(replace(known, unread=max((known.unread or 0) + delta, 0)))
