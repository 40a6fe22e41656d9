"""Drive terminal programs in a private tmux server and time what appears on their screen.

One tmux server on its own socket (``-L``), ended with the bench.  Commands go through one
control-mode client (``tmux -C``), so polling the screen costs a line on a pipe rather than a
new process every few milliseconds (that would steal the CPU the measured program needs).  The
control client sits in a session of its own, so the measured panes' output is not streamed to
it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

POLL = 0.005  # seconds between screen captures


class TmuxError(RuntimeError):
    pass


class Tmux:
    """A private tmux server with a ``width`` x ``height`` window per launched program."""

    def __init__(self, width: int = 120, height: int = 40) -> None:
        self.socket = f"smimetui-bench-{os.getpid()}"
        self.width, self.height = width, height
        conf = Path(tempfile.mkstemp(prefix="tmux-", suffix=".conf")[1])
        conf.write_text(
            'set -g default-terminal "tmux-256color"\n'
            "set -g remain-on-exit off\n"
            "set -g status off\n"
            f"set -g default-size {width}x{height}\n"
            "set -g history-limit 0\n"
        )
        self._conf = conf
        self._tmux("new-session", "-d", "-s", "ctl", "-x", "20", "-y", "5", "sleep 1000000")
        self._tmux("new-session", "-d", "-s", "bench", "-x", str(width), "-y", str(height))
        self._ctl = subprocess.Popen(
            ["tmux", "-L", self.socket, "-C", "attach", "-t", "ctl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._read_block()  # the attach command's own (empty) answer comes first

    def _read_block(self) -> list[str] | None:
        """The next %begin..%end block's lines (None for %error); notifications skipped."""
        assert self._ctl.stdout is not None
        lines: list[str] = []
        inside = False
        while True:
            line = self._ctl.stdout.readline()
            if not line:
                raise TmuxError("the tmux control client ended")
            line = line.rstrip("\n")
            if line.startswith("%begin"):
                inside, lines = True, []
            elif inside and line.startswith("%end"):
                return lines
            elif inside and line.startswith("%error"):
                return None
            elif inside:
                lines.append(line)

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, "-f", str(self._conf), *args],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise TmuxError(out.stderr.strip())
        return out.stdout

    def command(self, *args: str) -> list[str] | None:
        """One tmux command over the control client: its output lines (None: it failed)."""
        assert self._ctl.stdin is not None
        self._ctl.stdin.write(shlex.join(args) + "\n")
        self._ctl.stdin.flush()
        return self._read_block()

    def launch(self, command: str, env: dict[str, str] | None = None) -> Pane:
        """Start ``command`` in a new window; the pane's clock starts just before."""
        args = ["new-window", "-d", "-t", "bench", "-P", "-F", "#{pane_id}"]
        for name, value in (env or {}).items():
            args += ["-e", f"{name}={value}"]
        started = time.perf_counter()
        out = self.command(*args, command)
        if not out:
            raise TmuxError(f"could not start {command!r}")
        return Pane(self, out[0].strip(), started)

    def close(self) -> None:
        if self._ctl.stdin is not None:
            self._ctl.stdin.close()
        self._ctl.wait(5)
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        self._conf.unlink(missing_ok=True)


class Pane:
    """One launched program."""

    def __init__(self, tmux: Tmux, pane_id: str, started: float) -> None:
        self.tmux, self.id, self.started = tmux, pane_id, started

    def screen(self) -> str | None:
        """The visible text (None: the program has ended and its window closed)."""
        lines = self.tmux.command("capture-pane", "-p", "-t", self.id)
        return None if lines is None else "\n".join(lines)

    def wait(self, found: Callable[[str], bool], timeout: float) -> float:
        """Seconds from launch until ``found(screen)`` (inf: not within ``timeout``)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            text = self.screen()
            now = time.perf_counter()
            if text is None:
                return float("inf")
            if found(text):
                return now - self.started
            time.sleep(POLL)
        return float("inf")

    def wait_text(self, text: str, timeout: float) -> float:
        return self.wait(lambda screen: text in screen, timeout)

    def wait_any_character(self, timeout: float) -> float:
        return self.wait(lambda screen: bool(screen.strip()), timeout)

    def keys(self, *keys: str) -> None:
        self.tmux.command("send-keys", "-t", self.id, *keys)

    def ended(self) -> bool:
        return self.screen() is None

    def end(self, quit_keys: tuple[str, ...], grace: float = 3.0) -> None:
        """Quit with ``quit_keys``; kill the pane if the program is still there after
        ``grace`` seconds."""
        if quit_keys:
            self.keys(*quit_keys)
        deadline = time.perf_counter() + grace
        while time.perf_counter() < deadline:
            if self.ended():
                return
            time.sleep(0.05)
        self.tmux.command("kill-pane", "-t", self.id)
