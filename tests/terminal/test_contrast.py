"""Every character readable, measured on what a real terminal receives.

The app runs in tmux with truecolor (as a user's terminal would have it); each screen is read
back with ``capture-pane -e`` and every visible character's WCAG contrast against its own
background is computed. Rules (issue 10): nothing below 1.3:1 anywhere (dimmed footer keys and
the screen behind a dialog may be faint, never invisible), and at least 97% of the text of each
screen at 4.5:1 (WCAG AA). On a dialog the 97% counts what the dialog drew (the characters that
differ from the screen behind it); the dimmed screen behind is held to the floor only.

Set SMIMETUI_CONTRAST_PICTURES=DIR to keep an SVG of every screen, to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.tmux import Cell, TmuxApp, parse_capture, smimetui_command
from tests.terminal.contrast import AA, FLOOR, Report, measure
from tests.terminal.picture import to_svg

THEMES = ("dark", "light", "high-contrast")
COLS, ROWS = 120, 40
AA_SHARE = 0.97


class Walk:
    """One app in tmux; ``shot`` measures the settled screen, ``dialog`` a modal over it."""

    def __init__(self, app: TmuxApp, theme: str, pictures: Path | None) -> None:
        self.app, self.theme, self.pictures = app, theme, pictures
        self.reports: list[Report] = []

    def _cells(self, name: str) -> list[Cell]:
        cells = parse_capture(self.app.settle())
        if self.pictures is not None:
            self.pictures.mkdir(parents=True, exist_ok=True)
            (self.pictures / f"{self.theme}-{name}.svg").write_text(to_svg(cells, COLS, ROWS))
        return cells

    def shot(self, name: str) -> None:
        self.reports.append(measure(name, self._cells(name)))

    def dialog(self, name: str, keys: tuple[str, ...], needle: str) -> None:
        behind = {(c.row, c.col): c.char for c in parse_capture(self.app.settle())}
        self.app.keys(*keys)
        self.app.wait_for(needle)
        cells = self._cells(name)
        drawn = [c for c in cells if behind.get((c.row, c.col)) != c.char]
        whole = measure(name, cells)
        own = measure(name, drawn)
        # The floor holds for every character, the AA share for what the dialog drew.
        self.reports.append(Report(name, own.text_cells, own.below_aa, whole.invisible, own.worst))
        self.app.keys("Escape")
        self.app.wait_gone(needle)


def _with_theme(home: Path, theme: str) -> None:
    config = home / "config.toml"
    config.write_text(config.read_text("utf-8") + f'\n[ui]\ntheme = "{theme}"\n', "utf-8")


@pytest.fixture
def tmux_app() -> Iterator[TmuxApp]:
    app = TmuxApp(COLS, ROWS)
    yield app
    app.close()


def _pictures() -> Path | None:
    where = os.environ.get("SMIMETUI_CONTRAST_PICTURES")
    return Path(where) if where else None


def _check(reports: list[Report]) -> None:
    failures = [
        r.describe() for r in reports if r.invisible or r.aa_share < AA_SHARE or r.text_cells == 0
    ]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("theme", THEMES)
def test_every_screen_is_legible(theme: str, fresh_demo_home: Path, tmux_app: TmuxApp) -> None:
    _with_theme(fresh_demo_home, theme)
    app = tmux_app
    app.start([*smimetui_command(), "--home", str(fresh_demo_home), "--demo"], {})
    app.wait_for("Welcome to the demo")
    app.wait_for("Your digital ID")  # the demo's notification
    walk = Walk(app, theme, _pictures())
    walk.shot("list, preview and a notification")
    app.keys("Enter")
    walk.shot("opened message")
    app.keys("s")
    app.wait_for("Unsigned")
    walk.shot("security pane")
    app.keys("s", "q")
    walk.dialog("help", ("?",), "Binding")
    walk.dialog("contacts", ("C",), "Valid until")
    walk.dialog("move", ("m",), "Move to folder")
    app.seek("j", "Subject: Plain mail with two attachments")
    app.wait_for("Attachments:")
    walk.dialog("save attachments", ("w",), "Save all")
    app.seek("k", "Subject: Signed with a certificate not meant")
    app.wait_for("Ask Dave Webserver")
    walk.dialog("certificate", ("v",), "SHA-256")
    app.keys("G")  # up from the bottom: no encrypted message on the way
    app.seek("k", "Subject: Signed by someone new")
    app.wait_for("Verified")
    walk.dialog("confirm", ("C-k",), "Add the certificate of")
    app.seek("k", "Subject: Partially signed")  # the next one up is encrypted
    walk.dialog("passphrase", ("k",), "Passphrase for")
    app.wait_for("locked")
    walk.shot("locked message")
    app.keys("c")
    app.wait_for("Subject")
    walk.shot("compose")
    _check(walk.reports)


@pytest.mark.parametrize("theme", THEMES)
def test_first_run_is_legible(theme: str, tmp_path: Path, tmux_app: TmuxApp) -> None:
    home = tmp_path / "empty"
    home.mkdir()
    (home / "config.toml").write_text(f'[ui]\ntheme = "{theme}"\n', "utf-8")
    tmux_app.start([*smimetui_command(), "--home", str(home)], {})
    tmux_app.wait_for("account add")
    walk = Walk(tmux_app, theme, _pictures())
    walk.shot("first run")
    _check(walk.reports)


def test_measure_finds_text_in_its_own_background_colour() -> None:
    """The harness itself: the bug that started this (black on black) must fail it."""
    raw = "\x1b[38;2;0;0;0;48;2;0;0;0mPlease pay the attached invoice today.\x1b[0m"
    report = measure("black on black", parse_capture(raw))
    assert report.invisible and report.aa_share == 0.0
    grey = "\x1b[38;2;118;118;118;48;2;255;255;255mjust AA\x1b[0m"  # #767676 on white: 4.54:1
    assert measure("grey", parse_capture(grey)).aa_share == 1.0
    assert FLOOR < AA
