"""Mailbox: read/unread and flagged, as a NeoMutt or Thunderbird user expects.

A message becomes Seen when the user opens it (Enter), or, with ``[ui] mark_read_after = N``,
once a preview the user moved to has been shown for N seconds (Thunderbird's delay).  Starting
the app, or opening a folder, previews its newest message without marking it read.  ``M``
toggles read/unread and ``F`` toggles the flag (``*`` in the list); both go to the server.
"""

from __future__ import annotations

from dataclasses import replace

from textual.timer import Timer

from smimetui.core.mail.base import FLAGGED, SEEN
from smimetui.tui.screens.mailbox_workers import MailboxWorkers
from smimetui.tui.widgets.folder_tree import FolderTree
from smimetui.tui.widgets.message_list import MessageList


class ReadFlags(MailboxWorkers):
    """Mixin for the mailbox screen: the Seen and Flagged state of rows."""

    folder: str | None
    report_uid: int | None

    def _init_flags(self, mark_read_after: float | None) -> None:
        self.mark_read_after = mark_read_after
        self._read_timer: Timer | None = None
        self._initial_uid: int | None = None  # previewed on its own: never marked by the delay

    def folder_shown(self) -> None:
        """A folder was (re)opened: its automatic first preview does not count as reading."""
        self._initial_uid = self.query_one(MessageList).current_uid

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
            if self.report_uid == uid:
                self.set_seen(uid, True)

        self._read_timer = self.set_timer(self.mark_read_after, still_shown)

    def set_seen(self, uid: int, seen: bool) -> None:
        self._change_flag(uid, SEEN, seen)

    def action_toggle_read(self) -> None:
        uid = self.query_one(MessageList).current_uid
        if uid is not None:
            self.row_moved(uid)  # an explicit choice: the read delay must not undo it
            seen = SEEN in self.query_one(MessageList).flags_of(uid)
            self.set_seen(uid, not seen)
            self.notify("Marked unread." if seen else "Marked read.", title="Read")

    def action_toggle_flag(self) -> None:
        uid = self.query_one(MessageList).current_uid
        if uid is not None:
            flagged = FLAGGED in self.query_one(MessageList).flags_of(uid)
            self._change_flag(uid, FLAGGED, not flagged)
            self.notify("Flag removed." if flagged else "Flagged.", title="Flag")

    def _change_flag(self, uid: int, flag: str, on: bool) -> None:
        lst = self.query_one(MessageList)
        flags = lst.flags_of(uid)
        if (flag in flags) == on or self.folder is None:
            return
        lst.show_flags(uid, flags | {flag} if on else flags - {flag})
        if flag == SEEN:
            self._count_unread(self.folder, -1 if on else 1)
        add, remove = ([flag], []) if on else ([], [flag])
        self.store_flags(self.folder, (uid,), add, remove)

    def _count_unread(self, folder: str, delta: int) -> None:
        tree = self.query_one(FolderTree)
        known = tree.folders.get(folder)
        if known is not None:
            tree.update_folder(replace(known, unread=max((known.unread or 0) + delta, 0)))
