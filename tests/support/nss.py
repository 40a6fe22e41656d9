"""NSS's ``cmsutil`` (libnss3-tools): the CMS engine of Thunderbird, as an independent peer.

A throw-away NSS database (no password) trusts only the fixture root for e-mail (``certutil -t
C,C,C``), knows the intermediate, and holds the private keys of the identities the tests need,
imported from PKCS#12 files with ``pk12util`` the way a user would.  ``cmsutil`` works on raw
CMS: Thunderbird's MIME code wraps it (see ``mime.py``).  ``cmsutil -D`` verifies signatures for
certUsageEmailSigner against the database's trust and prints ``signerN.status=GoodSignature``
only when the signature is valid and the signer's chain leads to a trusted root.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from smimetui.core.pki.makecerts import Issued

CMSUTIL = shutil.which("cmsutil")
TIMEOUT = 60
P12_PASSWORD = "nss-import"


class NssFailed(AssertionError):
    """An NSS tool exited non-zero (carries its stderr)."""


@dataclass(frozen=True)
class Decoded:
    returncode: int
    content: bytes
    info: str  # cmsutil's "SMIME: level=...; signer0.status=..." header block
    stderr: str

    @property
    def signer_statuses(self) -> list[str]:
        return re.findall(r"signer\d+\.status=(\w+)", self.info)


def nss_version() -> str:
    out = subprocess.run(
        ["certutil", "--version"], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    match = re.search(r"NSS[^\d]*([\d.]+)", out.stdout + out.stderr)
    return match.group(1) if match else "?"


def _run(
    *args: str | Path, data: bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(
        [str(a) for a in args], input=data, capture_output=True, timeout=TIMEOUT, check=False
    )
    if check and proc.returncode != 0:
        raise NssFailed(
            f"{' '.join(map(str, args[:2]))} failed ({proc.returncode}): "
            f"{proc.stderr.decode(errors='replace')}"
        )
    return proc


class NssPeer:
    def __init__(self, directory: Path, root: Issued, intermediate: Issued) -> None:
        self.dir = directory
        self.db = f"sql:{directory}"
        _run("certutil", "-N", "-d", self.db, "--empty-password")
        self._add_cert("fixture-root", root, "C,C,C")
        self._add_cert("fixture-intermediate", intermediate, ",,")
        self.intermediate = intermediate

    def _add_cert(self, nick: str, issued: Issued, trust: str) -> None:
        path = self.dir / f"{nick}.pem"
        path.write_bytes(issued.cert_pem)
        _run("certutil", "-A", "-d", self.db, "-n", nick, "-t", trust, "-i", path)

    def add_identity(self, nick: str, issued: Issued) -> None:
        """Import key and certificate as a user would: a PKCS#12 file with a password."""
        data = pkcs12.serialize_key_and_certificates(
            nick.encode(),
            issued.key,
            issued.cert,
            [self.intermediate.cert],
            BestAvailableEncryption(P12_PASSWORD.encode()),
        )
        path = self.dir / f"{nick}.p12"
        path.write_bytes(data)
        _run("pk12util", "-i", path, "-d", self.db, "-W", P12_PASSWORD, "-K", "")

    def sign(self, nick: str, content: bytes, *, detached: bool) -> bytes:
        """``cmsutil -S`` with a signing time and SMIMECapabilities, as Thunderbird signs."""
        args = ["cmsutil", "-S", "-d", self.db, "-N", nick, "-G", "-P"]
        return _run(*args, *(["-T"] if detached else []), data=content).stdout

    def encrypt(self, recipients: list[str], content: bytes) -> bytes:
        return _run("cmsutil", "-E", "-d", self.db, "-r", ",".join(recipients), data=content).stdout

    def decode(self, der: bytes, *, detached: bytes | None = None) -> Decoded:
        """``cmsutil -D`` (decrypt and/or verify), with the CMS levels as header lines."""
        path = self.dir / "in.p7"
        path.write_bytes(der)
        args: list[str | Path] = ["cmsutil", "-D", "-d", self.db, "-i", path, "-h", "2"]
        if detached is not None:
            content = self.dir / "content.bin"
            content.write_bytes(detached)
            args += ["-c", content]
        proc = _run(*args, check=False)
        out = proc.stdout
        info = ""
        if out.startswith(b"SMIME:"):
            # the info block ends at the first line that does not start with a tab
            lines = out.split(b"\n")
            kept = [lines[0]]
            for line in lines[1:]:
                if not line.startswith(b"\t"):
                    break
                kept.append(line)
            info = b"\n".join(kept).decode(errors="replace")
            out = out[len(b"\n".join(kept)) + 1 :]
        return Decoded(proc.returncode, out, info, proc.stderr.decode(errors="replace"))
