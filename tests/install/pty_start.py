"""Start an installed ``smimetui --demo`` in tmux (a real pseudo-terminal), see the list, quit."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.tmux import TmuxApp


def main(command: str, home: str) -> int:
    app = TmuxApp(120, 40)
    try:
        app.start([command, "--home", home, "--demo"], {})
        app.wait_for("Welcome to the demo", timeout=60)
        app.keys("q")
        deadline = time.monotonic() + 20
        while app.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        if app.alive():
            print("pty start: the app did not quit on q", file=sys.stderr)
            return 1
        print("pty start: the demo list was on the terminal, q quit")
        return 0
    finally:
        app.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
