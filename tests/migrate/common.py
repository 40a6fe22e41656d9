"""Shared by the importer tests: run the CLI, sign with an imported ID and verify with openssl,
and fingerprint a folder tree to prove that nothing changed."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from smimetui.core.cli.main import main

OPENSSL = shutil.which("openssl")
NEW_PASSPHRASE = "kept in smimetui now"
DRAFT = (
    b"From: Alice Liddell <alice@example.org>\n"
    b"To: Bob <bob@example.org>\n"
    b"Subject: moved in\n"
    b"\n"
    b"Signed with a key brought over from another mail program.\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def secret_file(directory: Path, name: str, value: str) -> Path:
    path = directory / name
    path.write_text(value + "\n")
    return path


def tree_state(root: Path) -> dict[str, str]:
    """Relative path -> content hash (or "dir"/"socket") of everything under ``root``."""
    state: dict[str, str] = {}
    if not root.exists():
        return state
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_socket():
            state[rel] = "socket"
        elif path.is_dir():
            state[rel] = "dir"
        else:
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def sign_and_verify(tmp: Path, passphrase_file: Path, root_pem: Path) -> bytes:
    """Sign a draft with the imported ID through the CLI; openssl verifies it to the root."""
    draft = tmp / "draft.eml"
    draft.write_bytes(DRAFT)
    signed = tmp / "signed.eml"
    code = main(["sign", str(draft), "-o", str(signed), "--passphrase-file", str(passphrase_file)])
    assert code == 0
    if OPENSSL is None:
        pytest.skip("openssl CLI not installed")
    proc = subprocess.run(
        [OPENSSL, "cms", "-verify", "-in", str(signed), "-CAfile", str(root_pem)],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert b"Verification successful" in proc.stderr
    return proc.stdout
