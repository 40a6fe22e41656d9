"""What the IMAP test servers (Dovecot, Cyrus, Courier) share: ports, process groups, folders.

Cyrus and Courier run from Debian packages unpacked (never installed: they conflict with
dovecot-imapd) by ``tests/support/servers/fetch.sh`` into :data:`UNPACKED`.  Each server is one
process group on free loopback ports in a temporary directory; ``stop()`` ends the whole group,
like a crash would, so ``restart()`` cuts every client connection.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from .ports import wait_port, wait_port_closed

UNPACKED = Path(os.environ.get("SMIMETUI_TEST_SERVERS", "/var/cache/smimetui-test-servers"))
ROOT = UNPACKED / "root"  # the unpacked .deb files (usr/, etc/)

# The folders every test user starts with, by their short name, and their special use.
SPECIAL_MAILBOXES = {
    "Sent": "\\Sent",
    "Drafts": "\\Drafts",
    "Trash": "\\Trash",
    "Junk": "\\Junk",
    "Archive": "\\Archive",
}


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group of ``proc`` (started with ``start_new_session``), then
    SIGKILL to whatever is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@dataclass(frozen=True, slots=True)
class MailOwner:
    """Who owns the mail of a server run as root (never root itself): ``nobody``; as an
    ordinary user, that user."""

    name: str
    uid: int
    gid: int

    @classmethod
    def detect(cls) -> MailOwner:
        entry = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)

    def chown_tree(self, top: Path) -> None:
        if os.geteuid() != 0:
            return
        for dirpath, _dirnames, filenames in os.walk(top):
            os.chown(dirpath, self.uid, self.gid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), self.uid, self.gid)


def missing(*paths: str) -> str | None:
    """Why a server cannot run here (None: it can): the unpacked files are absent."""
    absent = [p for p in paths if not (ROOT / p).exists()]
    if absent:
        return (
            f"{absent[0]} is not unpacked under {ROOT} "
            "(tests/support/servers/fetch.sh does it; tests/run.sh calls it)"
        )
    return None


def unshare_available() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") is not None


class ProcessGroupServer:
    """Start, stop and logs of a server that is one process group in its own directory (Cyrus,
    Courier).  Subclasses are dataclasses with ``root``, ``imap_port`` and ``proc``, and say
    how the server is started."""

    root: Path
    imap_port: int
    proc: subprocess.Popen[bytes] | None
    title: ClassVar[str]  # "Cyrus IMAP"
    log_name: ClassVar[str]  # "cyrus.log", in root

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _env(self) -> dict[str, str] | None:
        return None  # the test's own environment

    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        with open(self.root / self.log_name, "ab") as log:
            self.proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,
            )
        try:
            wait_port(self.imap_port, self.title)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"{self.title} failed to start:\n{self.log_tail()}") from None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_group(proc)
            wait_port_closed(self.imap_port)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 30) -> str:
        path = self.root / self.log_name
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
