"""A Dovecot with one large INBOX, built once and reused by later runs of ``bench.clients``.

The folder of N seeded messages is generated once, indexed by Dovecot (one full summary fetch,
so its cache holds what the clients ask for) and kept under ``--data DIR`` (default
``/var/tmp/smimetui-bench-<uid>``: outside any home, so the ``dovecot`` user can reach it when the
bench runs as root); ``ready-<N>`` marks it complete.  Each run works on a copy (messages
hard-linked, Dovecot's index files copied: Maildir files are only ever renamed or unlinked), so
the resync rounds of one run never change what the next run starts from.
"""

from __future__ import annotations

import email.utils
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import imapclient

from bench.common import progress
from bench.mailbox import PASSWORD, USER, warm_server, wire
from tests.support.messages import make_message
from tests.support.servers.dovecot import Accounts, Dovecot
from tests.support.servers.ports import free_port


def default_data_dir() -> Path:
    return Path(f"/var/tmp/smimetui-bench-{os.geteuid()}")


def _reopen(root: Path) -> Dovecot:
    """The server kept in ``root``, configured for fresh loopback ports."""
    server = Dovecot(
        root=root,
        imap_port=free_port(),
        imaps_port=free_port(),
        ca_pem=root / "ca.pem",
        accounts=Accounts.detect(),
        users={USER: PASSWORD},
    )
    server._write_passwd()  # the fixture's own writers, for a kept root
    server._write_conf()
    return server


def _fill(server: Dovecot, n: int) -> None:
    """``n`` seeded messages (the same as bench.mailbox's).  The fixture names a file by the
    second the batch is written and its place in the batch: a pause after each batch keeps the
    names of different batches apart."""
    rng = random.Random(20251127)
    for start in range(0, n, 10000):
        batch = [make_message(rng, i) for i in range(start, min(n, start + 10000))]
        server.write_maildir(USER, batch)
        time.sleep(1.05)


def _build(root: Path, n: int) -> None:
    shutil.rmtree(root, ignore_errors=True)
    fresh = Dovecot.create()
    root.parent.mkdir(parents=True, exist_ok=True)
    root.parent.chmod(0o755)
    shutil.move(str(fresh.root), root)
    server = _reopen(root)
    progress(f"generating {n} messages in {root} (once; later runs reuse them)")
    _fill(server, n)
    server.start()
    try:
        progress("letting Dovecot index the folder")
        warm_server(server.imap_port)
        wire(server.imap_port)  # every summary once: Dovecot's cache holds them from now on
    finally:
        server.stop()
    (root / f"ready-{n}").write_text("complete\n")


def _working_copy(root: Path, dest: Path) -> None:
    """The mail and settings of ``root`` in ``dest`` (not its sockets and state): message files
    hard-linked, every other file copied."""
    dest.mkdir(mode=0o755)
    for item in root.iterdir():
        if item.name == "users" or item.suffix in (".pem", ".key"):
            subprocess.run(["cp", "-a", str(item), str(dest)], check=True)
    subprocess.run(["cp", "-a", "--link", str(root / "mail"), str(dest)], check=True)
    for dirpath, _dirs, files in os.walk(dest / "mail"):
        if Path(dirpath).name in ("cur", "new", "tmp"):
            continue
        for name in files:
            target = Path(dirpath) / name
            source = root / target.relative_to(dest)
            target.unlink()
            shutil.copy2(source, target)
            stat = source.stat()
            os.chown(target, stat.st_uid, stat.st_gid)


def big_folder(data: Path, n: int, workdir: Path) -> Dovecot:
    """A started Dovecot on a working copy of the kept folder of ``n`` messages (built on
    first use)."""
    root = data / f"dovecot-{n}"
    if not (root / f"ready-{n}").exists():
        _build(root, n)
    _working_copy(root, workdir / "dovecot")
    server = _reopen(workdir / "dovecot")
    server.start()
    return server


def append_newest(port: int, token: str) -> None:
    """Append one message whose subject starts with ``token``: it becomes the newest row."""
    client = imapclient.IMAPClient("127.0.0.1", port=port, ssl=False)
    client.login(USER, PASSWORD)
    raw = (
        f"From: Bench <bench@example.org>\r\nTo: me@example.org\r\nSubject: {token} newest\r\n"
        f"Date: {email.utils.formatdate(time.time())}\r\n"
        f"Message-ID: <{token}@example.org>\r\n\r\nThe newest message.\r\n"
    ).encode()
    client.append("INBOX", raw)
    client.logout()
