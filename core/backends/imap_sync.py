"""Bringing one folder's header cache up to date over a selected IMAP connection.

Cold (nothing cached, or UIDVALIDITY changed): pipelined ``FETCH lo:hi`` by sequence number,
newest first, the first batch small so the first screen is stored after one round trip.  Warm:
with QRESYNC, ``UID FETCH 1:n (FLAGS) (CHANGEDSINCE m VANISHED)`` returns only changed flags and
expunged UIDs (nothing at all when HIGHESTMODSEQ did not move); without extensions, a FLAGS sweep
of all UIDs.  New messages are ``UID FETCH uidnext:*``.  A count check after a warm sync falls
back to the sweep, so the cache can drift from the server only until the next sync.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from smimetui.core.backends.base import Progress
from smimetui.core.backends.cache import FolderState, HeaderCache, NewRow
from smimetui.core.backends.imap_fetch import (
    FetchRow,
    RawConnection,
    fetch_number,
    flag_bits,
    parse_fetch,
    parse_uid_set,
    uid_set,
)

ITEMS = b"(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)"
FIRST_BATCH = 500
BATCH = 5000


@dataclass(frozen=True, slots=True)
class MailboxInfo:
    """What SELECT said."""

    uidvalidity: int
    uidnext: int
    highestmodseq: int
    exists: int


@dataclass(frozen=True, slots=True)
class SyncStats:
    folder: str
    cold: bool = False
    invalidated: bool = False
    new: int = 0
    expunged: int = 0
    flag_changes: int = 0
    total: int = 0
    bytes_read: int = 0
    seconds: float = 0.0


@dataclass
class Changes:
    """What a warm sync changed, for updating an in-memory index without reloading it."""

    added: list[tuple[int, int, int]] = field(default_factory=list)  # (uid, date, bits)
    removed: set[int] = field(default_factory=set)
    bits: dict[int, int] = field(default_factory=dict)
    rebuilt: bool = False  # cold or swept: reload the index from the cache


def _new_row(row: FetchRow) -> NewRow:
    flags = row.flags or b""
    return (
        row.uid,
        flag_bits(flags),
        row.date,
        row.size,
        row.modseq,
        flags.decode("latin-1"),
        row.raw,
    )


class FolderSync:
    """One sync of one folder; the caller holds the connection lock and has SELECTed it."""

    def __init__(
        self,
        raw: RawConnection,
        cache: HeaderCache,
        account: str,
        folder: str,
        info: MailboxInfo,
        *,
        qresync: bool,
        known_count: int | None = None,
    ) -> None:
        self.raw = raw
        self.cache = cache
        self.account = account
        self.folder = folder
        self.info = info
        self.qresync = qresync
        self.changes = Changes()
        self._dirty = False
        # Messages in the cache before this sync (from the in-memory index when there is one:
        # count(*) over 100,000 rows reads the whole table), then kept up to date as we go.
        self._known = known_count
        self._delta = 0
        self._swept_total: int | None = None

    def _delete(self, state: FolderState, uids: set[int]) -> None:
        if uids:
            self._delta -= self.cache.delete_uids(state.id, uids)

    def run(self, progress: Progress | None = None) -> SyncStats:
        started, read_before = time.perf_counter(), self.raw.bytes_read
        old = self.cache.folder_state(self.account, self.folder)
        invalidated = old is not None and old.uidvalidity != self.info.uidvalidity
        state = self.cache.begin_folder(self.account, self.folder, self.info.uidvalidity)
        cold = not state.complete
        new = self._cold(state, progress) if cold else self._warm(state)
        self._delete(state, self.changes.removed)
        if cold:
            total = new
        else:
            if self._known is None:
                self._known = self.cache.count(state.id) - self._delta
            total = self._known + self._delta
        if self._dirty or (not cold and total != self.info.exists):
            self._sweep(state)
            total = self._swept_total if self._swept_total is not None else total
        uidnext = max([self.info.uidnext] + [u + 1 for u, _, _ in self.changes.added])
        self.cache.set_folder_state(
            state.id, highestmodseq=self.info.highestmodseq, uidnext=uidnext
        )
        self.changes.rebuilt = self.changes.rebuilt or cold
        return SyncStats(
            folder=self.folder,
            cold=cold,
            invalidated=invalidated,
            new=new,
            expunged=len(self.changes.removed),
            flag_changes=len(self.changes.bits),
            total=total,
            bytes_read=self.raw.bytes_read - read_before,
            seconds=time.perf_counter() - started,
        )

    # -- untagged responses other than FETCH ------------------------------------------------------
    def _other(self, line: bytes) -> None:
        if line.startswith(b"* VANISHED"):
            text = line[len(b"* VANISHED ") :].replace(b"(EARLIER) ", b"")
            self.changes.removed.update(parse_uid_set(text.strip()))
        elif line.endswith(b" EXPUNGE"):
            self._dirty = True  # sequence numbers moved: reconcile by UID afterwards

    # -- cold -------------------------------------------------------------------------------------
    def _cold(self, state: FolderState, progress: Progress | None) -> int:
        total = self.info.exists
        if total == 0:
            return 0
        ranges: list[tuple[int, int]] = []
        hi = total
        size = FIRST_BATCH
        while hi >= 1:
            lo = max(1, hi - size + 1)
            ranges.append((lo, hi))
            hi, size = lo - 1, BATCH
        rows: list[NewRow] = []
        done = 0

        def on_untagged(line: bytes) -> None:
            if fetch_number(line) is not None:
                row = parse_fetch(line)
                if row is not None:
                    rows.append(_new_row(row))
            else:
                self._other(line)

        def on_done(_: int) -> None:
            nonlocal done
            done += self.cache.put_rows(state.id, rows)
            rows.clear()
            if progress is not None:
                progress(min(done, total), total)

        commands = [b"FETCH %d:%d %s" % (lo, hi, ITEMS) for lo, hi in ranges]
        self.raw.run(commands, on_untagged, on_done)
        return done

    # -- warm -------------------------------------------------------------------------------------
    def _warm(self, state: FolderState) -> int:
        info = self.info
        unchanged = info.highestmodseq == state.highestmodseq and info.uidnext == state.uidnext
        if self.qresync and state.highestmodseq and unchanged:
            return 0
        if self.qresync and state.highestmodseq:
            self._changed_since(state)
        else:  # no extensions, or last synced without them: nothing to ask CHANGEDSINCE from
            self._sweep(state)
        if info.uidnext > state.uidnext or not state.uidnext:
            return self._fetch_new(state)
        return 0

    def _changed_since(self, state: FolderState) -> None:
        if state.uidnext <= 1:
            return
        updates: list[tuple[int, int, str, int]] = []

        def on_untagged(line: bytes) -> None:
            if fetch_number(line) is None:
                self._other(line)
                return
            row = parse_fetch(line)
            if row is not None and row.flags is not None and row.uid < state.uidnext:
                bits = flag_bits(row.flags)
                updates.append((row.uid, bits, row.flags.decode("latin-1"), row.modseq))
                self.changes.bits[row.uid] = bits

        cmd = b"UID FETCH 1:%d (UID FLAGS) (CHANGEDSINCE %d VANISHED)" % (
            state.uidnext - 1,
            state.highestmodseq,
        )
        self.raw.run([cmd], on_untagged)
        self.cache.set_flags(state.id, updates)
        self._delete(state, self.changes.removed)

    def _sweep(self, state: FolderState) -> None:
        """All UIDs and flags: finds expunged messages and flag changes without extensions."""
        known = self.cache.uid_flags(state.id)
        seen: dict[int, bytes] = {}

        def on_untagged(line: bytes) -> None:
            if fetch_number(line) is None:
                self._other(line)
                return
            row = parse_fetch(line)
            if row is not None and row.flags is not None:
                seen[row.uid] = row.flags

        if self.info.exists:
            self.raw.run([b"UID FETCH 1:* (UID FLAGS)"], on_untagged)
        updates = []
        for uid, flags in seen.items():
            text = flags.decode("latin-1")
            if uid in known and known[uid] != text:
                bits = flag_bits(flags)
                updates.append((uid, bits, text, 0))
                self.changes.bits[uid] = bits
        gone = set(known) - set(seen)
        self.changes.removed.update(gone)
        self.cache.set_flags(state.id, updates)
        self._delete(state, gone)
        self._swept_total = len(seen)
        missing = [u for u in seen if u not in known and u < state.uidnext]
        if missing:  # cached before but lost (an interrupted cold fetch): fetch them again
            self._fetch_uids(state, missing)
            self.changes.rebuilt = True
        self._dirty = False

    def _fetch_new(self, state: FolderState) -> int:
        start = max(state.uidnext, 1)
        return self._fetch_uids(state, None, b"%d:*" % start, minimum=start)

    def _fetch_uids(
        self, state: FolderState, uids: list[int] | None, uid_range: bytes = b"", minimum: int = 0
    ) -> int:
        rows: list[NewRow] = []

        def on_row(line: bytes) -> None:
            if fetch_number(line) is None:
                self._other(line)
                return
            row = parse_fetch(line)
            if row is not None and row.uid >= minimum and row.raw:
                rows.append(_new_row(row))

        self.raw.run([b"UID FETCH %s %s" % (uid_range or uid_set(uids or []), ITEMS)], on_row)
        self._delta += self.cache.put_rows(state.id, rows)
        self.changes.added.extend((r[0], r[2], r[1]) for r in rows)
        return len(rows)
