"""A TCP proxy on loopback between the client and a real IMAP server, for fault tests.

Every byte the client and the server exchange goes through the proxy; a :class:`Fault` decides
what each direction sees.  Faults are real network behaviour (a cut connection, a stall, a
damaged literal, injected responses), never a mock of the client's code.  Faults that look at
the server's side frame the stream into IMAP responses (following ``{n}`` literals) with
:class:`Frames`, so that a chunk boundary never hides what they look for.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable, Iterator

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class Frames:
    """Cuts a byte stream into complete IMAP responses (CRLF and literals included)."""

    def __init__(self) -> None:
        self.buf = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        self.buf += data
        while True:
            end = self._end()
            if end < 0:
                return
            frame, self.buf = self.buf[:end], self.buf[end:]
            yield frame

    def _end(self) -> int:
        pos = 0
        while True:
            nl = self.buf.find(b"\r\n", pos)
            if nl < 0:
                return -1
            m = _LITERAL.search(self.buf, 0, nl + 2)
            if m is not None and m.end() == nl + 2:
                pos = nl + 2 + int(m.group(1))
                if pos > len(self.buf):
                    return -1
                continue
            return nl + 2


class Link:
    """One proxied connection: the client's socket and the server's."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client = client
        self.server = server
        self.closed = threading.Event()

    def to_client(self, data: bytes) -> None:
        if data:
            self.client.sendall(data)

    def to_server(self, data: bytes) -> None:
        if data:
            self.server.sendall(data)

    def cut(self) -> None:
        """Close both sides at once, as a crashed server or a dead network would."""
        self.closed.set()
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class Fault:
    """Pass everything through; subclasses change one direction or the other."""

    def from_client(self, link: Link, data: bytes) -> None:
        link.to_server(data)

    def from_server(self, link: Link, data: bytes) -> None:
        link.to_client(data)


class FaultProxy:
    """Listens on a free loopback port and forwards to ``127.0.0.1:target``.

    ``fault`` makes a new :class:`Fault` for each connection (so faults keep per-connection
    state); ``refuse`` makes the proxy accept connections and close them at once, as a server
    that is going down (or any listener that is not the server) does."""

    def __init__(self, target: int, fault: Callable[[], Fault] = Fault) -> None:
        self.target = target
        self.fault = fault
        self.refuse = False
        self.accepted = 0
        self.links: list[Link] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            if self.refuse:
                with contextlib.suppress(OSError):
                    client.shutdown(socket.SHUT_RDWR)
                client.close()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            link = Link(client, server)
            self.links.append(link)
            fault = self.fault()
            for reader, handler in ((client, fault.from_client), (server, fault.from_server)):
                threading.Thread(
                    target=self._pump, args=(link, reader, handler), daemon=True
                ).start()

    @staticmethod
    def _pump(link: Link, reader: socket.socket, handler: Callable[[Link, bytes], None]) -> None:
        try:
            while not link.closed.is_set():
                data = reader.recv(65536)
                if not data:
                    break
                handler(link, data)
        except OSError:
            pass
        link.cut()

    def cut_all(self) -> None:
        for link in self.links:
            link.cut()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self.cut_all()


# -- faults on the server's side, response by response ----------------------------------------
class FramedFault(Fault):
    """Sees the server's stream response by response (until ``raw`` is set: TLS after STARTTLS)."""

    def __init__(self) -> None:
        self.frames = Frames()
        self.raw = False
        self.client_lines: list[bytes] = []

    def from_client(self, link: Link, data: bytes) -> None:
        self.client_lines.append(data)
        link.to_server(data)

    def from_server(self, link: Link, data: bytes) -> None:
        if self.raw:
            link.to_client(data)
            return
        for frame in self.frames.feed(data):
            self.response(link, frame)

    def response(self, link: Link, frame: bytes) -> None:
        link.to_client(frame)


class HalveLiteral(FramedFault):
    """In the first ``times`` FETCH responses with a literal after ``ENVELOPE``, send only half of
    the literal's bytes (its announced length unchanged): the stream goes on, misframed."""

    def __init__(self, times: int = 1) -> None:
        super().__init__()
        self.left = times
        self.damaged = 0

    def response(self, link: Link, frame: bytes) -> None:
        env = frame.find(b"ENVELOPE (")
        m = re.compile(rb"\{(\d+)\}\r\n").search(frame, env) if env >= 0 else None
        if self.left and b" FETCH (" in frame and m is not None and int(m.group(1)) >= 2:
            self.left -= 1
            self.damaged += 1
            half = int(m.group(1)) // 2
            frame = frame[: m.end() + half] + frame[m.end() + int(m.group(1)) :]
        link.to_client(frame)


class InjectBeforeTls(FramedFault):
    """Injects ``lines`` in clear text just before the server's answer to STARTTLS (as a man in
    the middle can), then passes the TLS session through untouched."""

    def __init__(self, lines: bytes) -> None:
        super().__init__()
        self.lines = lines

    def response(self, link: Link, frame: bytes) -> None:
        if any(b"STARTTLS" in c.upper() for c in self.client_lines) and not frame.startswith(b"*"):
            link.to_client(self.lines + frame)
            self.raw = True
            return
        link.to_client(frame)


class OnCommand(FramedFault):
    """Once the client sends a command containing ``trigger``, ``act(link)`` takes over the
    server's side: the server's own answer to it is never forwarded."""

    def __init__(self, trigger: bytes, act: Callable[[Link], None]) -> None:
        super().__init__()
        self.trigger = trigger
        self.act = act
        self.fired = False

    def from_client(self, link: Link, data: bytes) -> None:
        if not self.fired and self.trigger in data:
            self.fired = True
            threading.Thread(target=self._run, args=(link,), daemon=True).start()
            return
        super().from_client(link, data)

    def from_server(self, link: Link, data: bytes) -> None:
        if not self.fired:
            super().from_server(link, data)

    def _run(self, link: Link) -> None:
        with contextlib.suppress(OSError):
            self.act(link)


def flood(link: Link) -> None:
    """Untagged responses for ever (until the client goes away)."""
    line = b"* OK still working on it\r\n" * 200
    while not link.closed.is_set():
        link.to_client(line)


def huge_literal(size: int) -> Callable[[Link], None]:
    """A FETCH response announcing a ``size``-byte literal, then its bytes for as long as the
    client reads them."""

    def act(link: Link) -> None:
        link.to_client(b"* 1 FETCH (UID 1 ENVELOPE {%d}\r\n" % size)
        block = b"x" * 65536
        sent = 0
        while sent < size and not link.closed.is_set():
            link.to_client(block)
            sent += len(block)

    return act


def cut_after(nbytes: int) -> Callable[[Link], None]:
    """Forward nothing more; cut the connection (``nbytes`` of junk first, as a half-sent
    response from a server that died)."""

    def act(link: Link) -> None:
        link.to_client(b"* 1 FETCH (UID 1 FLAGS (\\Seen) ENVELOPE ("[:nbytes])
        link.cut()

    return act
