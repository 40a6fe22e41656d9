"""A throw-away GnuPG home in which gpgsm (Debian's GnuPG 2.2) acts as an independent S/MIME peer.

The home trusts only the fixture root (``trustlist.txt`` with the ``relax`` flag), never talks to
the network (``disable-dirmngr``, no CRL or OCSP checks) and holds the private keys of the
identities the tests need. RSA keys go in the way a user would do it, as a PKCS#12 file with a
passphrase (legacy 3DES/SHA-1 encryption: GnuPG 2.2 cannot read cryptography's PBES2/SHA-256
files). About one such file in a hundred, depending only on its random salt, is one that gpgsm
2.2.40 cannot decrypt though OpenSSL reads it ("decryption failed; trying charset ..."), so the
import is retried with a freshly salted file. GnuPG 2.2.40 crashes (SIGSEGV) importing a PKCS#12
file with an EC key, so EC keys are written straight into ``private-keys-v1.d`` as unprotected
gcrypt S-expressions named by the keygrip gpgsm reports for the certificate; gpg-agent then uses
them like any other key.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from smimetui.core.pki.makecerts import Issued

GPGSM = shutil.which("gpgsm")
GPGCONF = shutil.which("gpgconf")
PASSPHRASE = "gpgsm-fixture-passphrase"
TIMEOUT = 30
P12_ATTEMPTS = 5  # each file fails on its own ~1% chance (see the module docstring)
_CURVES = {"secp256r1": b"NIST P-256", "secp384r1": b"NIST P-384", "secp521r1": b"NIST P-521"}


class GpgsmFailed(AssertionError):
    """gpgsm exited non-zero (carries its stderr)."""


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: bytes
    stderr: str


def gpgsm_version() -> tuple[int, ...]:
    """GnuPG's version as a tuple, e.g. (2, 2, 40); () when gpgsm is missing."""
    if GPGSM is None:
        return ()
    out = subprocess.run(
        [GPGSM, "--version"], capture_output=True, timeout=TIMEOUT, check=False
    ).stdout.decode(errors="replace")
    match = re.search(r"gpgsm \(GnuPG\) (\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(g) for g in match.groups()) if match else ()


def _atom(data: bytes) -> bytes:
    return str(len(data)).encode() + b":" + data


def _ec_private_sexp(key: ec.EllipticCurvePrivateKey) -> bytes:
    """The canonical S-expression gpg-agent stores for an unprotected EC key."""
    q = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    d = key.private_numbers().private_value.to_bytes((key.curve.key_size + 7) // 8, "big")
    return (
        b"(" + _atom(b"private-key") + b"(" + _atom(b"ecc")
        + b"(" + _atom(b"curve") + _atom(_CURVES[key.curve.name]) + b")"
        + b"(" + _atom(b"q") + _atom(q) + b")"
        + b"(" + _atom(b"d") + _atom(d) + b")))"
    )  # fmt: skip


def _legacy_p12(name: str, issued: Issued) -> bytes:
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(PASSPHRASE.encode())
    )
    return pkcs12.serialize_key_and_certificates(
        name.encode(), issued.key, issued.cert, None, encryption
    )


def colon_fingerprint(cert: x509.Certificate) -> str:
    hexed = cert.fingerprint(hashes.SHA1()).hex().upper()
    return ":".join(hexed[i : i + 2] for i in range(0, len(hexed), 2))


class GpgsmHome:
    """One GNUPGHOME (mode 0700) with its own gpg-agent; ``close()`` kills the agent."""

    def __init__(self) -> None:
        if GPGSM is None:
            raise RuntimeError("gpgsm is not installed")
        # Short path under /tmp: gpg-agent's socket path must fit in sun_path (108 bytes).
        self.path = Path(tempfile.mkdtemp(prefix="gpgsm-", dir="/tmp"))
        os.chmod(self.path, 0o700)
        (self.path / "gpg-agent.conf").write_text("allow-loopback-pinentry\n")
        (self.path / "gpgsm.conf").write_text(
            "disable-crl-checks\ndisable-trusted-cert-crl-check\ndisable-ocsp\n"
            "disable-dirmngr\nbatch\nno-tty\n"
        )
        self._passfile = self.path / "passphrase"
        self._passfile.write_text(PASSPHRASE + "\n")
        self.env = {**os.environ, "GNUPGHOME": str(self.path), "LC_ALL": "C"}

    def run(self, *args: str | Path, stdin: bytes = b"", check: bool = True) -> Result:
        """Run ``gpgsm ARGS`` with the fixture passphrase available through loopback."""
        assert GPGSM is not None
        with open(self._passfile, "rb") as passphrase:
            fd = passphrase.fileno()
            proc = subprocess.run(
                [GPGSM, "--pinentry-mode", "loopback", "--passphrase-fd", str(fd), *map(str, args)],
                input=stdin,
                capture_output=True,
                env=self.env,
                pass_fds=(fd,),
                timeout=TIMEOUT,
                check=False,
            )
        result = Result(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))
        if check and proc.returncode != 0:
            raise GpgsmFailed(
                f"gpgsm {' '.join(map(str, args))} failed ({proc.returncode}):\n{result.stderr}"
            )
        return result

    def import_cert(self, cert: x509.Certificate) -> None:
        self.run("--import", stdin=cert.public_bytes(serialization.Encoding.PEM))

    def trust_root(self, cert: x509.Certificate) -> None:
        with open(self.path / "trustlist.txt", "a") as trustlist:
            trustlist.write(f"{colon_fingerprint(cert)} S relax\n")

    def keygrip(self, cert: x509.Certificate) -> str:
        listing = self.run(
            "--with-colons", "--with-keygrip", "--list-keys", colon_fingerprint(cert)
        )
        grips = re.findall(r"^grp:+([0-9A-F]{40}):", listing.stdout.decode(), re.M)
        assert grips, listing.stdout
        return grips[0]

    def import_identity(self, name: str, issued: Issued) -> None:
        """Make ``issued``'s private key usable for signing and decryption."""
        if isinstance(issued.key, ec.EllipticCurvePrivateKey):
            self.import_cert(issued.cert)
            keyfile = self.path / "private-keys-v1.d" / f"{self.keygrip(issued.cert)}.key"
            keyfile.parent.mkdir(mode=0o700, exist_ok=True)
            keyfile.write_bytes(_ec_private_sexp(issued.key))
            return
        p12 = self.path / f"{name}.p12"
        for attempt in range(1, P12_ATTEMPTS + 1):
            p12.write_bytes(_legacy_p12(name, issued))  # a fresh salt each time
            result = self.run("--import", p12, check=False)
            if result.returncode == 0:
                break
            if attempt == P12_ATTEMPTS or "decryption failed" not in result.stderr:
                raise GpgsmFailed(
                    f"gpgsm --import {p12} failed ({result.returncode}):\n{result.stderr}"
                )
        p12.unlink()

    def write(self, name: str, data: bytes) -> Path:
        path = self.path / name
        path.write_bytes(data)
        return path

    def close(self) -> None:
        if GPGCONF is not None:
            subprocess.run(
                [GPGCONF, "--kill", "all"],
                env=self.env,
                capture_output=True,
                timeout=TIMEOUT,
                check=False,
            )
        shutil.rmtree(self.path, ignore_errors=True)


def build_home(
    roots: Iterable[Issued], cas: Iterable[Issued], identities: dict[str, Issued]
) -> GpgsmHome:
    """A home trusting ``roots``, knowing ``cas`` and holding the keys of ``identities``."""
    home = GpgsmHome()
    try:
        for root in roots:
            home.import_cert(root.cert)
            home.trust_root(root.cert)
        for ca in cas:
            home.import_cert(ca.cert)
        for name, issued in identities.items():
            home.import_identity(name, issued)
    except BaseException:
        home.close()
        raise
    return home
