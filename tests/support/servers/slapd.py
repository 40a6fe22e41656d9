"""A real OpenLDAP slapd for tests, on a free loopback port, with a temporary mdb database.

The database is loaded with ``slapadd`` before the server starts; certificates are read from DER
files by the LDIF (``userCertificate;binary:< file:///...``).  Access rules let every user write
their own ``userCertificate`` (for publishing) and read everything else anonymously.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.servers.ports import free_port

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
SUFFIX = "dc=example,dc=org"
PEOPLE = f"ou=people,{SUFFIX}"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PW = "root-secret"

_CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
modulepath {modules}
moduleload back_mdb
pidfile {root}/slapd.pid
argsfile {root}/slapd.args
TLSCACertificateFile {root}/tls/ca.pem
TLSCertificateFile {root}/tls/server.pem
TLSCertificateKeyFile {root}/tls/server.key

database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{rootdn}"
rootpw {rootpw}
directory {root}/db

access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to attrs=userCertificate
    by self write
    by * read
access to *
    by * read
"""


def available() -> bool:
    return Path(SLAPD).exists() and Path(SLAPADD).exists() and SCHEMA_DIR.is_dir()


@dataclass
class Person:
    """One entry under ou=people: its certificates as DER files and userSMIMECertificate values."""

    uid: str
    mail: str
    password: str = ""
    certificates: list[Path] = field(default_factory=list)  # userCertificate;binary values
    smime: list[Path] = field(default_factory=list)  # userSMIMECertificate values (PKCS#7)

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"

    def ldif(self) -> str:
        lines = [
            f"dn: {self.dn}",
            "objectClass: inetOrgPerson",
            f"uid: {self.uid}",
            f"cn: {self.uid}",
            f"sn: {self.uid}",
            f"mail: {self.mail}",
        ]
        if self.password:
            lines.append(f"userPassword: {self.password}")
        lines += [f"userCertificate;binary:< file://{p}" for p in self.certificates]
        lines += [f"userSMIMECertificate:< file://{p}" for p in self.smime]
        return "\n".join(lines) + "\n"


@dataclass
class Slapd:
    """Plain LDAP (with STARTTLS) on ``port``, LDAP over TLS on ``tls_port``."""

    root: Path
    port: int
    tls_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def ca_file(self) -> Path:
        return self.root / "tls" / "ca.pem"

    @classmethod
    def create(cls, root: Path, people: list[Person], tls: tuple[bytes, bytes, bytes]) -> Slapd:
        """``tls``: the CA certificate, the server certificate and its key (PEM each)."""
        (root / "db").mkdir(parents=True)
        (root / "tls").mkdir()
        for name, data in zip(("ca.pem", "server.pem", "server.key"), tls, strict=True):
            (root / "tls" / name).write_bytes(data)
        conf = root / "slapd.conf"
        conf.write_text(
            _CONF.format(
                schema=SCHEMA_DIR,
                modules=MODULE_DIR,
                root=root,
                suffix=SUFFIX,
                rootdn=ROOT_DN,
                rootpw=ROOT_PW,
            )
        )
        base = (
            f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\n"
            f"o: Example\n\ndn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n"
        )
        init = root / "init.ldif"
        init.write_text(base + "".join("\n" + p.ldif() for p in people))
        result = subprocess.run(
            [SLAPADD, "-f", str(conf), "-l", str(init)], capture_output=True, timeout=60
        )
        if result.returncode != 0:
            raise RuntimeError(f"slapadd failed: {result.stderr.decode(errors='replace')}")
        return cls(root, free_port(), free_port())

    def start(self) -> None:
        # -d 0 keeps slapd in the foreground, so it is our child and dies with the session.
        log = self.root / "slapd.log"
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [SLAPD, "-f", str(self.root / "slapd.conf"), "-d", "0"]
                + ["-h", f"{self.url}/ {self.ldaps_url}/"],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited at start: {log.read_text(errors='replace')}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"slapd did not open port {self.port}")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None
