"""Helpers for write-path tests: run the real ``openssl cms`` CLI as the independent peer."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

OPENSSL = shutil.which("openssl")


def openssl(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``openssl`` and return the completed process (never raises on failure)."""
    if OPENSSL is None:
        pytest.skip("openssl CLI not installed")
    return subprocess.run(
        [OPENSSL, *map(str, args)], input=stdin, capture_output=True, timeout=60, check=False
    )


def ok(proc: subprocess.CompletedProcess[bytes]) -> bytes:
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


@pytest.fixture
def validator(home, fixture_pki):  # type: ignore[no-untyped-def]
    """H1's real chain validator with only the fixture root trusted."""
    from smimetui.core.pki.trust import ChainValidator, TrustStore

    store = TrustStore(home, use_system=False)
    store.add(fixture_pki.root.cert_pem)
    return ChainValidator(store)
