"""Open the first folder while the mail reader is still starting.

Its first screen waits for two things: Textual (importing and starting it takes a few tenths of
a second) and the folder (login, SELECT, then the first batch or the cache).  ``FolderOpening``
starts the second in a thread of its own as soon as the account is known, before Textual is
imported, so the two overlap.  The mailbox screen's worker then takes the running call over
(:meth:`result`), with its progress so far, instead of starting another one
(``MailSession.open_early`` and ``open_folder``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from smimetui.core.mail.base import FolderIndex, Progress

ATTACH_WAIT = 10.0  # seconds a cold sync waits after its first batch for the app to start


class FolderOpening:
    """One ``open_folder(folder, progress)`` call running in a daemon thread."""

    def __init__(self, folder: str, open_folder: Callable[[str, Progress], FolderIndex]) -> None:
        self.folder = folder
        self._open = open_folder
        self._lock = threading.Lock()
        self._listener: Progress | None = None
        self._last: tuple[int, int] | None = None
        self._done = threading.Event()
        self._index: FolderIndex | None = None
        self._error: BaseException | None = None
        self._attached = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"open {folder}", daemon=True)

    def start(self) -> FolderOpening:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._index = self._open(self.folder, self._progress)
        except BaseException as exc:  # handed to whoever takes the result
            self._error = exc
        finally:
            self._done.set()

    def _progress(self, done: int, total: int) -> None:
        with self._lock:
            self._last = (done, total)
            listener = self._listener
        if listener is None:
            # A cold sync's first batch is in while the app is still starting: the rest of the
            # folder waits for the app (parsing it would take the CPU the app needs to start).
            self._attached.wait(ATTACH_WAIT)
            return
        listener(done, total)

    def result(self, progress: Progress | None = None) -> FolderIndex:
        """Wait for the folder (progress so far is replayed to ``progress`` first); raises what
        the call raised."""
        if progress is not None:
            with self._lock:
                self._listener, last = progress, self._last
            if last is not None:
                progress(*last)
        self._attached.set()
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._index is not None
        return self._index
