"""``smimetui inspect FILE --headers / --source`` and the transport facts in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.settings.config import load_config, save_config
from smimetui.core.settings.home import Home
from tests.support.corpus import TRANSPORT

CORPUS = TRANSPORT
GMAIL = str(CORPUS / "gmail_dmarc_pass.eml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_headers(home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "inspect", GMAIL, "--headers")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "Return-Path: <bob@example.net>"
    assert lines[2].startswith("Received: from mx.example.org by imap.example.org with LMTP")
    code, out, _ = run(capsys, "inspect", GMAIL, "--headers", "--json")
    assert json.loads(out)[1] == {"name": "Delivered-To", "value": "alice@example.org"}


def test_source_is_the_message_as_it_arrived(
    home: Home, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    evil = tmp_path / "evil.eml"
    evil.write_bytes(b"Subject: \x1b]0;owned\x07hi\r\n\r\nline\x1b[2J\r\n")
    code, out, _ = run(capsys, "inspect", str(evil), "--source")
    assert code == 0 and out == "Subject: ]0;ownedhi\n\nline[2J\n"
    code, out, _ = run(capsys, "inspect", GMAIL, "--source")
    assert '<a href="https://evil.example/login">' in out


def test_headers_and_source_exclude_each_other(
    home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["inspect", GMAIL, "--headers", "--source"])


def test_report_lines(home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "inspect", GMAIL, "--authserv-id", "mx.example.org")
    assert code == 0
    assert (
        "Authentication (mx.example.org): DKIM: pass (example.net) · SPF: pass (example.net) · "
        "DMARC: pass (example.net)" in out
    )
    assert "Handed to your server by: mail-sor-f41.google.com" in out
    assert "[claimed by the sender]" in out and "[your server]" in out


def test_default_accounts_server(home: Home, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "account", "add", "me", "--email", "alice@example.org",
               "--maildir", str(home.data_dir / "Mail"))[0] == 0  # fmt: skip
    config = load_config(home)
    config["accounts"]["me"]["authserv_id"] = "mx.example.org"
    save_config(home, config)
    code, out, _ = run(capsys, "inspect", str(CORPUS / "outlook_dmarc_fail.eml"), "--json")
    data = json.loads(out)
    assert data["authentication"]["found"] is True
    assert data["delivery"]["sender_ip"] == "40.107.22.101"
    code, out, _ = run(capsys, "inspect", GMAIL, "--json")
    assert json.loads(out)["authentication"]["summary"].startswith("Your server mx.example.org")
