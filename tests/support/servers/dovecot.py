"""A real Dovecot for tests and benchmarks, on loopback high ports, in a temporary directory.

The server runs from its own generated ``dovecot.conf``: passwd-file users, Maildir mail under the
temporary directory, IMAP on a plaintext port and IMAPS with a certificate from a test CA.  When the
tests run as root, imap-login runs as ``dovenull``, internal processes as ``dovecot`` and mail is
owned by the ``dovecot`` user (never root); as an ordinary user everything runs as that user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from smimetui.core.pki import makecerts as pki
from tests.support.servers.common import SPECIAL_MAILBOXES
from tests.support.servers.ports import free_port, wait_port, wait_port_closed

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


@dataclass(frozen=True, slots=True)
class Accounts:
    """Who runs what: (login user, internal user, mail uid, mail gid)."""

    login_user: str
    internal_user: str
    uid: int
    gid: int

    @classmethod
    def detect(cls) -> Accounts:
        if os.geteuid() == 0:
            dovecot = pwd.getpwnam("dovecot")
            pwd.getpwnam("dovenull")
            return cls("dovenull", "dovecot", dovecot.pw_uid, dovecot.pw_gid)
        me = pwd.getpwuid(os.geteuid())
        return cls(me.pw_name, me.pw_name, me.pw_uid, me.pw_gid)


@dataclass
class Dovecot:
    """One Dovecot instance; ``start()``/``stop()``/``restart()`` may be called repeatedly."""

    root: Path
    imap_port: int
    imaps_port: int
    ca_pem: Path
    accounts: Accounts
    users: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    extra_conf: str = ""
    # An OAuth2 introspection URL (RFC 7662): logins by XOAUTH2 and OAUTHBEARER are then checked
    # there (passdb oauth2, introspection_mode = post), tokens limited to ``oauth2_scope``.
    oauth2_url: str = ""
    oauth2_scope: str = "mail"

    kind = "dovecot"
    prefix = ""  # personal folders at the top level
    delimiter = "/"
    qresync = True

    def folder(self, name: str) -> str:
        """The server's name of a personal folder (the same here)."""
        return name

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def create(cls, extra_conf: str = "", *, oauth2_url: str = "") -> Dovecot:
        root = Path(tempfile.mkdtemp(prefix="smimetui-dovecot-"))
        root.chmod(0o755)  # the mail user must traverse it
        accounts = Accounts.detect()
        server = cls(
            root=root,
            imap_port=free_port(),
            imaps_port=free_port(),
            ca_pem=root / "ca.pem",
            accounts=accounts,
            extra_conf=extra_conf,
            oauth2_url=oauth2_url,
        )
        server._write_tls()
        (root / "mail").mkdir(mode=0o755)
        os.chown(root / "mail", accounts.uid, accounts.gid)
        server._write_passwd()
        server._write_conf()
        return server

    def _write_tls(self) -> None:
        ca = pki.make_ca("smimetui test IMAP CA")
        san = x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        )
        leaf = pki.make_leaf(
            ca,
            [],
            common_name="localhost",
            eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
            san=False,
            extra_extensions=[(san, False)],
            not_after=pki.utcnow() + dt.timedelta(days=30),
        )
        self.ca_pem.write_bytes(ca.cert_pem)
        (self.root / "server.pem").write_bytes(leaf.cert_pem)
        key = self.root / "server.key"
        key.write_bytes(leaf.key_pem())
        key.chmod(0o600)

    def _write_passwd(self) -> None:
        # One passwd-file per user: Dovecot re-reads a changed file by mtime, which has a
        # one-second granularity, so users added within a second would be missed.
        directory = self.root / "users"
        directory.mkdir(mode=0o755, exist_ok=True)
        for user, password in self.users.items():
            path = directory / f"{user}.passwd"
            path.write_text(f"{user}:{{PLAIN}}{password}::::::\n")
            path.chmod(0o644)

    def _write_conf(self) -> None:
        a = self.accounts
        mailboxes = "\n".join(
            f"  mailbox {name} {{\n    special_use = {use}\n    auto = subscribe\n  }}"
            for name, use in SPECIAL_MAILBOXES.items()
        )
        conf = f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
instance_name = smimetui-test-{self.imap_port}
log_path = {self.root}/dovecot.log
info_log_path = {self.root}/dovecot.log
default_login_user = {a.login_user}
default_internal_user = {a.internal_user}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:~/Maildir
auth_mechanisms = plain login
disable_plaintext_auth = no
login_trusted_networks = 127.0.0.0/8
mail_plugins =
imap_idle_notify_interval = 1 secs
ssl = yes
ssl_cert = <{self.root}/server.pem
ssl_key = <{self.root}/server.key
ssl_min_protocol = TLSv1.2
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/users/%u.passwd
}}
userdb {{
  driver = static
  args = uid={a.uid} gid={a.gid} home={self.root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
  process_min_avail = 1
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}
}}
{self.extra_conf}
"""
        (self.root / "dovecot.conf").write_text(conf + self._oauth2_conf())

    def _oauth2_conf(self) -> str:
        if not self.oauth2_url:
            return ""
        ext = self.root / "dovecot-oauth2.conf.ext"
        ext.write_text(
            f"introspection_mode = post\nintrospection_url = {self.oauth2_url}\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
            f"scope = {self.oauth2_scope}\n"
        )
        return f"""
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
service anvil {{
  # No auth penalty (2, 4, 8, 15 s per failure from one IP): the tests refuse tokens on purpose.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {ext}
}}
"""

    # -- users and mail ---------------------------------------------------------------------------
    def add_user(self, user: str, password: str) -> None:
        """Add (or change) a user; Dovecot reads the passwd-file on every login."""
        self.users[user] = password
        self._write_passwd()

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        base = self.root / "mail" / user / "Maildir"
        return base if folder == "INBOX" else base / f".{folder.replace('/', '.')}"

    def write_maildir(self, user: str, messages: list[bytes], folder: str = "INBOX") -> None:
        """Drop messages straight into the user's Maildir (fast, for large benchmark folders).

        Call it while the folder is not selected by anyone; Dovecot indexes them on next SELECT.
        """
        box = self.maildir(user, folder)
        for sub in ("cur", "new", "tmp"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        start = int(time.time()) - len(messages)
        for i, raw in enumerate(messages):
            name = box / "cur" / f"{start + i}.M{i}P{os.getpid()}.smimetui,S={len(raw)}:2,"
            name.write_bytes(raw)
            os.utime(name, (start + i, start + i))
        self._chown_tree(self.root / "mail" / user)

    def _chown_tree(self, top: Path) -> None:
        uid, gid = self.accounts.uid, self.accounts.gid
        if os.geteuid() != 0:
            return
        for dirpath, _dirnames, filenames in os.walk(top):
            os.chown(dirpath, uid, gid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), uid, gid)

    # -- process ----------------------------------------------------------------------------------
    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: stop() ends every child with it
        )
        try:
            wait_port(self.imap_port, "Dovecot")
            wait_port(self.imaps_port, "Dovecot")
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"Dovecot failed to start:\n{self.log_tail()}") from None

    def stop(self) -> None:
        """Stop the master and every child; open client connections are cut."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        # SIGTERM to the whole group: a master alone may leave imap processes serving their
        # clients, and a "killed server" must cut every connection like a crash would.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.stderr is not None:
            proc.stderr.close()
        wait_port_closed(self.imap_port)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 30) -> str:
        path = self.root / "dovecot.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
