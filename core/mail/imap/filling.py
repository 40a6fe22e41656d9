"""The rows a cold sync has stored so far, as an index the list can show while the rest arrives.

A cold sync fetches a folder newest first, in pipelined ``FETCH lo:hi`` commands over descending
sequence ranges (500, then 5,000 each), and stores what has arrived whenever a command
completes.  :class:`FillingColumns` keeps the index columns of the newest rows that are
complete, highest UID first, so the message list can show the newest rows after the first
command instead of after the whole folder.

A server may answer pipelined commands interleaved (Dovecot does), so rows are kept per command
(by their sequence number) and a command's rows join the columns only when it and every newer
command have completed: each joining batch is then older than everything before it, and the
columns only ever grow at their end.
"""

from __future__ import annotations

import bisect
import threading
from array import array

from smimetui.core.mail.imap.cached_index import CachedIndex
from smimetui.core.mail.imap.header_cache import HeaderCache

Row = tuple[int, int, int]  # (uid, date, flag bits)


class FillingColumns:
    """Index columns that grow command by command; any thread may take an index of them."""

    def __init__(self, cache: HeaderCache, folder_id: int, ranges: list[tuple[int, int]]) -> None:
        """``ranges``: the commands' (lo, hi) sequence ranges, newest first."""
        self.cache = cache
        self.folder_id = folder_id
        self._lows = sorted(lo for lo, _ in ranges)
        self._pending: dict[int, list[Row]] = {}
        self._finished: set[int] = set()
        self._next = 0  # the newest command whose rows have not joined yet
        self._uids: array[int] = array("I")
        self._dates: array[int] = array("q")
        self._bits: array[int] = array("B")
        self._lock = threading.Lock()

    def row(self, seq: int, uid: int, date: int, bits: int) -> None:
        """One fetched row, by its sequence number."""
        command = len(self._lows) - bisect.bisect_right(self._lows, seq)
        self._pending.setdefault(command, []).append((uid, date, bits & 0xFF))

    def command_done(self, command: int) -> None:
        """Command ``command`` (0: the newest range) completed and its rows are stored."""
        self._finished.add(command)
        while self._next in self._finished:
            self._join(self._pending.pop(self._next, []))
            self._next += 1

    def late_rows_done(self) -> None:
        """Rows asked again after their command had joined (a damaged response) join now."""
        for command in sorted(c for c in self._pending if c < self._next):
            self._join(self._pending.pop(command))

    def _join(self, rows: list[Row]) -> None:
        batch = sorted(rows, reverse=True)
        if not batch:
            return
        with self._lock:
            if len(self._uids) and batch[0][0] >= self._uids[-1]:
                # Not older than what is there (messages expunged during the fetch moved the
                # sequence numbers): merge, so the order stays right.  The finished sync's index
                # replaces this one anyway.
                known = zip(self._uids, self._dates, self._bits, strict=True)
                batch = sorted({r[0]: r for r in [*known, *batch]}.values(), reverse=True)
                self._uids, self._dates, self._bits = array("I"), array("q"), array("B")
            self._uids.extend(r[0] for r in batch)
            self._dates.extend(r[1] for r in batch)
            self._bits.extend(r[2] for r in batch)

    def __len__(self) -> int:
        return len(self._uids)

    def index(self) -> CachedIndex:
        """The rows so far, newest first (a copy: later commands do not change it)."""
        with self._lock:
            return CachedIndex(
                self.cache, self.folder_id, self._uids[:], self._dates[:], self._bits[:]
            )
