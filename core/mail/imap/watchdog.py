"""A deadline per IMAP command: a server that never ends its answer is cut off.

The socket timeout only catches silence.  A server that keeps sending (untagged responses for
ever, a literal that never ends) would keep a command running for ever, so each command runs
under a :class:`Watchdog` that shuts the socket down when the deadline passes; the blocked read
then fails, and the caller, seeing :attr:`Watchdog.fired`, says so in one sentence instead of
retrying.  ``extend()`` restarts the clock when one of several pipelined commands completes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType

COMMAND_TIMEOUT = 120.0  # seconds one command may take (a 5,000-summary batch on a slow link)


class Watchdog:
    def __init__(self, seconds: float, cut: Callable[[], None]) -> None:
        self.seconds = seconds
        self._cut = cut
        self.fired = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._active = False

    def __enter__(self) -> Watchdog:
        with self._lock:
            self._active = True
        self.extend()
        return self

    def extend(self) -> None:
        """Start the clock again (a command finished; the next one gets its own deadline).
        Outside the ``with`` block it does nothing: a stale reference arms nothing."""
        with self._lock:
            if not self._active:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.seconds, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if threading.current_thread() is not self._timer:
                return  # cancelled or replaced meanwhile
            self.fired = True
        self._cut()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:
            self._active = False
            if self._timer is not None:
                self._timer.cancel()
            self._timer = None


def cut_socket(sock: socket.socket | None) -> None:
    """Shut a socket down under a reader blocked on it (the base method: an SSLSocket's own
    shutdown would tear down its TLS state under the reading thread)."""
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
