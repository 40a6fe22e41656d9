"""Terminal injection: escape sequences and markup from a message never reach the terminal.

Subjects, names, bodies, filenames and certificate fields carry CSI, OSC 0/8/52, BEL,
backspace, CR, 8-bit C1 controls, bidi overrides and Textual/Rich markup.  The proof is on the
real bytes written to the terminal: by ``smimetui inspect`` to a pipe, and by the full app in a
pseudo-terminal.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from smimetui.core.read.inspect import inspect_message
from smimetui.core.settings.home import Home
from tests.adversarial.helpers import write
from tests.adversarial.hostile import FORBIDDEN, hostile_cert, hostile_message
from tests.support.pki import FixturePKI
from tests.support.tty import PtyRun

CLI = [sys.executable, "-m", "smimetui.cli.main"]
# Any C0 control but newline, DEL, and C1 controls (as UTF-8) in text written by the CLI.
_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


@pytest.fixture(scope="module")
def hostile_eml(fixture_pki: FixturePKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    signer = hostile_cert(fixture_pki)
    return write(
        tmp_path_factory.mktemp("hostile"),
        "hostile.eml",
        hostile_message(fixture_pki, signer=signer),
    )


def test_report_strings_carry_no_control_characters(hostile_eml: Path, ctx) -> None:
    # Naive: subject, names and body go to the screen as they came.
    report = inspect_message(hostile_eml.read_bytes(), ctx)
    data = json.dumps(report.to_json(), ensure_ascii=False).encode()
    assert not _CONTROL.search(data.replace(b"\\n", b"")), "a control character survived"
    assert "\u202e" not in report.text and "<U+202E>" in report.text  # bidi shown escaped
    assert report.signature is not None and report.signature.signer is not None
    assert "CN-MARK" in report.signature.signer.subject


def test_cli_inspect_writes_no_escape_sequences(hostile_eml: Path, cli_home: Home) -> None:
    # Naive: `inspect` prints the subject and body raw: the title changes (OSC 0), the
    # clipboard is overwritten (OSC 52), links hide their target (OSC 8), the screen clears.
    proc = subprocess.run(CLI + ["inspect", str(hostile_eml)], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for seq in FORBIDDEN:
        assert seq not in out, seq
    bad = _CONTROL.search(out)
    assert bad is None, f"control byte {bad.group()!r} at {bad.start()}"
    # everything was displayed, literally: markup is text, not styling or actions
    for marker in (b"SUBJ-MARK", b"BODY-MARK", b"LATIN1-MARK", b"FILE-MARK", b"CN-MARK"):
        assert marker in out, marker
    assert b"[@click=app.quit]CLICK-MARK[/]" in out
    assert b"<U+202E>RTL-MARK" in out


def test_cli_inspect_json_has_no_raw_controls(hostile_eml: Path, cli_home: Home) -> None:
    proc = subprocess.run(
        CLI + ["inspect", "--json", str(hostile_eml)], capture_output=True, timeout=120
    )
    assert proc.returncode == 0
    assert b"\x1b" not in proc.stdout and b"\\u001b" not in proc.stdout
    assert not _CONTROL.search(proc.stdout.replace(b"\n", b""))


_TUI_MISSING = importlib.util.find_spec("textual") is None or (
    importlib.util.find_spec("smimetui.tui.run") is None
)
# OSC sequences the app itself writes (Textual sets the mouse pointer shape with OSC 22).
_OWN_OSC = {b"22"}
_OSC = re.compile(rb"\x1b\](\d*)[;]?[^\x07\x1b]*(\x07|\x1b\\)?")


@pytest.mark.skipif(_TUI_MISSING, reason="the Textual app is not installed")
def test_tui_in_a_pty_writes_no_foreign_escape_sequences(
    fixture_pki: FixturePKI, tmp_path: Path
) -> None:
    # Naive: a TUI that renders message text as markup runs [@click=app.quit], or one that
    # writes text unfiltered passes OSC 52 / OSC 8 / OSC 0 and BEL through to the terminal.
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    signer = hostile_cert(fixture_pki)
    (maildir / "cur" / "1700000000.1.host:2,S").write_bytes(
        hostile_message(fixture_pki, signer=signer)
    )
    root = write(tmp_path, "root.pem", fixture_pki.root.cert_pem)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))}
    env.update(TERM="xterm-256color", SMIMETUI_HOME=str(tmp_path / "home"), COLUMNS="140")
    env.pop("LINES", None)
    for args in (
        ["account", "add", "hostile", "--email", "me@example.org", "--maildir", str(maildir)],
        ["trust", "add", str(root)],
    ):
        subprocess.run(CLI + args, env=env, check=True, capture_output=True, timeout=120)
    run = PtyRun(CLI, env)
    try:
        assert run.read_until(b"SUBJ-MARK", 30), "the hostile subject was never displayed"
        run.read_for(1.5)
        run.send(b"\r")  # open the message
        assert run.read_until(b"BODY-MARK", 20), "the hostile body was never displayed"
        run.read_for(1.5)
        run.send(b"q")
        run.read_for(1.0)
        run.send(b"q")
        run.read_for(2.0)
    finally:
        run.close()
    out = bytes(run.output)
    for seq in FORBIDDEN:
        assert seq not in out, seq
    oscs = _OSC.findall(out)
    foreign = [num for num, _ in oscs if num not in _OWN_OSC]
    assert not foreign, f"OSC sequences the app did not produce: {foreign}"
    own_bel = sum(1 for _, end in oscs if end == b"\x07")
    assert out.count(b"\x07") == own_bel, "a BEL that is not the end of the app's own OSC"
    assert b"\xc2\x9b" not in out and b"\x9b" not in out.replace(b"\xe2\x80\x9b", b"")
    # markup from the message is shown as text, not interpreted
    assert b"[@click=app.quit]" in out
    assert b"[bold]BOLD-MARK" in out
