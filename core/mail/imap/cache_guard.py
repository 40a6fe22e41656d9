"""Keeping the header cache a cache: whatever happens to its file, one sentence, never a traceback.

The cache only holds what the server has (plus the journal of flag changes not yet sent), so:

* a **damaged** file (truncated, a garbage header, garbage in the middle) is moved aside to
  ``headers.sqlite3.damaged-<time>`` (with its ``-wal``/``-shm``), the journal is salvaged when it
  can still be read, and a new cache is started; the user is told in one line;
* a **locked** file (another process holds the write lock) is waited for, up to a bounded
  timeout, then it is one sentence; opening retries the WAL switch too, which SQLite refuses at
  once (without its busy handler) when two processes create the cache together;
* a **full disk** (SQLITE_FULL) is one sentence, and the transaction is rolled back, so a
  long-running reader is never left inside a failed transaction and the next run recovers.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from pathlib import Path

from smimetui.core.errors import CacheDamagedError, CacheError

BUSY_TIMEOUT = 10.0  # seconds another process may hold the cache's write lock before we say so

_DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_LOCKED = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _code(exc: sqlite3.Error) -> int:
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def is_damaged(exc: sqlite3.Error) -> bool:
    return _code(exc) in _DAMAGED or "malformed" in str(exc) or "not a database" in str(exc)


def is_locked(exc: sqlite3.Error) -> bool:
    return _code(exc) in _LOCKED or "locked" in str(exc)


def failure(exc: sqlite3.Error, path: str, busy_timeout: float) -> CacheError:
    """The sentence for a cache failure that is not damage (damage is repaired, see below)."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if is_locked(exc):
        return CacheError(
            f"The header cache {path} is locked by another program (another smimetui running "
            f"a sync?) and stayed locked for {busy_timeout:g} s; try again when it has finished.",
            title="Cache locked",
        )
    if _code(exc) == sqlite3.SQLITE_FULL:
        return CacheError(
            f"The disk holding the header cache {path} is full ({reason}); nothing was lost and "
            "the change was rolled back: free some space and try again.",
            title="Disk full",
        )
    return CacheError(
        f"The header cache {path} could not be used ({reason}); check the file and its folder, "
        "or delete the file: it is rebuilt from the server.",
    )


def move_aside(path: str, exc: sqlite3.Error) -> Path:
    """Rename the cache file and its WAL/SHM files out of the way; returns the new name.
    ``exc`` is the damage found, for the sentence when even that fails."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = Path(f"{path}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = Path(f"{path}.damaged-{stamp}-{n}")
    try:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(path + suffix, str(target) + suffix)
    except OSError as err:
        raise CacheError(
            f"The header cache {path} is damaged ({' '.join(str(exc).split())}) and could not "
            f"be moved aside ({err.strerror}); delete it: it is rebuilt from the server.",
        ) from err
    return target


def make_folder(path: str) -> None:
    """Create the cache's folder (private to the user), or say why it cannot be."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as err:
        raise CacheError(
            f"The folder of the header cache {path} could not be created ({err.strerror}); "
            "check the permissions of your home's cache folder.",
        ) from err


def damaged_notice(path: str, aside: Path, exc: sqlite3.Error, journal_lost: bool) -> str:
    reason = " ".join(str(exc).split())
    lost = (
        " Any flag changes not yet sent to the server could not be recovered from it."
        if journal_lost
        else ""
    )
    return (
        f"The header cache {path} was damaged ({reason}); it was moved aside to {aside.name} "
        f"and a new one is being built from the server.{lost}"
    )


def damaged_error(notice: str) -> CacheDamagedError:
    return CacheDamagedError(f"{notice} Run the command again.", details=notice)


def pause(deadline: float) -> bool:
    """Sleep a little (jittered, so two waiting processes do not retry in step); False once
    ``deadline`` has passed."""
    if time.monotonic() >= deadline:
        return False
    time.sleep(random.uniform(0.02, 0.1))
    return True


def salvage_journal(db: sqlite3.Connection) -> list[tuple[object, ...]] | None:
    """The journal of unsent flag changes from a damaged cache, when it can still be read."""
    try:
        return db.execute(
            "SELECT account, folder, uidvalidity, uids, add_flags, remove_flags FROM pending "
            "ORDER BY id"
        ).fetchall()
    except sqlite3.Error:
        return None
