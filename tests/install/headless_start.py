"""Start the installed app headless on a fresh demo home and check that the list is drawn.

Run with the Python of the virtualenv that the wheel went into (tests/wheel_check.sh): only the
installed ``smimetui`` is importable there, never the source tree.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


async def main(home_dir: Path) -> int:
    from smimetui.core.settings.home import Home
    from smimetui.tui.run import build_app

    app = build_app(Home.at(home_dir), demo=True)
    async with app.run_test(size=(120, 40)) as pilot:  # type: ignore[attr-defined]
        for _ in range(100):
            await pilot.pause(0.1)
            if "Welcome" in app.export_screenshot():  # type: ignore[attr-defined]
                print("headless start: the demo list is on the screen")
                return 0
    print("headless start: the demo list never appeared", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(Path(sys.argv[1]))))
