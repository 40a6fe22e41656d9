"""SoftHSM2 tokens for the tests: a private config and token directory per test, keys and
certificates loaded with OpenSC's pkcs11-tool (as a user would load a real card)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from smimetui.core.pki.makecerts import Issued
from smimetui.core.pki.tokens import session
from smimetui.core.pki.tokens.registry import add_module
from smimetui.core.settings.home import Home

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN, SO_PIN = "123456", "12345678"


def unavailable() -> str | None:
    if not Path(MODULE).exists():
        return "SoftHSM2 is not installed (Debian package softhsm2)"
    for tool in ("softhsm2-util", "pkcs11-tool"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian packages softhsm2, opensc)"
    return None


@dataclass
class SoftHsm:
    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "softhsm2.conf"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}

    def run(self, *args: str) -> str:
        done = subprocess.run(
            list(args), env=self.env, capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode != 0:
            raise AssertionError(f"{args[0]} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def init_token(self, label: str, pin: str = PIN) -> None:
        self.run(
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            label,
            "--so-pin",
            SO_PIN,
            "--pin",
            pin,
        )

    def delete_token(self, label: str) -> None:
        self.run("softhsm2-util", "--delete-token", "--token", label)

    def _tool(self, label: str, *args: str, pin: str = PIN) -> str:
        return self.run(
            "pkcs11-tool",
            "--module",
            MODULE,
            "--token-label",
            label,
            "--login",
            "--pin",
            pin,
            *args,
        )

    def import_cert(self, label: str, issued: Issued, ckaid: str, name: str = "") -> None:
        path = self.root / f"{ckaid}-{label}.crt.der"
        path.write_bytes(issued.der)
        self._tool(
            label,
            "--write-object",
            str(path),
            "--type",
            "cert",
            "--id",
            ckaid,
            "--label",
            name or ckaid,
        )

    def import_id(self, label: str, issued: Issued, ckaid: str, name: str = "") -> None:
        """The private key (PKCS#8, deleted from disk at once) and its certificate."""
        key = self.root / f"{ckaid}-{label}.key.der"
        key.write_bytes(
            issued.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        try:
            self._tool(
                label,
                "--write-object",
                str(key),
                "--type",
                "privkey",
                "--id",
                ckaid,
                "--label",
                name or ckaid,
                "--usage-sign",
                "--usage-decrypt",
                "--usage-derive",
            )
        finally:
            key.unlink()
        self.import_cert(label, issued, ckaid, name)


def make_softhsm(root: Path) -> SoftHsm:
    tokens = root / "tokens"
    tokens.mkdir(parents=True)
    hsm = SoftHsm(root)
    hsm.conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    return hsm


@pytest.fixture
def softhsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SoftHsm]:
    reason = unavailable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the token tests", pytrace=False)
        pytest.skip(reason)
    hsm = make_softhsm(tmp_path / "softhsm")
    monkeypatch.setenv("SOFTHSM2_CONF", str(hsm.conf))
    # No desktop keyring: PINs come from files and prompts here, unless a test adds one.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    session.reset()  # the module reads SOFTHSM2_CONF at C_Initialize
    yield hsm
    session.reset()


@pytest.fixture
def card_home(home: Home, softhsm: SoftHsm) -> Home:
    """A home with the SoftHSM2 module registered as token ``card``."""
    add_module(home, "card", MODULE)
    return home
