"""A real Cyrus IMAP for the backend tests: CONDSTORE/QRESYNC, SPECIAL-USE, top-level folders
(``altnamespace``) with ``/`` as the delimiter.

The server runs from the unpacked packages with this instance's ``imapd.conf`` and
``cyrus.conf`` (the master does not pass its ``-C`` on, so every command names it).  Cyrus
refuses to run as root: as root it runs as ``nobody``, which owns its directories.  Passwords
live in a private sasldb written with ``saslpasswd2``; an admin creates each user's INBOX and
the user creates the special folders with ``CREATE ... (USE (...))``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import imapclient

from .common import (
    ROOT,
    SPECIAL_MAILBOXES,
    MailOwner,
    ProcessGroupServer,
    missing,
)
from .ports import free_port

BIN = ROOT / "usr/lib/cyrus/bin"
LIBS = ROOT / "usr/lib/x86_64-linux-gnu"
SASLPASSWD = ROOT / "usr/sbin/saslpasswd2"
NEEDED = ("usr/lib/cyrus/bin/master", "usr/lib/cyrus/bin/imapd", "usr/sbin/saslpasswd2")
ADMIN, ADMIN_PASSWORD = "cyrusadmin", "cyrus-admin-secret"
# The SASL realm of every password and the server's name: fixed, so that neither depends on the
# machine's host name and how it resolves.
REALM = "smimetui-test"


def unavailable() -> str | None:
    """Why Cyrus cannot run here (None: it can)."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "Cyrus IMAP refuses to run as root, and setpriv (util-linux) is missing"
    return missing(*NEEDED)


@dataclass
class Cyrus(ProcessGroupServer):
    root: Path
    imap_port: int
    owner: MailOwner
    users: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    kind = "cyrus"
    title = "Cyrus IMAP"
    log_name = "cyrus.log"
    prefix = ""
    delimiter = "/"
    qresync = True

    @classmethod
    def create(cls) -> Cyrus:
        root = Path(tempfile.mkdtemp(prefix="smimetui-cyrus-"))
        root.chmod(0o755)
        server = cls(root=root, imap_port=free_port(), owner=MailOwner.detect())
        for sub in ("config", "spool", "sieve", "run"):
            (root / sub).mkdir(mode=0o750)
        server._write_conf()
        server._saslpasswd(ADMIN, ADMIN_PASSWORD)
        server.owner.chown_tree(root)
        return server

    def _write_conf(self) -> None:
        r = self.root
        (r / "imapd.conf").write_text(
            f"configdirectory: {r}/config\n"
            "defaultpartition: default\n"
            f"partition-default: {r}/spool\n"
            f"sievedir: {r}/sieve\n"
            f"servername: {REALM}\n"
            f"admins: {ADMIN}\n"
            f"cyrus_user: {self.owner.name}\n"
            "allowplaintext: yes\n"
            "sasl_pwcheck_method: auxprop\n"
            "sasl_auxprop_plugin: sasldb\n"
            f"sasl_sasldb_path: {r}/sasldb2\n"
            "sasl_mech_list: PLAIN LOGIN\n"
            "unixhierarchysep: yes\n"
            "altnamespace: yes\n"
            "imapidlepoll: 1\n"  # IDLE looks for changes every second
            f"idlesocket: {r}/run/idle\n"
            f"notifysocket: {r}/run/notify\n"
            f"lmtpsocket: {r}/run/lmtp\n"
            f"syslog_prefix: smimetui-cyrus-{self.imap_port}\n"
        )
        conf = f"-C {r}/imapd.conf"
        (r / "cyrus.conf").write_text(
            "START {\n"
            f'  recover cmd="{BIN}/ctl_cyrusdb {conf} -r"\n'
            "}\n"
            "SERVICES {\n"
            f'  imap cmd="{BIN}/imapd {conf}" listen="127.0.0.1:{self.imap_port}" prefork=1\n'
            "}\n"
            "EVENTS {\n}\n"
            "DAEMON {\n}\n"
        )

    def _env(self) -> dict[str, str]:
        return {**os.environ, "LD_LIBRARY_PATH": str(LIBS)}

    def _saslpasswd(self, user: str, password: str) -> None:
        subprocess.run(
            [str(SASLPASSWD), "-p", "-c", "-u", REALM, "-f", str(self.root / "sasldb2"), user],
            input=password.encode(),
            env=self._env(),
            check=True,
            capture_output=True,
        )
        if os.geteuid() == 0:
            os.chown(self.root / "sasldb2", self.owner.uid, self.owner.gid)

    # -- users and mail ---------------------------------------------------------------------------
    def folder(self, name: str) -> str:
        return name

    def _client(self, user: str, password: str) -> imapclient.IMAPClient:
        client = imapclient.IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=10)
        client.login(user, password)
        return client

    def add_user(
        self, user: str, password: str, folders: Iterable[str] = tuple(SPECIAL_MAILBOXES)
    ) -> None:
        """A user with INBOX and ``folders`` (short names), each with its special use."""
        self._saslpasswd(user, password)
        self.users[user] = password
        admin = self._client(ADMIN, ADMIN_PASSWORD)
        try:
            admin.create_folder(f"user/{user}")
        finally:
            admin.logout()
        client = self._client(user, password)
        try:
            for name in folders:
                client._imap._simple_command("CREATE", name, f"(USE ({SPECIAL_MAILBOXES[name]}))")
        finally:
            client.logout()

    # -- process ----------------------------------------------------------------------------------
    def _command(self) -> list[str]:
        master = [
            str(BIN / "master"),
            *("-C", str(self.root / "imapd.conf")),
            *("-M", str(self.root / "cyrus.conf")),
            *("-p", str(self.root / "run" / "master.pid")),
        ]
        if os.geteuid() != 0:
            return master
        return ["setpriv", f"--reuid={self.owner.uid}", f"--regid={self.owner.gid}",
                "--clear-groups", *master]  # fmt: skip
