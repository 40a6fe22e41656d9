"""Shared by the importer tests: run the CLI, sign with an imported ID and verify with openssl,
and fingerprint a folder tree to prove that nothing changed."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from smimetui.cli.main import main

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


def run_in_terminal(
    argv: list[str], answers: list[tuple[str, str]], env: dict[str, str], timeout: float = 120
) -> tuple[int, str]:
    """Run ``argv`` on a pseudo-terminal (its controlling terminal, as getpass wants); answer
    each prompt text with its line, in order.  Returns the exit status and everything shown."""
    import fcntl
    import select
    import termios
    import time

    main_fd, child_fd = os.openpty()

    def become_terminal_owner() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(
        argv,
        stdin=child_fd,
        stdout=child_fd,
        stderr=child_fd,
        env=env,
        preexec_fn=become_terminal_owner,
        close_fds=True,
    )
    os.close(child_fd)
    shown = b""
    answered_upto = 0  # a prompt is looked for only in what came after the last answer
    pending = list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main_fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(main_fd, 4096)
                except OSError:
                    break  # the child closed the terminal
                if not chunk:
                    break
                shown += chunk
                if pending and pending[0][0].encode() in shown[answered_upto:]:
                    answered_upto = len(shown)
                    os.write(main_fd, pending.pop(0)[1].encode() + b"\n")
            elif proc.poll() is not None:
                break
        return proc.wait(timeout=max(1.0, deadline - time.monotonic())), shown.decode(
            "utf-8", "replace"
        )
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main_fd)
