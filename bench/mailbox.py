"""Open a 100,000-message IMAP folder: cold, warm, resync, memory, IDLE, against a real Dovecot.

Baseline measured in the same run: T_wire = a raw socket ``UID FETCH 1:* (UID FLAGS INTERNALDATE
RFC822.SIZE ENVELOPE BODYSTRUCTURE)`` read to the tagged OK without parsing, and
``IMAPClient.fetch`` of the same fields (in 5,000-UID batches: imapclient 4.1 cannot send
``1:*`` and does not collapse UID lists).  The cold open runs in a fresh child process so that
its RSS growth is not hidden by memory the parent freed.

    python3 -m bench.mailbox [--messages N] [--json]
"""

from __future__ import annotations

import gc
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``tests`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import imapclient

from bench.common import Record, parser, progress, report
from smimetui.core.mail.imap.backend import ImapBackend
from smimetui.core.mail.imap.cached_index import CachedIndex
from smimetui.core.mail.imap.header_cache import HeaderCache
from tests.support.messages import make_message
from tests.support.servers.dovecot import Dovecot

USER, PASSWORD = "bench", "bench-password"
ITEMS = b"(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)"
FIRST_SCREEN_ROWS = 50


# -- raw socket baseline ---------------------------------------------------------------------
class RawImap:
    """A plain socket speaking just enough IMAP to time the wire."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._read_until(b"\r\n")
        self.n = 0

    def _read_until(self, end: bytes) -> int:
        total, tail = 0, b"\r\n"  # so a tagged line that comes first is found too
        while True:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("server closed the connection")
            total += len(chunk)
            window = tail + chunk
            if end in window:
                return total
            tail = window[-len(end) :]

    def command(self, text: bytes) -> int:
        """Send one command, read to its tagged completion; returns the bytes received."""
        self.n += 1
        tag = b"W%d" % self.n
        self.sock.sendall(tag + b" " + text + b"\r\n")
        return self._read_until(b"\r\n" + tag + b" ")

    def close(self) -> None:
        self.sock.close()


def login_select_seconds(port: int) -> float:
    start = time.perf_counter()
    raw = RawImap(port)
    raw.command(b"LOGIN %s %s" % (USER.encode(), PASSWORD.encode()))
    raw.command(b"SELECT INBOX")
    elapsed = time.perf_counter() - start
    raw.close()
    return elapsed


def wire(port: int, items: bytes = ITEMS) -> tuple[float, int]:
    """(seconds, bytes) for ``UID FETCH 1:* items`` on an already selected folder."""
    raw = RawImap(port)
    raw.command(b"LOGIN %s %s" % (USER.encode(), PASSWORD.encode()))
    raw.command(b"SELECT INBOX")
    start = time.perf_counter()
    size = raw.command(b"UID FETCH 1:* " + items)
    elapsed = time.perf_counter() - start
    raw.close()
    return elapsed, size


def noop_ms(port: int) -> float:
    raw = RawImap(port)
    raw.command(b"LOGIN %s %s" % (USER.encode(), PASSWORD.encode()))
    samples = []
    for _ in range(50):
        start = time.perf_counter()
        raw.command(b"NOOP")
        samples.append((time.perf_counter() - start) * 1000)
    raw.close()
    return statistics.median(samples)


def imapclient_seconds(port: int) -> float:
    client = imapclient.IMAPClient("127.0.0.1", port=port, ssl=False)
    client.login(USER, PASSWORD)
    client.select_folder("INBOX")
    start = time.perf_counter()
    uids = client.search()
    for i in range(0, len(uids), 5000):
        client.fetch(
            uids[i : i + 5000],
            ["UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE"]
            + [
                "ENVELOPE",
                "BODYSTRUCTURE",
            ],
        )
    elapsed = time.perf_counter() - start
    client.logout()
    return elapsed


# -- ours -------------------------------------------------------------------------------------
def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def backend(port: int, cache: HeaderCache, **kw: object) -> ImapBackend:
    return ImapBackend(
        account="bench",
        host="127.0.0.1",
        port=port,
        security="none",
        username=USER,
        password=lambda: PASSWORD,
        cache=cache,
        **kw,  # type: ignore[arg-type]
    )


def child_cold(port: int, cache_path: str) -> None:
    """In a fresh process: cold open, first screen time, full time, RSS growth; JSON on stdout."""
    gc.collect()
    before = rss()
    start = time.perf_counter()
    first: list[float] = []
    cache = HeaderCache(cache_path)
    b = backend(port, cache)

    def on_progress(done: int, total: int) -> None:
        if not first:
            index = b.cached_index("INBOX")
            assert index is not None
            for p in range(min(FIRST_SCREEN_ROWS, len(index))):
                index.summary(p)
            first.append(time.perf_counter() - start)

    index = b.open_folder("INBOX", on_progress)
    full = time.perf_counter() - start
    assert isinstance(index, CachedIndex)
    del index  # the sortable arrays stay in the backend, as in the TUI
    gc.collect()
    index = b.cached_index("INBOX")
    assert index is not None
    gc.collect()
    after = rss()
    json.dump(
        {
            "first": first[0] if first else full,
            "full": full,
            "rss": after - before,
            "n": len(index),
        },
        sys.stdout,
    )
    b.close()


def run_child(port: int, cache_path: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.mailbox", "--child-cold", str(port), cache_path],
        cwd=Path(__file__).resolve().parent.parent,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def timed_open(b: ImapBackend) -> float:
    start = time.perf_counter()
    b.open_folder("INBOX")
    return time.perf_counter() - start


def fresh_open(port: int, cache: HeaderCache) -> float:
    """Warm open by a new backend: the index comes from the cache, not from memory."""
    b = backend(port, cache)
    try:
        return timed_open(b)
    finally:
        b.close()


def change_folder(port: int, n: int, rng: random.Random) -> tuple[int, int, int]:
    """1,000 flag changes, 500 new and 200 expunged messages (scaled down for small N)."""
    flags, new, gone = min(1000, n // 10), min(500, n // 20), min(200, n // 50)
    client = imapclient.IMAPClient("127.0.0.1", port=port, ssl=False)
    client.login(USER, PASSWORD)
    client.select_folder("INBOX")
    uids = client.search()
    targets = rng.sample(uids, flags + gone)
    client.add_flags(targets[:flags], [b"\\Flagged"], silent=True)
    client.add_flags(targets[flags:], [b"\\Deleted"], silent=True)
    client.expunge()
    for i in range(new):
        client.append("INBOX", make_message(rng, n + i))
    client.logout()
    return flags, new, gone


def idle_latency(port: int, cache: HeaderCache, rounds: int = 7) -> float:
    """Median ms from our IDLE connection reading EXISTS to the new row being in our index.

    The backend stamps ``last_exists_at`` as soon as the IDLE connection has read EXISTS;
    ``on_change`` stamps the moment it finds the row in ``cached_index`` (no sync of its own:
    the IDLE connection fetches new summaries itself)."""
    b = backend(port, cache)
    b.open_folder("INBOX")
    arrived = threading.Event()
    expected: list[int] = []
    latency: list[float] = []

    def on_change() -> None:
        index = b.cached_index("INBOX")
        if arrived.is_set() or not expected or index is None:
            return
        if index.position_of(expected[0]) is not None:
            latency[:] = [(time.perf_counter() - b.last_exists_at) * 1000]
            arrived.set()

    stop = threading.Event()
    watcher = threading.Thread(target=b.idle, args=("INBOX", on_change, stop), daemon=True)
    watcher.start()
    time.sleep(1.0)
    other = imapclient.IMAPClient("127.0.0.1", port=port, ssl=False)
    other.login(USER, PASSWORD)
    samples = []
    for i in range(rounds):
        arrived.clear()
        uidnext = other.folder_status("INBOX", [b"UIDNEXT"])[b"UIDNEXT"]
        expected[:] = [int(uidnext)]
        other.append("INBOX", b"Subject: idle %d\r\n\r\nping\r\n" % i)
        if arrived.wait(10):
            samples.append(latency[0])
        time.sleep(0.2)
    other.logout()
    stop.set()
    watcher.join(5)
    b.close()
    return statistics.median(samples) if samples else float("inf")


def warm_server(port: int) -> None:
    """Let Dovecot build what our client's first ENABLE QRESYNC + SELECT would otherwise make it
    build during the timed cold open (modseq tracking, indexes), so both sides meet a warm
    server."""
    raw = RawImap(port)
    raw.command(b"LOGIN %s %s" % (USER.encode(), PASSWORD.encode()))
    raw.command(b"ENABLE QRESYNC")
    raw.command(b"SELECT INBOX (CONDSTORE)")
    raw.command(b"UID FETCH 1:* (UID MODSEQ)")
    raw.close()


def fill(server: Dovecot, n: int) -> None:
    rng = random.Random(20251127)
    batch: list[bytes] = []
    for i in range(n):
        batch.append(make_message(rng, i))
        if len(batch) == 10000:
            server.write_maildir(USER, batch)
            batch = []
    if batch:
        server.write_maildir(USER, batch)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child-cold"]:
        child_cold(int(argv[1]), argv[2])
        return 0
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=100_000)
    args = p.parse_args(argv)
    n = args.messages
    server = Dovecot.create()
    workdir = Path(tempfile.mkdtemp(prefix="smimetui-bench-"))
    try:
        server.add_user(USER, PASSWORD)
        progress(f"generating {n} messages")
        fill(server, n)
        server.start()
        port = server.imap_port
        progress("letting Dovecot index and cache the folder (QRESYNC enabled once)")
        warm_server(port)
        wire(port)
        t_wire, wire_bytes = min(wire(port), wire(port))
        login_select = min(login_select_seconds(port) for _ in range(5))
        progress("IMAPClient.fetch baseline")
        t_imapclient = imapclient_seconds(port)
        progress("cold open (child process)")
        cache_path = str(workdir / "headers.sqlite3")
        cold = run_child(port, cache_path)
        progress("warm open")
        cache = HeaderCache(cache_path)
        t_warm = min(fresh_open(port, cache) for _ in range(3))  # as after restarting smimetui
        warm_backend = backend(port, cache)
        warm_backend.open_folder("INBOX")
        sweep_cache_path = str(workdir / "sweep.sqlite3")
        sweep_cache = HeaderCache(sweep_cache_path)  # a copy: no-extension syncs store no MODSEQ
        cache._db.backup(sweep_cache._db)
        sweep_backend = backend(port, sweep_cache, use_extensions=False)
        t_sweep = min(timed_open(sweep_backend) for _ in range(2))
        t_flags_wire, _ = wire(port, b"(UID FLAGS)")
        progress("resync after changes")
        # The running app: its connection has had the folder selected since the last sync.
        flags, new, gone = change_folder(port, n, random.Random(7))
        started = time.perf_counter()  # the whole call: refreshing the folder's state included
        stats = warm_backend.sync("INBOX")
        t_resync = time.perf_counter() - started
        t_refresh = warm_backend.last_refresh_seconds
        # The app starting: a new process over the same cache, after as many changes again.
        warm_backend.close()
        change_folder(port, n, random.Random(8))
        start_backend = backend(port, cache)
        started = time.perf_counter()  # login, SELECT, resync, index from the cache
        start_backend.open_folder("INBOX")
        t_resync_start = time.perf_counter() - started
        t_start_refresh = start_backend.last_refresh_seconds
        start_stats = start_backend.last_sync
        assert start_stats is not None and not start_stats.live and not start_stats.cold
        start_backend.close()
        progress("IDLE")
        t_idle = idle_latency(port, cache)
        t_noop = noop_ms(port)
        sweep_backend.close()
        sweep_cache.close()
        cache.close()
    finally:
        server.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
    per_message_wire = wire_bytes / n
    records = [
        Record.of(
            "cold_first_screen",
            cold["first"],
            t_wire,
            t_wire / (login_select + 0.1 * t_wire),
            "seconds / T_wire",
        ),
        Record.of("cold_full", cold["full"], t_wire, 0.5, "seconds / T_wire"),
        Record.of(
            "cold_vs_imapclient", cold["full"], t_imapclient, 7, "seconds / IMAPClient.fetch"
        ),
        Record.of("warm", t_warm, cold["full"], 20, "seconds / cold_full seconds"),
        Record.of("resync", t_resync, cold["full"], 50, "seconds / cold_full seconds"),
        Record.of(
            "memory_bytes_per_message",
            cold["rss"] / n,
            per_message_wire,
            per_message_wire / 320,
            "RSS bytes per message / raw response bytes per message",
        ),
        Record.of("idle_ms", t_idle, t_noop, t_noop / 100, "ms EXISTS->index / NOOP round trip"),
    ]
    notes = [
        f"messages {n}; T_wire {t_wire:.3f} s for {wire_bytes / 1e6:.1f} MB; "
        f"LOGIN+SELECT {login_select * 1000:.1f} ms; server warmed (ENABLE QRESYNC, SELECT, "
        "one full fetch) before either side was timed",
        f"warm open {t_warm * 1000:.1f} ms = {t_warm / t_wire:.3f} x T_wire (goal <= 0.25)",
        f"no extensions: warm open with FLAGS sweep {t_sweep:.3f} s, its wire time "
        f"{t_flags_wire:.3f} s = {t_sweep / t_flags_wire:.2f}x (goal <= 3x)",
        f"resync: {flags} flag changes, {new} new, {gone} expunged in {t_resync * 1000:.1f} ms "
        f"on the running app's connection, the folder selected since its last sync "
        f"({'NOOP, no SELECT' if stats.live else 'SELECT'} {t_refresh * 1000:.1f} ms, "
        f"then {stats.seconds * 1000:.1f} ms of fetching and storing); "
        f"{stats.bytes_read} bytes read, changed items {new} new x {per_message_wire:.0f} B + "
        f"{flags} flags = {stats.bytes_read / (new * per_message_wire + flags * 60):.2f}x "
        "(goal <= 1.5x, flag item ~60 B)",
        f"resync at app start (new connection: LOGIN, SELECT, resync, index from the cache) "
        f"after as many changes again: {t_resync_start * 1000:.1f} ms (SELECT "
        f"{t_start_refresh * 1000:.1f} ms) = "
        f"{cold['full'] / t_resync_start:.1f}x faster than cold_full",
    ]
    report(records, as_json=args.json, notes=() if args.json else notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
