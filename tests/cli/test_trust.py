"""``smimetui trust add|list|remove`` through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.pki.trust import TrustStore, default_system_bundle
from smimetui.core.settings.home import Home
from tests.support.pki import FixturePKI


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestTrustCli:
    def test_add_list_remove(
        self, home: Home, pki_dir: dict[str, Path], capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, out, err = run(capsys, "trust", "add", str(pki_dir["root"]))
        assert (code, err) == (0, "")
        sha = TrustStore(home, use_system=False).user_roots()[0].sha256
        assert out.startswith("Trusted as a root: Fixture Root CA (self-signed; valid until ")
        assert f"sha256 {sha}" in out

        code, out, _ = run(capsys, "trust", "list")
        assert code == 0 and "Fixture Root CA" in out and sha in out

        code, out, _ = run(capsys, "trust", "list", "--json")
        data = json.loads(out)
        assert [r["sha256"] for r in data["roots"]] == [sha]
        assert data["roots"][0]["self_signed"] is True
        assert "system" not in data

        code, out, _ = run(capsys, "trust", "remove", sha[:10])
        assert code == 0 and out.startswith("No longer trusted: Fixture Root CA")
        code, out, _ = run(capsys, "trust", "list")
        assert "You have not added any roots" in out

    def test_list_all_counts_system_roots(
        self, home: Home, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, out, _ = run(capsys, "trust", "list", "--all", "--json")
        data = json.loads(out)
        assert code == 0 and data["roots"] == []
        if default_system_bundle() is None:
            assert data["system"]["count"] == 0
        else:
            assert data["system"]["count"] > 10
        code, out, _ = run(capsys, "trust", "list", "--all")
        assert "System store:" in out

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"this is not a certificate\n", "not a certificate"),
            (b"", "not a certificate"),
            (
                b"-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n",
                "not a certificate",
            ),
        ],
    )
    def test_add_garbage(
        self,
        home: Home,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        content: bytes,
        message: str,
    ) -> None:
        bad = tmp_path / "bad.pem"
        bad.write_bytes(content)
        code, out, err = run(capsys, "trust", "add", str(bad))
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and message in err

    def test_add_leaf_refused(
        self, home: Home, pki_dir: dict[str, Path], capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = run(capsys, "trust", "add", str(pki_dir["alice"]))
        assert code == 2 and "not a certificate authority" in err and err.count("\n") == 1

    def test_add_missing_file(
        self, home: Home, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = run(capsys, "trust", "add", str(tmp_path / "nope.pem"))
        assert code == 2 and "does not exist" in err

    def test_remove_unknown(self, home: Home, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "trust", "remove", "deadbeef")
        assert code == 2 and "No root you added matches 'deadbeef'" in err

    def test_remove_ambiguous(
        self,
        home: Home,
        fixture_pki: FixturePKI,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        store = TrustStore(home, use_system=False)
        store.add(fixture_pki.root.der)
        store.add(fixture_pki.intermediate.der)
        code, _, err = run(capsys, "trust", "remove", "Fixture")
        assert code == 2 and "matches 2 roots" in err

    def test_console_script_garbage_is_one_line(self, home: Home, tmp_path: Path) -> None:
        """The installed entry point: one line on stderr, exit 2, no traceback."""
        bad = tmp_path / "garbage.der"
        bad.write_bytes(b"\x30\x82\xff\xff garbage")
        proc = subprocess.run(
            [sys.executable, "-m", "smimetui.cli.main", "trust", "add", str(bad)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 2
        assert proc.stdout == ""
        assert proc.stderr.startswith("smimetui: ") and proc.stderr.count("\n") == 1
        assert "Traceback" not in proc.stderr
