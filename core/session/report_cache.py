"""The security reports already verified, by (folder, uid): scrolling back never verifies twice."""

from __future__ import annotations

import threading
from collections import OrderedDict

from smimetui.core.read.report import SecurityReport

REPORTS_KEPT = 2048  # enough for the rows a screen shows many times over; a report is small


class ReportCache:
    """LRU of security reports by (folder, uid); thread-safe (workers fill it, the UI reads)."""

    def __init__(self, size: int = REPORTS_KEPT) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int], SecurityReport] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def get(self, folder: str, uid: int) -> SecurityReport | None:
        with self._lock:
            report = self._items.get((folder, uid))
            if report is not None:
                self._items.move_to_end((folder, uid))
            return report

    def put(self, folder: str, uid: int, report: SecurityReport) -> None:
        with self._lock:
            self._items[(folder, uid)] = report
            self._items.move_to_end((folder, uid))
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def forget(self, folder: str, uid: int | None = None) -> None:
        """Drop the report of one message, or (``uid`` None) of every message in ``folder``."""
        with self._lock:
            for key in [k for k in self._items if k[0] == folder and uid in (None, k[1])]:
                del self._items[key]

    def clear(self) -> None:
        """Drop every report (a root was trusted: verdicts may change)."""
        with self._lock:
            self._items.clear()
