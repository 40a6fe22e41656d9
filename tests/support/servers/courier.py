"""A real Courier IMAP for the backend tests: no CONDSTORE, no SPECIAL-USE, no UIDNEXT in SELECT,
folders below ``INBOX.`` with ``.`` as the delimiter.

Courier's programs have their paths built in (``/etc/courier/authdaemonrc``, the authdaemon
socket under ``/run/courier``, modules under ``/usr/lib/courier-authlib``).  So the server runs
in a private mount namespace (``unshare -m``, which needs root): a tmpfs on ``/run``, and
read-only overlays that put this instance's configuration over ``/etc`` and the unpacked
packages over ``/usr``.  Nothing outside the namespace sees any of it.  Users are checked by
``authpipe`` with a small program that reads this instance's ``users`` file; their mail is
owned by ``nobody``.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .common import (
    ROOT,
    SPECIAL_MAILBOXES,
    MailOwner,
    ProcessGroupServer,
    missing,
    unshare_available,
)
from .ports import free_port

NEEDED = (
    "usr/sbin/couriertcpd",
    "usr/lib/courier/courier/imaplogin",
    "usr/bin/imapd",
    "usr/lib/courier/courier-authlib/authdaemond",
    "usr/lib/courier-authlib/libauthpipe.so",
)

# authpipe: one request per line on stdin (PRE . service user / AUTH length + data), the
# user's fields or FAIL on stdout.  The users file is read on every request.
AUTH_PROGRAM = """\
import sys
USERS = sys.argv[1]
inp, out = sys.stdin.buffer, sys.stdout.buffer

def users():
    table = {}
    with open(USERS) as f:
        for line in f:
            name, password, uid, gid, home = line.rstrip("\\n").split(":")
            table[name] = (password, uid, gid, home)
    return table

def answer(name, password=None):
    entry = users().get(name)
    if entry is None or (password is not None and password != entry[0]):
        out.write(b"FAIL\\n")
    else:
        _, uid, gid, home = entry
        out.write(f"UID={uid}\\nGID={gid}\\nHOME={home}\\nADDRESS={name}\\n"
                  f"MAILDIR={home}/Maildir\\n.\\n".encode())
    out.flush()

while True:
    line = inp.readline()
    if not line:
        break
    words = line.split()
    if words[:1] == [b"PRE"] and len(words) == 4:
        answer(words[3].decode())
    elif words[:1] == [b"AUTH"] and len(words) == 2:
        data = inp.read(int(words[1])).decode().split("\\n")
        if len(data) >= 4 and data[1] == "login":
            answer(data[2], data[3])
        else:
            out.write(b"FAIL\\n")
            out.flush()
    elif words[:1] == [b"ENUMERATE"]:
        out.write(b".\\n")
        out.flush()
    else:
        out.write(b"FAIL\\n")
        out.flush()
"""

IMAPD_ENV = {
    "IMAP_CAPABILITY": "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT "
    "THREAD=REFERENCES SORT QUOTA IDLE",
    "IMAP_KEYWORDS": "1",
    "IMAP_ACL": "1",
    "IMAP_IDLE_TIMEOUT": "1",  # IDLE polls the Maildir every second (no FAM daemon here)
    "IMAP_ENHANCEDIDLE": "0",
    "IMAP_TRASHFOLDERNAME": "Trash",
    "IMAP_EMPTYTRASH": "",  # never purge Trash behind the tests' back
    "IMAP_MOVE_EXPUNGE_TO_TRASH": "0",
    "IMAP_USELOCKS": "1",
    "IMAP_UMASK": "022",
    "IMAP_MAILBOX_SANITY_CHECK": "0",
    "IMAP_DISABLETHREADSORT": "0",
    "IMAP_CHECK_ALL_FOLDERS": "0",
    "IMAP_OBSOLETE_CLIENT": "0",
}


def unavailable() -> str | None:
    """Why Courier cannot run here (None: it can)."""
    if not unshare_available():
        return "Courier IMAP needs root and unshare (a private mount namespace for its paths)"
    return missing(*NEEDED)


@dataclass
class Courier(ProcessGroupServer):
    root: Path
    imap_port: int
    owner: MailOwner
    users: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    kind = "courier"
    title = "Courier IMAP"
    log_name = "courier.log"
    prefix = "INBOX."  # personal folders live below INBOX
    delimiter = "."
    qresync = False

    @classmethod
    def create(cls) -> Courier:
        root = Path(tempfile.mkdtemp(prefix="smimetui-courier-"))
        root.chmod(0o755)
        server = cls(root=root, imap_port=free_port(), owner=MailOwner.detect())
        (root / "mail").mkdir(mode=0o755)
        conf = root / "etc" / "courier"
        conf.mkdir(parents=True)
        (conf / "authdaemonrc").write_text(
            'authmodulelist="authpipe"\ndaemons=2\nauthdaemonvar=/run/courier/authdaemon\n'
            'DEBUG_LOGIN=0\nDEFAULTOPTIONS=""\nLOGGEROPTS=""\n'
        )
        (root / "authpipe.py").write_text(AUTH_PROGRAM)
        prog = conf / "authProg"
        users_file = root / "users"
        prog.write_text(
            f"#!/bin/sh\nexec {shlex.quote(sys.executable)} {root / 'authpipe.py'} {users_file}\n"
        )
        prog.chmod(0o755)
        users_file.write_text("")
        server._write_start_script()
        return server

    def _write_start_script(self) -> None:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in IMAPD_ENV.items())
        env += f" IMAP_SHAREDINDEXFILE={self.root}/shared-index"
        script = f"""set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/courier/authdaemon
mount -t overlay overlay -o lowerdir={self.root}/etc:{ROOT}/etc:/etc /etc
mount -t overlay overlay -o lowerdir={ROOT}/usr:/usr /usr
/usr/lib/courier/courier-authlib/authdaemond &
i=0
while [ ! -S /run/courier/authdaemon/socket ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
exec env {env} /usr/sbin/couriertcpd -address=127.0.0.1 -nodnslookup -noidentlookup \\
  -maxprocs=200 -maxperip=200 {self.imap_port} \\
  /usr/lib/courier/courier/imaplogin /usr/bin/imapd Maildir
"""
        (self.root / "start.sh").write_text(script)

    # -- users and mail ---------------------------------------------------------------------------
    def folder(self, name: str) -> str:
        """The server's name of a personal folder (``Archive`` is ``INBOX.Archive`` here)."""
        return name if name.upper() == "INBOX" else self.prefix + name

    def add_user(
        self, user: str, password: str, folders: Iterable[str] = tuple(SPECIAL_MAILBOXES)
    ) -> None:
        """A user with INBOX and ``folders`` (short names: Sent, Trash, ...)."""
        home = self.root / "mail" / user
        maildir = home / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True, exist_ok=True)
        for name in folders:
            box = maildir / f".{name}"
            for sub in ("cur", "new", "tmp"):
                (box / sub).mkdir(parents=True, exist_ok=True)
            (box / "maildirfolder").touch()
        self.owner.chown_tree(home)
        self.users[user] = password
        lines = [
            f"{name}:{pw}:{self.owner.uid}:{self.owner.gid}:{self.root / 'mail' / name}\n"
            for name, pw in self.users.items()
        ]
        (self.root / "users").write_text("".join(lines))

    # -- process ----------------------------------------------------------------------------------

    def _command(self) -> list[str]:
        return ["unshare", "-m", "--propagation", "private", "sh", str(self.root / "start.sh")]
