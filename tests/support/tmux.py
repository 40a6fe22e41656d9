"""What a real terminal shows: tmux runs the program, ``capture-pane -e`` reads every cell.

``TmuxApp`` starts a command in a detached tmux session of a given size with truecolor on,
types keys and waits for text. ``parse_capture`` turns the captured ANSI text into cells with
their resolved foreground and background colours, so tests can measure what a user sees rather
than what the app believes it drew.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

RGB = tuple[int, int, int]

# tmux's default colours when a cell has none: we run tmux with these (see TmuxApp.start).
DEFAULT_FG: RGB = (229, 229, 229)
DEFAULT_BG: RGB = (0, 0, 0)

# The 16 ANSI colours as xterm draws them (for 30-37, 90-97 and 38;5;0-15).
_ANSI16: tuple[RGB, ...] = (
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
    (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
    (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
)  # fmt: skip


def _xterm256(n: int) -> RGB:
    if n < 16:
        return _ANSI16[n]
    if n < 232:
        n -= 16
        steps = (0, 95, 135, 175, 215, 255)
        return steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
    level = 8 + (n - 232) * 10
    return level, level, level


@dataclass(frozen=True, slots=True)
class Cell:
    char: str
    row: int
    col: int
    fg: RGB
    bg: RGB


@dataclass
class _Pen:
    fg: RGB | None = None
    bg: RGB | None = None
    dim: bool = False
    reverse: bool = False
    hidden: bool = False

    def apply(self, params: list[int]) -> None:
        i = 0
        while i < len(params):
            p = params[i]
            if p == 0:
                self.fg = self.bg = None
                self.dim = self.reverse = self.hidden = False
            elif p == 2:
                self.dim = True
            elif p == 22:
                self.dim = False
            elif p == 7:
                self.reverse = True
            elif p == 27:
                self.reverse = False
            elif p == 8:
                self.hidden = True
            elif p == 28:
                self.hidden = False
            elif p in (38, 48) and i + 1 < len(params):
                colour: RGB | None = None
                if params[i + 1] == 2 and i + 4 < len(params):
                    colour = (params[i + 2], params[i + 3], params[i + 4])
                    i += 4
                elif params[i + 1] == 5 and i + 2 < len(params):
                    colour = _xterm256(params[i + 2])
                    i += 2
                if p == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            elif p == 39:
                self.fg = None
            elif p == 49:
                self.bg = None
            elif 30 <= p <= 37:
                self.fg = _ANSI16[p - 30]
            elif 90 <= p <= 97:
                self.fg = _ANSI16[p - 90 + 8]
            elif 40 <= p <= 47:
                self.bg = _ANSI16[p - 40]
            elif 100 <= p <= 107:
                self.bg = _ANSI16[p - 100 + 8]
            i += 1

    def colours(self) -> tuple[RGB, RGB]:
        fg = self.fg or DEFAULT_FG
        bg = self.bg or DEFAULT_BG
        if self.reverse:
            fg, bg = bg, fg
        if self.hidden:
            fg = bg
        if self.dim:  # what xterm and VTE do: half way to the background
            fg = (
                (fg[0] + bg[0]) // 2,
                (fg[1] + bg[1]) // 2,
                (fg[2] + bg[2]) // 2,
            )
        return fg, bg


_TOKEN = re.compile(r"\x1b\[([0-9;:]*)m|\x1b[^\[]|\x1b\[[0-9;?]*[A-Za-z]|(.)", re.S)


def char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def parse_capture(text: str) -> list[Cell]:
    """Every cell of a ``capture-pane -e -p`` dump (spaces included), colours resolved."""
    cells: list[Cell] = []
    pen = _Pen()
    for row, line in enumerate(text.split("\n")):
        col = 0
        for match in _TOKEN.finditer(line):
            if match.group(1) is not None:
                params = [int(p) if p else 0 for p in re.split("[;:]", match.group(1))]
                pen.apply(params or [0])
                continue
            char = match.group(2)
            if char is None:
                continue
            fg, bg = pen.colours()
            cells.append(Cell(char, row, col, fg, bg))
            col += char_width(char)
    return cells


class TmuxApp:
    """A program in its own tmux server (``-L``), so tests never touch the user's sessions."""

    def __init__(self, cols: int = 120, rows: int = 40) -> None:
        self.socket = f"smimetui-test-{uuid.uuid4().hex[:8]}"
        self.cols, self.rows = cols, rows

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def start(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
        environ.update({"TERM": "xterm-256color", "COLORTERM": "truecolor", **env})
        command = " ".join(shlex.quote(a) for a in argv)
        subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d",
             "-x", str(self.cols), "-y", str(self.rows), command],
            env=environ, check=True,
        )  # fmt: skip
        # Truecolor inside, and the app's TERM as a real terminal would set it.
        self._tmux("set-option", "-g", "default-terminal", "xterm-256color")

    def keys(self, *keys: str, pause: float = 0.15) -> None:
        for key in keys:
            self._tmux("send-keys", "-t", "0", key)
            time.sleep(pause)

    def text(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "0")

    def ansi(self) -> str:
        return self._tmux("capture-pane", "-e", "-N", "-p", "-t", "0")

    def wait_for(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.text()
            if needle in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} never appeared on the screen:\n{screen}")

    def wait_gone(self, needle: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.text()
            if needle not in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} never left the screen:\n{screen}")

    def seek(self, key: str, needle: str, limit: int = 30) -> str:
        """Press ``key`` until ``needle`` is on the screen (e.g. a subject in the preview).

        After each key press it waits for the screen to change, so a slow preview never makes
        it overshoot.
        """
        for _ in range(limit):
            screen = self.text()
            if needle in screen:
                return screen
            self.keys(key, pause=0)
            deadline = time.monotonic() + 5
            while self.text() == screen and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)  # the preview follows the cursor
        return self.wait_for(needle, timeout=5)

    def settle(self, quiet: float = 0.4, timeout: float = 10.0) -> str:
        """Wait until the screen (with colours) stops changing for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        last, since = self.ansi(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.ansi()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
        return last

    def alive(self) -> bool:
        try:
            return "0" in self._tmux("list-sessions", "-F", "#{session_name}")
        except subprocess.CalledProcessError:
            return False

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def smimetui_command() -> list[str]:
    """$SMIMETUI_COMMAND (tests/run.sh sets it to the wheel installed in a fresh virtualenv),
    else the console script on PATH, else the module through this Python."""
    chosen = os.environ.get("SMIMETUI_COMMAND")
    if chosen:
        return [chosen]
    found = shutil.which("smimetui")
    return [found] if found else ["python3", "-m", "smimetui.cli.main"]
