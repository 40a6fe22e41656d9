"""Opening attachments with mailcap entries (RFC 1524) or xdg-open, from a private copy."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from smimetui.core.errors import InputError
from smimetui.core.read.mailcap import (
    command_line,
    expand,
    find_viewer,
    parse_mailcap,
    private_copy,
    run_viewer,
)

MAILCAP = r"""# comment
application/pdf; zathura %s; test=false
application/pdf; evince %s; nametemplate=%s.pdf
text/html; lynx -dump %s; copiousoutput
image/*; feh \
  %s; needsterminal
text/plain; less; needsterminal
application/x-semi; echo a\;b %s
"""


class TestParse:
    def test_entries(self) -> None:
        entries = parse_mailcap(MAILCAP, "test")
        assert [e.mime_type for e in entries] == [
            "application/pdf", "application/pdf", "text/html", "image/*", "text/plain",
            "application/x-semi",
        ]  # fmt: skip
        assert entries[0].test == "false" and entries[1].name_template == "%s.pdf"
        assert entries[2].copious_output and entries[3].needs_terminal
        assert entries[3].command == "feh   %s"
        assert entries[5].command == "echo a;b %s"

    def test_test_command_and_wildcards(self) -> None:
        entries = parse_mailcap(MAILCAP)
        assert find_viewer("application/pdf", entries).command == "evince %s"
        assert find_viewer("IMAGE/PNG", entries).needs_terminal

    def test_no_viewer_is_a_sentence(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PATH", "/nonexistent")
        with pytest.raises(InputError, match="There is no viewer for application/zip"):
            find_viewer("application/zip", [])


class TestQuoting:
    def test_hostile_name_and_type_are_quoted(self, tmp_path: Path) -> None:
        path = tmp_path / "a'$(touch x);b.pdf"
        line = expand("view %s --type %t", path, "application/pdf;$(reboot)")
        assert (
            line == f"view '{tmp_path}/a'\"'\"'$(touch x);b.pdf' --type 'application/pdf;$(reboot)'"
        )

    def test_stdin_when_no_file(self, tmp_path: Path) -> None:
        viewer = find_viewer("text/plain", parse_mailcap(MAILCAP))
        argv, on_stdin = command_line(viewer, tmp_path / "f", "text/plain")
        assert argv == ["/bin/sh", "-c", "less"] and on_stdin


class TestRun:
    def test_private_copy_removed_afterwards(self) -> None:
        with private_copy(b"data", "../../etc/passwd") as path:
            folder = path.parent
            assert folder.name.startswith("smimetui-open-") and "/" not in path.name
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
            assert stat.S_IMODE(path.stat().st_mode) == 0o400
            assert path.read_bytes() == b"data"
        assert not folder.exists()

    def test_mailcap_entry_writes_marker(self, tmp_path: Path) -> None:
        marker = tmp_path / "marker"
        entries = parse_mailcap(f"application/pdf; cp %s {marker}; nametemplate=%s.pdf")
        viewer = find_viewer("application/pdf", entries)
        run_viewer(viewer, b"%PDF-1.4 hello", "report", "application/pdf")
        assert marker.read_bytes() == b"%PDF-1.4 hello"
        assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("smimetui-open-*/report.pdf"))

    def test_copiousoutput_is_returned(self) -> None:
        viewer = find_viewer("text/html", parse_mailcap("text/html; cat; copiousoutput"))
        assert run_viewer(viewer, b"<b>hi</b>", "x.html", "text/html") == "<b>hi</b>"

    def test_failing_viewer_is_a_sentence(self) -> None:
        viewer = find_viewer("application/pdf", parse_mailcap("application/pdf; exit 3"))
        with pytest.raises(InputError, match="ended with exit status 3"):
            run_viewer(viewer, b"x", "x.pdf", "application/pdf")


def test_xdg_open_refuses_names_a_desktop_may_run() -> None:
    from smimetui.core.read.mailcap import Viewer

    with pytest.raises(InputError, match="could be run as a program"):
        run_viewer(
            Viewer(command="xdg-open"), b"[Desktop Entry]", "invoice.pdf.desktop", "application/pdf"
        )
