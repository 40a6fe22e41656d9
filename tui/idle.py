"""New mail while the app runs: IMAP IDLE in an App-level, long-lived thread worker.

``ImapBackend.idle`` watches a folder on a connection of its own, reconnecting with capped
exponential backoff, until its stop event is set.  The event here is also set by the worker's
cancellation (the app quitting, or another folder being watched), so the thread always ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from textual.worker import Worker

_SLICE = 0.25  # seconds between looks at the worker's cancellation while waiting


class CancelAwareStop(threading.Event):
    """A stop event that is also set once ``worker`` is cancelled."""

    def __init__(self, worker: Worker[Any]) -> None:
        super().__init__()
        self.worker = worker

    def is_set(self) -> bool:
        return super().is_set() or self.worker.is_cancelled

    def wait(self, timeout: float | None = None) -> bool:
        remaining = timeout
        while not self.is_set():
            step = _SLICE if remaining is None else min(_SLICE, remaining)
            if step <= 0:
                return False
            super().wait(step)
            if remaining is not None:
                remaining -= step
        return True


@runtime_checkable
class Watchable(Protocol):
    """A mail store that can report changes as they happen (IMAP IDLE; Maildir cannot)."""

    def idle(self, folder: str, on_change: Callable[[], None], stop: threading.Event) -> None: ...


def can_watch(backend: object) -> bool:
    return isinstance(backend, Watchable)


def watch(
    backend: Watchable, folder: str, changed: Callable[[], None], worker: Worker[Any]
) -> None:
    """Block until cancelled, calling ``changed`` (thread-safe) on each change in ``folder``."""
    stop = CancelAwareStop(worker)
    backend.idle(folder, changed, stop)
