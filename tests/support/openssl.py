"""Run the real ``openssl`` CLI in tests: the independent implementation we interoperate with.

``openssl(*args, data=...)`` runs one command and returns stdout, failing the test with openssl's
stderr when it exits non-zero.  ``cms_sign`` and ``cms_encrypt`` wrap the common invocations.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

OPENSSL = shutil.which("openssl") or "openssl"

requires_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl CLI is not installed"
)


class OpenSSLFailed(AssertionError):
    """openssl exited non-zero (carries its stderr)."""


def openssl(*args: str | Path, data: bytes | None = None, check: bool = True) -> bytes:
    """Run ``openssl ARGS`` with ``data`` on stdin; return stdout."""
    proc = subprocess.run(
        [OPENSSL, *map(str, args)],
        input=data if data is not None else b"",
        capture_output=True,
        timeout=60,
        check=False,
    )
    if check and proc.returncode != 0:
        raise OpenSSLFailed(
            f"openssl {' '.join(map(str, args))} failed ({proc.returncode}): "
            f"{proc.stderr.decode(errors='replace')}"
        )
    return proc.stdout


def cms_sign(
    content: bytes,
    signers: Sequence[tuple[Path, Path]],
    *,
    outform: str = "DER",
    detached: bool = True,
    binary: bool = True,
    extra: Sequence[str | Path] = (),
) -> bytes:
    """``openssl cms -sign`` with each (cert, key) pair as a signer; DER output by default.

    ``detached=False`` embeds the content (``-nodetach``).  ``extra`` adds options such as
    ``-md sha384``, ``-keyid``, ``-certfile inter.pem`` or ``-keyopt rsa_padding_mode:pss``.
    """
    args: list[str | Path] = ["cms", "-sign", "-outform", outform]
    for cert, key in signers:
        args += ["-signer", cert, "-inkey", key]
    if binary:
        args.append("-binary")
    if not detached:
        args.append("-nodetach")
    args += list(extra)
    return openssl(*args, data=content)


def cms_encrypt(
    content: bytes,
    recipients: Sequence[Path],
    *,
    cipher: str = "-aes-256-cbc",
    outform: str = "DER",
    extra: Sequence[str | Path] = (),
    keyopt: str | None = None,
) -> bytes:
    """``openssl cms -encrypt`` to the given recipient certificates; DER output by default.

    ``keyopt`` (e.g. ``rsa_padding_mode:oaep``) is applied to every recipient via ``-recip``.
    """
    args: list[str | Path] = ["cms", "-encrypt", "-binary", "-outform", outform, cipher, *extra]
    for recipient in recipients:
        args += ["-recip", recipient]
        if keyopt:
            args += ["-keyopt", keyopt]
    return openssl(*args, data=content)


def openssl_run(
    *args: str | Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``openssl`` and return the completed process (never raises on failure); skip the
    test where the CLI is not installed."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed")
    return subprocess.run(
        [OPENSSL, *map(str, args)], input=stdin, capture_output=True, timeout=60, check=False
    )


def ok(proc: subprocess.CompletedProcess[bytes]) -> bytes:
    """``proc``'s stdout, after asserting that it succeeded (its stderr as the message)."""
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout
