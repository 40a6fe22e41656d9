"""Running the other program's own tools (certutil, pk12util, gpgsm) safely.

Secrets reach a tool through a pipe it opens as ``/dev/fd/N`` (or reads with ``--passphrase-fd
N``): never in argv, never in a file.  Tools run without a terminal (new session, stdin from
/dev/null), so none of them can stop to ask on the user's terminal, and with a time limit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from smimetui.core.errors import InputError

TIMEOUT = 120  # seconds; pk12util's 600 000 PBKDF2 rounds take about one


@dataclass(frozen=True, slots=True)
class ToolResult:
    returncode: int
    stdout: bytes
    stderr: str


def require(program: str, package: str) -> str:
    """The path of ``program``, or an InputError naming the package that has it."""
    found = shutil.which(program)
    if found is None:
        raise InputError(
            f"{program} is needed to read this store and is not installed (Debian package "
            f"{package})."
        )
    return found


def _feed(fd: int, data: bytes) -> None:
    try:
        os.write(fd, data)
    except OSError:
        pass  # the tool did not read it (it failed earlier): its exit status says why
    finally:
        os.close(fd)


def run_tool(
    argv: Sequence[str],
    *,
    secrets: Sequence[bytes] = (),
    env: Mapping[str, str] | None = None,
) -> ToolResult:
    """Run ``argv``; ``@FD0@``, ``@FD1@``… in it become the fd numbers of pipes carrying
    ``secrets`` (each followed by a newline)."""
    pipes = [os.pipe() for _ in secrets]
    readers = [r for r, _ in pipes]
    args = list(argv)
    for index, reader in enumerate(readers):
        args = [a.replace(f"@FD{index}@", str(reader)) for a in args]
    feeders = [
        threading.Thread(target=_feed, args=(w, s + b"\n"), daemon=True)
        for (_, w), s in zip(pipes, secrets, strict=True)
    ]
    for feeder in feeders:
        feeder.start()
    try:
        proc = subprocess.run(
            args,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=dict(env) if env is not None else None,
            pass_fds=readers,
            start_new_session=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise InputError(f"{os.path.basename(args[0])} did not finish in {TIMEOUT} s.") from err
    except OSError as err:
        raise InputError(f"{args[0]} cannot be run: {err.strerror or err}.") from err
    finally:
        for reader in readers:
            os.close(reader)
        for feeder in feeders:
            feeder.join(timeout=5)
    return ToolResult(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))


def last_line(text: str) -> str:
    """The last non-empty line of a tool's stderr (its own reason), for a sentence."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1].rstrip(".") if lines else "no reason given"
