"""Bringing one folder's header cache up to date over a selected IMAP connection.

Cold (nothing cached, or UIDVALIDITY changed): pipelined ``FETCH lo:hi`` by sequence number,
newest first, the first batch small so the first screen is stored after one round trip.  Warm:
with QRESYNC, ``UID FETCH 1:n (FLAGS) (CHANGEDSINCE m VANISHED)`` returns only changed flags and
expunged UIDs (nothing at all when HIGHESTMODSEQ did not move); without extensions, a FLAGS sweep
of all UIDs.  New messages are ``UID FETCH uidnext:*``.  A count check after a warm sync falls
back to the sweep, so the cache can drift from the server only until the next sync.

Live (the folder is still selected since the last sync, QRESYNC on): the caller sent a NOOP
instead of a SELECT (Dovecot spends 0.1-0.3 s on a SELECT of a 100k folder, ~5-30 ms on the
NOOP).  The CHANGEDSINCE and ``uidnext:*`` fetches are then always sent: changes the server
announced during imapclient's own commands went to imaplib, not to us.  The new HIGHESTMODSEQ is
the largest value seen for changes we applied (a value too low only makes the next CHANGEDSINCE
repeat some changes), and the message count is the sequence number of the last message, which
``uidnext:*`` always returns.
"""

from __future__ import annotations

import contextlib
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from smimetui.core.errors import ServerResponseError
from smimetui.core.mail.base import Progress
from smimetui.core.mail.imap.check import fetch_complete
from smimetui.core.mail.imap.filling import FillingColumns
from smimetui.core.mail.imap.framing import (
    KEYWORDS,
    FetchRow,
    FlagSweep,
    RawConnection,
    fetch_number,
    flag_bits,
    parse_fetch,
    parse_uid_set,
    uid_set,
)
from smimetui.core.mail.imap.header_cache import FolderState, HeaderCache, NewRow
from smimetui.core.sanitize import clean_line

if TYPE_CHECKING:
    from smimetui.core.mail.imap.cached_index import CachedIndex

ITEMS = b"(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)"
# Dovecot adds MODSEQ to every FETCH once QRESYNC is on; Cyrus only when asked.
ITEMS_MODSEQ = b"(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE MODSEQ)"
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
    live: bool = False  # resynced on the still-selected folder (NOOP), not after a SELECT
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
        index: CachedIndex | None = None,
        live: bool = False,
    ) -> None:
        self.raw = raw
        self.cache = cache
        self.account = account
        self.folder = folder
        self.info = info
        self.qresync = qresync
        self.live = live and qresync  # ``info`` is from the NOOP, not from a SELECT
        self.changes = Changes()
        self._dirty = False
        # Messages in the cache before this sync (from the in-memory index when there is one:
        # count(*) over 100,000 rows reads the whole table), then kept up to date as we go.
        self._known = known_count
        self._delta = 0
        self._swept_total: int | None = None
        self.index = index  # the folder's index before this sync, if loaded
        self._touched = False  # the cache changed since ``index`` was made
        self.filling: FillingColumns | None = None  # a cold sync's rows stored so far

    def _delete(self, state: FolderState, uids: set[int]) -> None:
        if uids:
            self._touched = True
            self._delta -= self.cache.delete_uids(state.id, uids)

    def run(self, progress: Progress | None = None) -> SyncStats:
        started, read_before = time.perf_counter(), self.raw.bytes_read
        old = self.cache.folder_state(self.account, self.folder)
        invalidated = old is not None and old.uidvalidity != self.info.uidvalidity
        state = self.cache.begin_folder(self.account, self.folder, self.info.uidvalidity)
        cold = not state.complete
        # A QRESYNC resync is small: one transaction, written and committed once (the cache
        # lock is held meanwhile; a FLAGS sweep or a cold fetch commits per step instead, so
        # rows on screen can still be read while it runs).
        atomic = not cold and self.qresync and bool(state.highestmodseq)
        with self.cache.transaction() if atomic else contextlib.nullcontext():
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
            # UIDNEXT never goes down within one UIDVALIDITY (a server without UIDNEXT in
            # SELECT gives the last UID + 1, which drops when the newest messages are expunged)
            known_next = [self.info.uidnext, state.uidnext]
            uidnext = max(known_next + [u + 1 for u, _, _ in self.changes.added])
            self.cache.set_folder_state(
                state.id, highestmodseq=self.info.highestmodseq, uidnext=uidnext
            )
        self.changes.rebuilt = self.changes.rebuilt or cold
        return SyncStats(
            folder=self.folder,
            cold=cold,
            invalidated=invalidated,
            live=self.live and not cold,
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
        got = bytearray(total + 1)  # got[seq]: a complete summary of message seq was stored
        got[0] = 1
        bad: list[int] = []
        filling = self.filling = FillingColumns(self.cache, state.id, ranges)

        def on_untagged(line: bytes) -> None:
            seq = fetch_number(line)
            if seq is None:
                self._other(line)
                return
            row = parse_fetch(line)
            if row is None:
                return
            if not fetch_complete(line, row.raw):
                bad.append(seq)  # never stored: asked again below
                return
            new = _new_row(row)
            rows.append(new)
            filling.row(seq, new[0], new[2], new[1])
            if seq <= total:
                got[seq] = 1

        def store(command: int | None) -> None:
            nonlocal done
            done += self.cache.put_rows(state.id, rows)
            # joined before progress is told: it reads the filling
            if command is not None:
                filling.command_done(command)
            else:  # the damaged rows asked again belong to commands that may have joined
                filling.late_rows_done()
            rows.clear()
            if progress is not None:
                progress(min(done, total), total)

        def on_done(command: int) -> None:
            store(command)

        commands = [b"FETCH %d:%d %s" % (lo, hi, ITEMS) for lo, hi in ranges]
        # The newest batch alone first: a server may answer pipelined commands interleaved
        # (Dovecot does), which held the first screen back until ~15,000 rows had arrived.
        self.raw.run(commands[:1], on_untagged, on_done)
        if len(commands) > 1:
            self.raw.run(commands[1:], on_untagged, lambda i: on_done(i + 1))
        if bad:  # ask again for the damaged ones and for any swallowed by a damaged neighbour
            # (after an EXPUNGE the numbers moved: then only the damaged ones; a message that
            # is not sent at all is left alone, as some servers do for messages they cannot read)
            again = list(bad) if self._dirty else [s for s in range(1, total + 1) if not got[s]]
            bad.clear()
            retry = [b"FETCH %s %s" % (uid_set(again), ITEMS)]
            self.raw.run(retry, on_untagged, lambda _command: store(None))
            if bad:
                raise damaged(len(bad), self.folder)
        return done

    # -- warm -------------------------------------------------------------------------------------
    def _warm(self, state: FolderState) -> int:
        info = self.info
        if self.live and state.highestmodseq and state.uidnext:
            return self._warm_live(state)
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

    def _warm_live(self, state: FolderState) -> int:
        modseq = max(self._changed_since(state), self.info.highestmodseq, state.highestmodseq)
        last: list[int] = [0, 0]  # sequence number of the last message, largest new MODSEQ

        def on_row(seq: int, row: FetchRow) -> None:
            last[0] = max(last[0], seq)
            if row.uid >= state.uidnext:
                last[1] = max(last[1], row.modseq)

        new = self._fetch_uids(
            state, None, b"%d:*" % state.uidnext, state.uidnext, on_row, ITEMS_MODSEQ
        )
        self.info = replace(
            self.info, exists=last[0], highestmodseq=max(modseq, last[1]), uidnext=state.uidnext
        )
        return new

    def _changed_since(self, state: FolderState) -> int:
        """Apply flag changes and expunges since the cached HIGHESTMODSEQ; returns the largest
        MODSEQ of the changes applied (0: none)."""
        if state.uidnext <= 1:
            return 0
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
        self._touched = self._touched or bool(updates)
        self.cache.set_flags(state.id, updates)
        self._delete(state, self.changes.removed)
        return max((u[3] for u in updates), default=0)

    def _sweep(self, state: FolderState) -> None:
        """All UIDs and flags: finds expunged messages and flag changes without extensions.

        The server's answer is read into arrays and compared with the index columns as bit
        masks; only messages with keywords on both sides need their cached flag text."""
        sweep = FlagSweep(array("I"), array("I"), [])
        if self.info.exists:
            sweep = self.raw.flag_sweep(b"UID FETCH 1:* (UID FLAGS)", self._other)
        cols = self.index.columns() if self.index is not None and not self._touched else None
        k_uids, _, k_bits = cols if cols is not None else self.cache.columns(state.id)
        name_bits = [flag_bits(n) for n in sweep.names]
        texts = [n.decode("latin-1") for n in sweep.names]
        if len(sweep.uids) == len(k_uids) and sweep.uids == k_uids[::-1]:
            gone: set[int] = set()
            missing: list[int] = []
            same = False
            if len(name_bits) <= 256 and not any(b & KEYWORDS for b in name_bits):
                table = bytes(name_bits) + bytes(256 - len(name_bits))  # id -> bits
                server_bits = bytes(array("B", sweep.ids)).translate(table)[::-1]
                same = server_bits == k_bits.tobytes()  # compared at C speed
            pairs: Iterable[tuple[int, int, int]] = (
                () if same else zip(sweep.uids, sweep.ids, reversed(k_bits), strict=True)
            )
        else:
            known = dict(zip(k_uids, k_bits, strict=True))
            server = set(sweep.uids)
            gone = set(known) - server
            missing = [u for u in sweep.uids if u not in known and u < state.uidnext]
            pairs = (
                (u, i, known[u]) for u, i in zip(sweep.uids, sweep.ids, strict=True) if u in known
            )
        updates: list[tuple[int, int, str, int]] = []
        keyworded: dict[int, int] = {}
        for uid, i, old in pairs:
            bits = name_bits[i]
            if bits != old:
                updates.append((uid, bits, texts[i], 0))
            elif bits & KEYWORDS:
                keyworded[uid] = i
        if keyworded:  # same bits, but which keywords? only the cached text can say
            for uid, text in self.cache.flags_of(state.id, keyworded).items():
                i = keyworded[uid]
                if set(text.split()) != set(texts[i].split()):
                    updates.append((uid, name_bits[i], texts[i], 0))
        for uid, bits, _, _ in updates:
            self.changes.bits[uid] = bits
        self.changes.removed.update(gone)
        self._touched = self._touched or bool(updates or gone)
        self.cache.set_flags(state.id, updates)
        self._delete(state, gone)
        self._swept_total = len(sweep.uids)
        if missing:  # cached before but lost (an interrupted cold fetch): fetch them again
            self._fetch_uids(state, missing)
            self.changes.rebuilt = True
        self._dirty = False

    def _fetch_new(self, state: FolderState) -> int:
        start = max(state.uidnext, 1)
        return self._fetch_uids(state, None, b"%d:*" % start, minimum=start)

    def _fetch_uids(
        self,
        state: FolderState,
        uids: list[int] | None,
        uid_range: bytes = b"",
        minimum: int = 0,
        on_any: Callable[[int, FetchRow], None] | None = None,
        items: bytes = ITEMS,
    ) -> int:
        uid_text = uid_range or uid_set(uids or [])
        rows = fetch_rows(
            self.raw, uid_text, minimum, self._other, on_any, folder=self.folder, items=items
        )
        self._touched = self._touched or bool(rows)
        self._delta += self.cache.put_rows(state.id, rows)
        self.changes.added.extend((r[0], r[2], r[1]) for r in rows)
        return len(rows)


def fetch_rows(
    raw: RawConnection,
    uids: bytes,
    minimum: int,
    on_other: Callable[[bytes], None],
    on_any: Callable[[int, FetchRow], None] | None = None,
    folder: str = "",
    items: bytes = ITEMS,
) -> list[NewRow]:
    """Summaries of ``UID FETCH uids`` with a UID of at least ``minimum`` (``n:*`` returns the
    last message even when its UID is below n); ``on_any(seq, row)`` sees every complete FETCH.
    A damaged response is asked for again once, by UID; damaged twice, nothing is returned."""
    rows: list[NewRow] = []
    bad: list[int] = []

    def on_row(line: bytes) -> None:
        seq = fetch_number(line)
        if seq is None:
            on_other(line)
            return
        row = parse_fetch(line)
        if row is None:
            return
        if not fetch_complete(line, row.raw):
            bad.append(row.uid)
            return
        if on_any is not None:
            on_any(seq, row)
        if row.uid >= minimum and row.raw:
            rows.append(_new_row(row))

    raw.run([b"UID FETCH %s %s" % (uids, items)], on_row)
    if bad:
        again = uid_set(bad)
        bad.clear()
        raw.run([b"UID FETCH %s %s" % (again, items)], on_row)
        if bad:
            raise damaged(len(bad), folder)
    return rows


def damaged(count: int, folder: str) -> ServerResponseError:
    where = f" in {clean_line(folder)}" if folder else ""
    return ServerResponseError(
        f"The server sent a damaged summary of {count} message(s){where} twice; nothing "
        "damaged was stored, and the next sync asks again."
    )
