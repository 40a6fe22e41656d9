"""The SQLite header cache: message summaries per (account, folder, UIDVALIDITY, UID).

A folder row maps (account, folder name) to a small integer id together with the UIDVALIDITY its
messages belong to, plus HIGHESTMODSEQ and UIDNEXT for resynchronisation.  A message's key is
``folder_id << 32 | uid``, the rowid of its rows, so a folder is one contiguous rowid range and no
extra index is needed.  What changes (flags, MODSEQ) lives with the date in the narrow ``marks``
table, apart from the envelope bytes in ``messages``: a resync's 1,000 flag updates then rewrite
about 20 bytes per message instead of pages full of ~500-byte envelopes (4 MB of WAL and a
checkpoint per resync at 100k messages), and the index columns are a scan of the narrow table.
When UIDVALIDITY changes the folder row and all its messages are dropped (the old UIDs name other
messages now).

``pending`` is a journal of flag changes not yet confirmed by the server: they are written before
the server is asked and removed after it said OK, so a dropped connection loses nothing.

``snapshots`` holds, per folder, the index columns (UIDs, dates, flag bits) packed as ``array``
bytes, highest UID first, so a warm open is one read of ~13 bytes per message instead of a scan
of the whole message table.  Every change to a folder's messages deletes its snapshot in the same
transaction, so a snapshot is either exact or absent (and then rebuilt from the table).

``FORMAT`` is bumped whenever the schema or the meaning of stored bytes changes; an old cache is
then dropped on open, deliberately, instead of being misread.

Every public method turns an SQLite failure into one sentence (:mod:`cache_guard`): a damaged
file is moved aside and a new cache started, a lock held elsewhere is waited for up to
``busy_timeout``, a full disk rolls the transaction back.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from smimetui.core.errors import CacheError
from smimetui.core.mail.imap import cache_guard as guard
from smimetui.core.settings.home import private_file

FORMAT = 3  # 2: snapshots; the KEYWORDS flag bit.  3: flags, MODSEQ and date in ``marks``
UID_BITS = 32

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders(
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    highestmodseq INTEGER NOT NULL DEFAULT 0,
    uidnext INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0,
    UNIQUE(account, name)
);
CREATE TABLE IF NOT EXISTS messages(
    k INTEGER PRIMARY KEY,
    size INTEGER NOT NULL,
    sort_from TEXT,
    sort_subject TEXT,
    raw BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS marks(
    k INTEGER PRIMARY KEY,
    date INTEGER NOT NULL,
    bits INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    flags TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots(
    folder_id INTEGER PRIMARY KEY,
    uids BLOB NOT NULL,
    dates BLOB NOT NULL,
    bits BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS pending(
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    folder TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uids TEXT NOT NULL,
    add_flags TEXT NOT NULL,
    remove_flags TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class FolderState:
    id: int
    uidvalidity: int
    highestmodseq: int
    uidnext: int
    complete: bool


@dataclass(frozen=True, slots=True)
class PendingChange:
    id: int
    folder: str
    uidvalidity: int
    uids: tuple[int, ...]
    add: tuple[str, ...]
    remove: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CachedRow:
    uid: int
    flags: str
    date: int
    size: int
    raw: bytes


# (uid, bits, date, size, modseq, flags, raw): what the bulk fetch stores
NewRow = tuple[int, int, int, int, int, str, bytes]
# (uids, dates, bits) as array("I"), array("q"), array("B"), highest UID first
Columns = tuple["array[int]", "array[int]", "array[int]"]


def key(folder_id: int, uid: int) -> int:
    return (folder_id << UID_BITS) | uid


P = ParamSpec("P")
R = TypeVar("R")


def _guarded(
    method: Callable[Concatenate[HeaderCache, P], R],
) -> Callable[Concatenate[HeaderCache, P], R]:
    """Run ``method`` under the lock; an SQLite failure becomes a :class:`CacheError`."""

    @functools.wraps(method)
    def wrapper(self: HeaderCache, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except sqlite3.DatabaseError as exc:
                raise self._failed(exc) from exc

    return wrapper


def _init(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA cache_size=-8000")
    db.executescript(_SCHEMA)
    row = db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
    if row is not None and row[0] == str(FORMAT):
        return
    if row is not None:  # an older (or newer) layout: start afresh rather than misread it
        db.executescript(
            "DROP TABLE IF EXISTS messages; DROP TABLE IF EXISTS folders;"
            "DROP TABLE IF EXISTS pending; DROP TABLE IF EXISTS meta;"
            "DROP TABLE IF EXISTS snapshots; DROP TABLE IF EXISTS marks;"
        )
        db.executescript(_SCHEMA)
    db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (str(FORMAT),))


class HeaderCache:
    """One SQLite file (or ``":memory:"``) shared by all accounts; safe to use from any thread."""

    def __init__(
        self, path: str | Path = ":memory:", *, busy_timeout: float = guard.BUSY_TIMEOUT
    ) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self.notices: list[str] = []  # sentences for the user (a damaged cache moved aside)
        if self.path != ":memory:":
            guard.make_folder(self.path)
        self._lock = threading.RLock()
        self._tx = False  # inside transaction()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        """Connect and set up the schema: waiting (bounded) while another process holds a
        lock, moving a damaged file aside once."""
        deadline = time.monotonic() + self.busy_timeout
        journal: list[tuple[object, ...]] | None = []
        moved = False
        while True:
            db: sqlite3.Connection | None = None
            try:
                if self.path != ":memory:":
                    private_file(Path(self.path))  # its -wal and -shm files take its mode
                db = sqlite3.connect(
                    self.path,
                    timeout=self.busy_timeout,
                    check_same_thread=False,
                    isolation_level=None,
                )
                _init(db)
                self._restore_journal(db, journal)
                return db
            except sqlite3.DatabaseError as exc:
                if guard.is_locked(exc) and guard.pause(deadline):
                    self._close_quietly(db)
                    continue
                if guard.is_damaged(exc) and self.path != ":memory:" and not moved:
                    moved = True
                    journal = guard.salvage_journal(db) if db is not None else None
                    self._close_quietly(db)
                    aside = guard.move_aside(self.path, exc)
                    self.notices.append(
                        guard.damaged_notice(self.path, aside, exc, journal is None)
                    )
                    continue
                self._close_quietly(db)
                raise guard.failure(exc, self.path, self.busy_timeout) from exc

    @staticmethod
    def _close_quietly(db: sqlite3.Connection | None) -> None:
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()

    @staticmethod
    def _restore_journal(db: sqlite3.Connection, journal: list[tuple[object, ...]] | None) -> None:
        if journal:
            db.executemany(
                "INSERT INTO pending(account, folder, uidvalidity, uids, add_flags, "
                "remove_flags) VALUES (?, ?, ?, ?, ?, ?)",
                journal,
            )

    def _failed(self, exc: sqlite3.DatabaseError) -> CacheError:
        """The error to raise for ``exc``; damage is repaired first, a failed statement outside
        a transaction() is rolled back (transaction() rolls back its own)."""
        if guard.is_damaged(exc) and self.path != ":memory:":
            journal = guard.salvage_journal(self._db)
            self._close_quietly(self._db)
            aside = guard.move_aside(self.path, exc)
            notice = guard.damaged_notice(self.path, aside, exc, journal is None)
            self._db = self._open()
            self._restore_journal(self._db, journal)
            self._tx = False
            return guard.damaged_error(notice)  # the notice is in its sentence, said once
        if not self._tx:
            self._rollback(self._db)
        return guard.failure(exc, self.path, self.busy_timeout)

    def take_notices(self) -> list[str]:
        """Sentences for the user since the last call (then forgotten)."""
        with self._lock:
            notices, self.notices = self.notices, []
        return notices

    def close(self) -> None:
        with self._lock:
            self._close_quietly(self._db)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction (and the lock) for everything inside; nested uses join the outer
        one, so a resync's deletes, flag updates and inserts are written (and committed) once.
        The write lock is taken at BEGIN (IMMEDIATE): a deferred transaction that later wants to
        write can fail at once, without waiting, when another process wrote meanwhile.  A
        failed COMMIT (a full disk) is rolled back."""
        with self._lock:
            if self._tx:
                yield
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise self._failed(exc) from exc
            db, self._tx = self._db, True
            try:
                yield
            except BaseException:
                self._tx = False
                if db is self._db:  # (a damaged one was replaced: nothing to roll back)
                    self._rollback(db)
                raise
            self._tx = False
            try:
                db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self._rollback(db)  # a failed COMMIT leaves the transaction open
                raise self._failed(exc) from exc

    @staticmethod
    def _rollback(db: sqlite3.Connection) -> None:
        with contextlib.suppress(sqlite3.Error):
            if db.in_transaction:
                db.execute("ROLLBACK")

    # -- folders ----------------------------------------------------------------------------------
    @_guarded
    def folder_state(self, account: str, folder: str) -> FolderState | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, uidvalidity, highestmodseq, uidnext, complete FROM folders "
                "WHERE account=? AND name=?",
                (account, folder),
            ).fetchone()
        return FolderState(row[0], row[1], row[2], row[3], bool(row[4])) if row else None

    @_guarded
    def begin_folder(self, account: str, folder: str, uidvalidity: int) -> FolderState:
        """The folder's state for ``uidvalidity``; a different UIDVALIDITY drops everything."""
        with self._lock:
            state = self.folder_state(account, folder)
            if state is not None and state.uidvalidity == uidvalidity:
                return state
            if state is not None:
                self.drop_folder(account, folder)
            cur = self._db.execute(
                "INSERT INTO folders(account, name, uidvalidity) VALUES (?, ?, ?)",
                (account, folder, uidvalidity),
            )
            assert cur.lastrowid is not None
            return FolderState(cur.lastrowid, uidvalidity, 0, 0, False)

    @_guarded
    def set_folder_state(
        self, folder_id: int, *, highestmodseq: int, uidnext: int, complete: bool = True
    ) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE folders SET highestmodseq=?, uidnext=?, complete=? WHERE id=?",
                (highestmodseq, uidnext, int(complete), folder_id),
            )

    @_guarded
    def drop_folder(self, account: str, folder: str) -> None:
        with self._lock:
            state = self.folder_state(account, folder)
            if state is None:
                return
            with self.transaction():
                for table in ("messages", "marks"):
                    self._db.execute(
                        f"DELETE FROM {table} WHERE k BETWEEN ? AND ?",
                        (key(state.id, 0), key(state.id, (1 << UID_BITS) - 1)),
                    )
                self._db.execute("DELETE FROM folders WHERE id=?", (state.id,))
                self._stale(state.id)

    @_guarded
    def rename_folder(self, account: str, old: str, new: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE folders SET name=? WHERE account=? AND name=?", (new, account, old)
            )

    # -- messages ---------------------------------------------------------------------------------
    @_guarded
    def put_rows(self, folder_id: int, rows: Iterable[NewRow]) -> int:
        """Insert or replace message rows in one transaction; returns how many."""
        base = folder_id << UID_BITS
        params = [(base | r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]
        params.sort(key=lambda p: p[0])  # ascending keys: appends within the B-trees
        if not params:
            return 0
        with self.transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO messages(k, size, raw) VALUES (?, ?, ?)",
                [(p[0], p[3], p[6]) for p in params],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO marks(k, date, bits, modseq, flags) VALUES (?, ?, ?, ?, ?)",
                [(p[0], p[2], p[1], p[4], p[5]) for p in params],
            )
            self._stale(folder_id)
        return len(params)

    @_guarded
    def set_flags(self, folder_id: int, changes: Iterable[tuple[int, int, str, int]]) -> None:
        """``changes``: (uid, bits, flags, modseq); unknown UIDs are ignored."""
        base = folder_id << UID_BITS
        params = [(bits, flags, modseq, base | uid) for uid, bits, flags, modseq in changes]
        params.sort(key=lambda p: p[3])  # in key order: neighbouring rows share pages
        if not params:
            return
        with self.transaction():
            self._db.executemany(
                "UPDATE marks SET bits=?, flags=?, modseq=max(modseq, ?) WHERE k=?", params
            )
            self._stale(folder_id)

    @_guarded
    def delete_uids(self, folder_id: int, uids: Iterable[int]) -> int:
        """Delete cached messages; returns how many were there."""
        params = [(key(folder_id, u),) for u in uids]
        if not params:
            return 0
        with self.transaction():
            cur = self._db.executemany("DELETE FROM marks WHERE k=?", params)
            self._db.executemany("DELETE FROM messages WHERE k=?", params)
            self._stale(folder_id)
        return max(cur.rowcount, 0)

    def _range(self, folder_id: int) -> tuple[int, int]:
        return key(folder_id, 0), key(folder_id, (1 << UID_BITS) - 1)

    # -- snapshots of the index columns ---------------------------------------------------------
    def _stale(self, folder_id: int) -> None:
        self._db.execute("DELETE FROM snapshots WHERE folder_id=?", (folder_id,))

    @_guarded
    def put_snapshot(self, folder_id: int, columns: Columns) -> None:
        """Store the folder's index columns; the caller vouches they match the table now."""
        uids, dates, bits = columns
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?)",
                (folder_id, uids.tobytes(), dates.tobytes(), bits.tobytes()),
            )

    @_guarded
    def has_snapshot(self, folder_id: int) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM snapshots WHERE folder_id=?", (folder_id,)
            ).fetchone()
        return row is not None

    @_guarded
    def columns(self, folder_id: int) -> Columns:
        """The index columns: from the snapshot, else from the table (and snapshotted)."""
        with self._lock:
            row = self._db.execute(
                "SELECT uids, dates, bits FROM snapshots WHERE folder_id=?", (folder_id,)
            ).fetchone()
            if row is not None:
                uids, dates, bits = array("I"), array("q"), array("B")
                uids.frombytes(row[0])
                dates.frombytes(row[1])
                bits.frombytes(row[2])
                if len(uids) == len(dates) == len(bits):
                    return uids, dates, bits
            uids, dates, bits = array("I"), array("q"), array("B")
            for uid, date, flag_bits in self.index_columns(folder_id):
                uids.append(uid)
                dates.append(date)
                bits.append(flag_bits & 0xFF)
            self.put_snapshot(folder_id, (uids, dates, bits))
        return uids, dates, bits

    def index_columns(self, folder_id: int) -> Iterator[tuple[int, int, int]]:
        """(uid, date, bits) of every cached message, highest UID first."""
        mask = (1 << UID_BITS) - 1
        for k, date, bits in self._index_rows(folder_id):
            yield k & mask, date, bits

    @_guarded
    def _index_rows(self, folder_id: int) -> list[tuple[int, int, int]]:
        lo, hi = self._range(folder_id)
        return self._db.execute(
            "SELECT k, date, bits FROM marks WHERE k BETWEEN ? AND ? ORDER BY k DESC",
            (lo, hi),
        ).fetchall()

    @_guarded
    def uid_flags(self, folder_id: int) -> dict[int, str]:
        lo, hi = self._range(folder_id)
        mask = (1 << UID_BITS) - 1
        with self._lock:
            rows = self._db.execute(
                "SELECT k, flags FROM marks WHERE k BETWEEN ? AND ?", (lo, hi)
            ).fetchall()
        return {k & mask: flags for k, flags in rows}

    @_guarded
    def count(self, folder_id: int) -> int:
        lo, hi = self._range(folder_id)
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM marks WHERE k BETWEEN ? AND ?", (lo, hi)
            ).fetchone()
        return int(row[0])

    @_guarded
    def flags_of(self, folder_id: int, uids: Iterable[int]) -> dict[int, str]:
        with self._lock:
            out = {}
            for uid in uids:
                row = self._db.execute(
                    "SELECT flags FROM marks WHERE k=?", (key(folder_id, uid),)
                ).fetchone()
                if row is not None:
                    out[uid] = row[0]
        return out

    @_guarded
    def row(self, folder_id: int, uid: int) -> CachedRow | None:
        with self._lock:
            row = self._db.execute(
                "SELECT f.flags, f.date, m.size, m.raw FROM marks f JOIN messages m ON m.k = f.k "
                "WHERE f.k=?",
                (key(folder_id, uid),),
            ).fetchone()
        return CachedRow(uid, row[0], row[1], row[2], row[3]) if row else None

    @_guarded
    def rows_without_sort_keys(self, folder_id: int, limit: int) -> list[tuple[int, bytes]]:
        lo, hi = self._range(folder_id)
        with self._lock:
            return self._db.execute(
                "SELECT k, raw FROM messages WHERE k BETWEEN ? AND ? AND sort_from IS NULL LIMIT ?",
                (lo, hi, limit),
            ).fetchall()

    @_guarded
    def put_sort_keys(self, keys: Sequence[tuple[str, str, int]]) -> None:
        """``keys``: (sort_from, sort_subject, k)."""
        with self.transaction():
            self._db.executemany("UPDATE messages SET sort_from=?, sort_subject=? WHERE k=?", keys)

    @_guarded
    def uids_sorted(self, folder_id: int, column: str, descending: bool) -> list[int]:
        """UIDs ordered by ``column`` (date, sort_from, sort_subject), ties by UID."""
        if column not in ("date", "sort_from", "sort_subject"):
            raise ValueError(column)
        lo, hi = self._range(folder_id)
        order = "DESC" if descending else "ASC"
        mask = (1 << UID_BITS) - 1
        table = "marks" if column == "date" else "messages"
        with self._lock:
            rows = self._db.execute(
                f"SELECT k FROM {table} WHERE k BETWEEN ? AND ? ORDER BY {column} {order}, k DESC",
                (lo, hi),
            ).fetchall()
        return [k & mask for (k,) in rows]

    # -- pending flag changes ---------------------------------------------------------------------
    @_guarded
    def add_pending(
        self,
        account: str,
        folder: str,
        uidvalidity: int,
        uids: Iterable[int],
        add: Iterable[str],
        remove: Iterable[str],
    ) -> int:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO pending(account, folder, uidvalidity, uids, add_flags, remove_flags) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    account,
                    folder,
                    uidvalidity,
                    " ".join(map(str, uids)),
                    " ".join(add),
                    " ".join(remove),
                ),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    @_guarded
    def pending(self, account: str) -> list[PendingChange]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, folder, uidvalidity, uids, add_flags, remove_flags FROM pending "
                "WHERE account=? ORDER BY id",
                (account,),
            ).fetchall()
        return [
            PendingChange(
                r[0],
                r[1],
                r[2],
                tuple(int(u) for u in r[3].split()),
                tuple(r[4].split()),
                tuple(r[5].split()),
            )
            for r in rows
        ]

    @_guarded
    def done_pending(self, change_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM pending WHERE id=?", (change_id,))
