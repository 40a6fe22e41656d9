"""`smimetui inspect`: the JSON contract, the human report, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.pki.trust import TrustStore
from smimetui.core.settings.home import Home
from tests.support.openssl import openssl, requires_openssl

pytestmark = [requires_openssl]

TOP_KEYS = {"from", "subject", "text", "signature", "encryption"}
SIG_KEYS = {"status", "chain", "from_match", "covers", "signer", "problems"}
SIGNER_KEYS = {"email", "subject", "issuer", "serial", "not_before", "not_after", "sha256"}
ENC_KEYS = {"status", "algorithm", "authenticated", "problems"}
BODY = b"Content-Type: text/plain\r\n\r\nHello from the CLI test.\r\n"


@pytest.fixture
def signed_file(tmp_path: Path, pki_dir) -> Path:
    mail = openssl(
        "cms",
        "-sign",
        "-signer",
        pki_dir["alice"],
        "-inkey",
        pki_dir["alice.key"],
        "-certfile",
        pki_dir["intermediate"],
        "-from",
        "Alice <alice@example.org>",
        "-subject",
        "CLI",
        data=BODY,
    )
    path = tmp_path / "signed.eml"
    path.write_bytes(mail)
    return path


@pytest.fixture
def trusting_home(home: Home, fixture_pki) -> Home:
    TrustStore(home).add(fixture_pki.root.cert_pem)
    return home


def test_json_contract(signed_file: Path, trusting_home: Home, capsys) -> None:
    assert main(["inspect", str(signed_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data.keys() >= TOP_KEYS
    assert data["from"] == "alice@example.org"
    assert data["subject"] == "CLI"
    assert "Hello from the CLI test." in data["text"]
    sig = data["signature"]
    assert sig.keys() >= SIG_KEYS and sig["signer"].keys() >= SIGNER_KEYS
    assert (sig["status"], sig["chain"], sig["from_match"], sig["covers"]) == (
        "good",
        "trusted",
        True,
        "whole",
    )
    assert sig["signer"]["email"] == ["alice@example.org"]
    assert data["encryption"] is None


def test_encrypted_json_without_key(tmp_path: Path, pki_dir, trusting_home: Home, capsys) -> None:
    mail = openssl(
        "cms", "-encrypt", "-aes-256-gcm", "-from", "x@example.org", pki_dir["bob"], data=BODY
    )
    path = tmp_path / "enc.eml"
    path.write_bytes(mail)
    assert main(["inspect", str(path), "--json"]) == 0
    enc = json.loads(capsys.readouterr().out)["encryption"]
    assert enc.keys() >= ENC_KEYS
    assert (enc["status"], enc["algorithm"], enc["authenticated"]) == (
        "no-key",
        "AES-256-GCM",
        True,
    )


def test_human_report(signed_file: Path, trusting_home: Home, capsys) -> None:
    assert main(["inspect", str(signed_file)]) == 0
    out = capsys.readouterr().out
    assert "Signed by alice@example.org — verified." in out
    assert "Hello from the CLI test." in out


def test_bad_verdict_still_exits_zero(signed_file: Path, trusting_home: Home, capsys) -> None:
    signed_file.write_bytes(signed_file.read_bytes().replace(b"Hello", b"Jello"))
    assert main(["inspect", str(signed_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["signature"]["status"] == "bad"


def test_forensic_time_is_labelled(signed_file: Path, trusting_home: Home, capsys) -> None:
    assert main(["inspect", str(signed_file), "--at", "2020-01-01T00:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert "Validated as of 2020-01-01" in out
    assert "not-yet-valid" in out  # the fixture certificates did not exist in 2020


@pytest.mark.parametrize(
    ("content", "needle"),
    [(None, "no such file"), (b"", "empty"), (b"\x00\x01\x02 no headers", "not an e-mail")],
)
def test_unreadable_input(tmp_path: Path, home: Home, capsys, content, needle) -> None:
    path = tmp_path / "input.eml"
    if content is not None:
        path.write_bytes(content)
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_console_script_reads_stdin(signed_file: Path, trusting_home: Home) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "smimetui.cli.main", "inspect", "-", "--json"],
        input=signed_file.read_bytes(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["signature"]["status"] == "good"
