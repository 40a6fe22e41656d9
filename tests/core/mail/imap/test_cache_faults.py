"""A damaged, locked or full header cache: one sentence, nothing lost, the next run recovers.

The cache is disposable (the server has everything but the journal of unsent flag changes), so a
damaged file is moved aside and rebuilt; a lock held by another process is waited for up to a
bounded timeout; a full disk rolls the transaction back.  Faults are real: bytes overwritten in
the file, a second process holding SQLite's write lock, a tiny tmpfs (or, where mounting is not
allowed, SQLite's own SQLITE_FULL through ``max_page_count``)."""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.errors import CacheError
from smimetui.core.mail.imap.backend import ImapBackend
from smimetui.core.mail.imap.header_cache import HeaderCache
from smimetui.core.settings.home import Home
from tests.support.messages import make_message
from tests.support.servers.imap import MailUser

from .test_imap_resync import truth

pytestmark = pytest.mark.dovecot

Make = Callable[..., ImapBackend]


def seed(user: MailUser, count: int, folder: str = "INBOX") -> None:
    rng = random.Random(7)
    user.server.write_maildir(user.name, [make_message(rng, i) for i in range(count)], folder)


def rows(backend: ImapBackend, folder: str = "INBOX") -> list[object]:
    index = backend.open_folder(folder)
    return [index.summary(p) for p in range(len(index))]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def imap_home(home: Home, mail_user: MailUser, capsys: pytest.CaptureFixture[str]) -> Home:
    code, _, err = cli(
        capsys, "account", "add", "t", "--email", f"{mail_user.name}@example.org",
        "--imap-host", "127.0.0.1", "--imap-port", str(mail_user.server.imap_port),
        "--imap-security", "none", "--username", mail_user.name,
        "--password-command", f"echo {mail_user.password}",
    )  # fmt: skip
    assert code == 0, err
    return home


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(data)


class TestDamaged:
    @pytest.mark.parametrize(
        "damage",
        [
            pytest.param(lambda p: overwrite(p, 0, b"this is not SQLite at all" * 8), id="header"),
            pytest.param(lambda p: os.truncate(p, p.stat().st_size // 3), id="truncated"),
            pytest.param(
                lambda p: overwrite(p, p.stat().st_size // 2, b"\xff" * (3 * 4096)), id="middle"
            ),
        ],
    )
    def test_cli_moves_it_aside_and_rebuilds(
        self,
        damage: Callable[[Path], None],
        imap_home: Home,
        mail_user: MailUser,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        seed(mail_user, 300)
        code, out, err = cli(capsys, "list", "--json")
        assert code == 0, err
        expected = out
        damage(imap_home.cache_db)
        said: list[str] = []
        for _ in range(2):  # damage found at open is repaired at once; deep inside, next run
            code, out, err = cli(capsys, "list", "--json")
            assert "Traceback" not in err and err.count("\n") <= 1
            said.append(err)
            if code == 0:
                break
            assert code == 2 and "moved aside" in err and "again" in err
        assert code == 0 and out == expected
        assert any("was damaged" in e and "moved aside" in e for e in said), said
        aside = list(imap_home.cache_db.parent.glob("headers.sqlite3.damaged-*"))
        assert [p.name for p in aside if not p.name.endswith(("-wal", "-shm"))]
        code, out, err = cli(capsys, "list", "--json")
        assert (code, out, err) == (0, expected, "")  # the new cache is a good one

    def test_journal_survives_when_it_can_be_read(
        self, make_backend: Make, mail_user: MailUser, tmp_path: Path
    ) -> None:
        path = tmp_path / "c.sqlite3"
        cache = HeaderCache(path)
        cache.add_pending(mail_user.name, "INBOX", 5, [1, 2], ["\\Flagged"], [])
        folder = cache.begin_folder(mail_user.name, "INBOX", 5)
        cache.close()
        db = sqlite3.connect(path)  # damage the folders table's page only
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name='folders'").fetchone()
        db.close()
        overwrite(path, (root - 1) * 4096, b"\x0d" + b"\xff" * 4095)
        cache = HeaderCache(path)
        with pytest.raises(CacheError, match="moved aside"):
            cache.folder_state(mail_user.name, "INBOX")
        assert [c.uids for c in cache.pending(mail_user.name)] == [(1, 2)]
        assert cache.folder_state(mail_user.name, "INBOX") is None and folder.id
        cache.close()


def test_a_cache_folder_that_cannot_be_made_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    with pytest.raises(CacheError) as err:
        HeaderCache(tmp_path / "cache" / "headers.sqlite3")
    assert "could not be created" in str(err.value) and str(err.value).endswith(".")


LOCKER = textwrap.dedent(
    """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT OR REPLACE INTO meta VALUES ('locker', 'x')")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    db.execute("COMMIT")
    """
)


@contextlib.contextmanager
def locked(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


class TestLocked:
    def test_write_lock_held_elsewhere_is_one_sentence_in_bounded_time(
        self, mail_user: MailUser, tmp_path: Path
    ) -> None:
        seed(mail_user, 20)
        path = tmp_path / "c.sqlite3"
        cache = HeaderCache(path, busy_timeout=1.0)
        backend = mail_user.backend(cache=cache)
        try:
            with locked(path, 30):
                started = time.monotonic()
                with pytest.raises(CacheError) as err:
                    backend.sync("INBOX")
                assert time.monotonic() - started < 5
                assert "locked by another program" in str(err.value)
                assert str(err.value).endswith(".") and "\n" not in str(err.value)
            assert rows(backend) == truth(mail_user)  # same process, same connection: recovers
        finally:
            backend.close()
            cache.close()

    def test_waits_for_a_short_lock(self, mail_user: MailUser, tmp_path: Path) -> None:
        seed(mail_user, 5)
        path = tmp_path / "c.sqlite3"
        HeaderCache(path).close()
        cache = HeaderCache(path, busy_timeout=10.0)
        backend = mail_user.backend(cache=cache)
        try:
            with locked(path, 1.0) as proc:
                assert rows(backend) == truth(mail_user)
                assert proc.wait(5) == 0  # the other side finished its own write
        finally:
            backend.close()
            cache.close()

    def test_processes_creating_the_cache_together(self, tmp_path: Path) -> None:
        script = textwrap.dedent(
            """
            import sys, time
            from smimetui.core.mail.imap.header_cache import HeaderCache
            start = float(sys.argv[2])
            while time.time() < start:
                pass
            cache = HeaderCache(sys.argv[1])
            state = cache.begin_folder("a", "INBOX" + sys.argv[3], 1)
            for j in range(5):  # a cold sync's batches
                batch = range(j * 1000 + 1, j * 1000 + 1001)
                cache.put_rows(state.id, [(u, 0, 0, 1, 0, "", b"()" * 100) for u in batch])
                cache.set_folder_state(state.id, highestmodseq=1, uidnext=j)
            cache.close()
            """
        )
        failures = []
        for round_ in range(12):
            path = tmp_path / f"c{round_}.sqlite3"
            start = time.time() + 0.5
            procs = [
                subprocess.Popen(
                    [sys.executable, "-c", script, str(path), str(start), str(i)],
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for i in range(3)
            ]
            for proc in procs:
                _, err = proc.communicate(timeout=60)
                if proc.returncode:
                    failures.append(err.strip().splitlines()[-1])
        assert failures == []


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    where.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
    )
    return result.returncode == 0


def _fill_disk(where: Path, leave: int) -> Path:
    """A file taking all of the filesystem's free space but ``leave`` bytes."""
    filler = where / "filler"
    stat = os.statvfs(where)
    free = stat.f_bavail * stat.f_frsize
    with filler.open("wb") as f:
        f.write(b"\0" * max(free - leave, 0))
    return filler


class TestDiskFull:
    def test_one_sentence_rollback_and_recovery(
        self, mail_user: MailUser, tmp_path: Path, record_property: Callable[[str, object], None]
    ) -> None:
        seed(mail_user, 400)
        disk = tmp_path / "disk"
        mounted = _mount_tmpfs(disk, "4m")
        try:
            if not mounted:
                disk.mkdir(exist_ok=True)
            path = disk / "headers.sqlite3"
            cache = HeaderCache(path)
            if mounted:  # a real ENOSPC from a 4 MiB tmpfs
                record_property("disk_full", "tmpfs")
                filler = _fill_disk(disk, 48 * 1024)
            else:  # SQLite's own SQLITE_FULL: the file may not grow past its current pages
                record_property("disk_full", "max_page_count")
                (pages,) = cache._db.execute("PRAGMA page_count").fetchone()
                cache._db.execute(f"PRAGMA max_page_count={pages + 8}")
            backend = mail_user.backend(cache=cache)
            with pytest.raises(CacheError) as err:
                backend.sync("INBOX")
            message = str(err.value)
            assert "full" in message and message.endswith(".") and "\n" not in message
            assert not cache._db.in_transaction  # rolled back, not left open
            if mounted:
                filler.unlink()
            else:
                cache._db.execute("PRAGMA max_page_count=1073741823")
            assert rows(backend) == truth(mail_user)  # the running process recovers
            backend.close()
            cache.close()
            again = mail_user.backend(cache=HeaderCache(path))  # and so does the next run
            try:
                assert again.cached_index("INBOX") is not None
                assert rows(again) == truth(mail_user)
            finally:
                again.close()
                again.cache.close()
        finally:
            if mounted:
                subprocess.run(["umount", "-l", str(disk)], check=False)

    def test_body_cache_on_a_full_disk(self, mail_user: MailUser, tmp_path: Path) -> None:
        seed(mail_user, 1)
        disk = tmp_path / "disk"
        if not _mount_tmpfs(disk, "1m"):
            pytest.skip("needs root to mount a small tmpfs (no SQLite equivalent for files)")
        try:
            _fill_disk(disk, 0)
            backend = mail_user.backend(message_cache_dir=disk / "messages")
            try:
                raw = backend.fetch_raw("INBOX", 1)  # shown, just not cached
                assert raw.startswith(b"From:")
                assert not list(disk.rglob("*.part"))
            finally:
                backend.close()
        finally:
            subprocess.run(["umount", "-l", str(disk)], check=False)
