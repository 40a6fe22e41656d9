"""Starting fast (issue 10, section 4): only what the chosen command needs is imported, and the
mail reader says something on the terminal before Textual is even imported.

Run as processes (a fresh interpreter each), because what counts is what one start imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from smimetui.cli.launch import SPLASH
from tests.support.tty import PtyRun

# Loaded only by the commands that need them: directories (LDAP), chain validation, crypto.
HEAVY = (
    "ldap3",
    "pyhanko_certvalidator",
    "smimetui.core.directory.servers",
    "smimetui.core.pki.trust",
)


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    probe = code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))\n"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return set(out.stdout.split())


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith(HEAVY))


def subcommand_modules(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith("smimetui.cli.cmd_"))


class TestParser:
    def test_no_command_imports_no_subcommand(self) -> None:
        code = (
            "from smimetui.cli.main import build_parser, modules_for\n"
            "assert build_parser(modules_for([])).parse_args([]).command is None\n"
        )
        modules = modules_after(code)
        assert subcommand_modules(modules) == []
        assert heavy(modules) == []
        assert "textual" not in modules

    def test_a_command_imports_its_own_module_only(self) -> None:
        code = (
            "from smimetui.cli.main import build_parser, modules_for\n"
            "argv = ['--home', '/nonexistent', 'account', 'list', '--json']\n"
            "assert build_parser(modules_for(argv)).parse_args(argv).command == 'account'\n"
        )
        modules = modules_after(code)
        assert subcommand_modules(modules) == ["smimetui.cli.cmd_account"]
        assert heavy(modules) == []

    @pytest.mark.parametrize("argv", [["--help"], ["no-such-command"]])
    def test_help_and_mistakes_list_every_command(self, argv: list[str]) -> None:
        out = subprocess.run(
            [sys.executable, "-m", "smimetui.cli.main", *argv],
            capture_output=True,
            text=True,
            timeout=120,
        )
        text = out.stdout + out.stderr
        for command in ("inspect", "encrypt", "sync", "directory", "account"):
            assert command in text


def test_the_mail_reader_starts_without_the_heavy_modules(tmp_path: Path) -> None:
    """``smimetui`` on a terminal, no account yet: the splash comes first, Textual draws the
    first-run screen, ctrl+q quits; in the whole run nothing heavy was imported."""
    record = tmp_path / "modules.txt"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(record)!r}, 'w').write('\\n'.join(sys.modules)))\n"
        "from smimetui.cli.main import main\n"
        f"sys.exit(main(['--home', {str(tmp_path / 'home')!r}]))\n"
    )
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    run = PtyRun([sys.executable, "-c", code], env, rows=30, cols=100)
    try:
        assert run.read_until(b"smimetui account add", 60), bytes(run.output)[-2000:]
        assert bytes(run.output).startswith(SPLASH.encode())  # before anything of Textual's
        run.send(b"\x11")  # ctrl+q
        run.proc.wait(timeout=30)
        run.read_for(0.5)
    finally:
        run.close()
    assert bytes(run.output).endswith(b"\r\x1b[2K")  # the splash is wiped at the end
    modules = set(record.read_text().split())
    assert "textual" in modules  # it did run the app
    assert heavy(modules) == []
    assert subcommand_modules(modules) == []
