"""Stable UIDs for a Maildir folder: a small map file from filename key to number.

Format (one file per folder, ``smimetui-uidlist``)::

    smimetui-uidlist 1 <uidvalidity> <next uid>
    <uid> <key>
    ...

Keys are the unique part of a Maildir filename (before ``:2,``), which survives flag changes and
the move from ``new`` to ``cur``.  Updates hold an exclusive lock on a sibling lock file and
replace the map atomically, so the TUI and a CLI command can run at the same time.  A missing or
unreadable map starts over with a new UIDVALIDITY, which tells caches to forget the folder.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from smimetui.core.errors import BackendError
from smimetui.core.settings.home import private_file

_MAGIC = "smimetui-uidlist"
_VERSION = "1"


class UidMap:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.validity = 0
        self.next_uid = 1
        self.uids: dict[str, int] = {}
        self._dirty = False
        self._lock_fd = -1

    def __enter__(self) -> UidMap:
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            self._lock_fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            raise BackendError(
                f"The Maildir folder {self.path.parent} is not writable ({err.strerror}); "
                "smimetui keeps its message numbers there."
            ) from err
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._read()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._dirty and exc_type is None:
                self._write()
        finally:
            os.close(self._lock_fd)

    def _read(self) -> None:
        try:
            lines = self.path.read_text("utf-8", errors="surrogateescape").splitlines()
            magic, version, validity, next_uid = lines[0].split()
            if magic != _MAGIC or version != _VERSION:
                raise ValueError("unknown format")
            self.validity, self.next_uid = int(validity), int(next_uid)
            for line in lines[1:]:
                uid, key = line.split(" ", 1)
                self.uids[key] = int(uid)
        except (FileNotFoundError, ValueError, IndexError):
            self.uids = {}
            self.validity = int(time.time())
            self.next_uid = 1
            self._dirty = True

    def _write(self) -> None:
        lines = [f"{_MAGIC} {_VERSION} {self.validity} {self.next_uid}"]
        lines += [f"{uid} {key}" for key, uid in sorted(self.uids.items(), key=lambda kv: kv[1])]
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            private_file(tmp).write_text("\n".join(lines) + "\n", "utf-8", errors="surrogateescape")
            os.replace(tmp, self.path)
        except OSError as err:
            raise BackendError(
                f"The message numbers of {self.path.parent} could not be saved: {err.strerror}."
            ) from err

    def update(self, present: Iterable[str]) -> dict[str, int]:
        """Keep uids of keys still present, number new keys in the given order, drop the rest."""
        present = [k for k in present if "\n" not in k]
        keep = set(present)
        if any(k not in keep for k in self.uids):
            self.uids = {k: u for k, u in self.uids.items() if k in keep}
            self._dirty = True
        for key in present:
            if key not in self.uids:
                self.uids[key] = self.next_uid
                self.next_uid += 1
                self._dirty = True
        return dict(self.uids)
