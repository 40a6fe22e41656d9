"""``smimetui id import`` and ``smimetui id list``: in-process through ``main`` and once through
the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from keyring.backend import KeyringBackend
from keyring.backends import fail

from smimetui.cli.main import main
from smimetui.core.pki.keystore import Keystore
from smimetui.core.pki.makecerts import Issued
from smimetui.core.settings.home import Home
from tests.support.keyring import DictKeyring


def write_p12(path: Path, issued: Issued, chain: list[Issued], passphrase: bytes | None) -> Path:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            None, issued.key, issued.cert, [c.cert for c in chain], enc
        )
    )
    return path


@pytest.fixture
def files(tmp_path: Path, fixture_pki) -> dict[str, Path]:
    (tmp_path / "pw").write_text("opensesame\n")
    (tmp_path / "newpw").write_text("brand new\n")
    (tmp_path / "garbage.p12").write_bytes(b"this is no pkcs12")
    return {
        "pw": tmp_path / "pw",
        "newpw": tmp_path / "newpw",
        "garbage": tmp_path / "garbage.p12",
        "alice": write_p12(
            tmp_path / "alice.p12", fixture_pki.alice, [fixture_pki.intermediate], b"opensesame"
        ),
        "bob_open": write_p12(tmp_path / "bob.pfx", fixture_pki.bob, [], None),
    }


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class TestImport:
    def test_prints_what_was_stored(self, capsys, home: Home, files) -> None:
        code, out, err = run(
            capsys, "id", "import", files["alice"], "--passphrase-file", files["pw"]
        )
        assert (code, err) == (0, "")
        ident = Keystore(home).list()[0]
        assert out.splitlines()[0] == f"Imported digital ID {ident.short_id} for alice@example.org"
        assert "Fixture Intermediate CA" in out
        assert "signing and encryption" in out
        assert "private key encrypted" in out
        assert Keystore(home).unlock(ident, b"opensesame")

    def test_second_import_says_updated(self, capsys, home, files) -> None:
        run(capsys, "id", "import", files["alice"], "--passphrase-file", files["pw"])
        code, out, _ = run(
            capsys, "id", "import", files["alice"], "--passphrase-file", files["pw"],
            "--new-passphrase-file", files["newpw"],
        )  # fmt: skip
        assert code == 0 and out.startswith("Updated digital ID")
        store = Keystore(home)
        assert store.unlock(store.list()[0], b"brand new")

    def test_wrong_passphrase_is_one_line(self, capsys, home, files) -> None:
        code, out, err = run(
            capsys, "id", "import", files["alice"], "--passphrase-file", files["newpw"]
        )
        assert code == 2 and out == ""
        assert err == f"smimetui: The passphrase for {files['alice']} is wrong.\n"

    def test_protected_file_without_a_terminal(self, capsys, home, files) -> None:
        code, _, err = run(capsys, "id", "import", files["alice"])
        assert code == 2
        assert "give it with --passphrase-file F" in err and err.count("\n") == 1

    def test_unprotected_file_needs_a_new_passphrase(self, capsys, home, files) -> None:
        code, _, err = run(capsys, "id", "import", files["bob_open"])
        assert code == 2 and "keys are never stored unencrypted" in err
        assert Keystore(home).list() == []
        code, out, _ = run(
            capsys, "id", "import", files["bob_open"], "--new-passphrase-file", files["newpw"]
        )
        assert code == 0 and "bob@example.org" in out
        store = Keystore(home)
        assert store.unlock(store.list()[0], b"brand new")

    def test_garbage_file(self, capsys, home, files) -> None:
        code, _, err = run(
            capsys, "id", "import", files["garbage"], "--passphrase-file", files["pw"]
        )
        assert code == 2 and "is not a PKCS#12 (.p12/.pfx) file" in err

    def test_missing_file(self, capsys, home, tmp_path) -> None:
        code, _, err = run(capsys, "id", "import", tmp_path / "nope.p12")
        assert code == 2 and "cannot be read" in err

    def test_missing_passphrase_file(self, capsys, home, files, tmp_path) -> None:
        code, _, err = run(
            capsys, "id", "import", files["alice"], "--passphrase-file", tmp_path / "none"
        )
        assert code == 2 and "passphrase file" in err


class TestList:
    def test_empty(self, capsys, home) -> None:
        code, out, _ = run(capsys, "id", "list")
        assert code == 0 and "no digital IDs yet" in out
        assert run(capsys, "id", "list", "--json")[1].strip() == "[]"

    def test_table_and_json(self, capsys, home, files) -> None:
        run(capsys, "id", "import", files["alice"], "--passphrase-file", files["pw"])
        run(capsys, "id", "import", files["bob_open"], "--new-passphrase-file", files["newpw"])
        code, out, _ = run(capsys, "id", "list")
        lines = out.splitlines()
        assert code == 0 and lines[0].split() == [
            "ID", "ADDRESS", "SUBJECT", "ISSUER", "VALID", "UNTIL", "USE",
        ]  # fmt: skip
        assert len(lines) == 3
        assert any("alice@example.org" in ln and "Alice Liddell" in ln for ln in lines)
        assert all("sign/encrypt" in ln for ln in lines[1:])
        code, out, _ = run(capsys, "id", "list", "--json")
        data = json.loads(out)
        assert {d["emails"][0] for d in data} == {"alice@example.org", "bob@example.org"}
        alice = next(d for d in data if d["emails"] == ["alice@example.org"])
        assert {"id", "subject", "issuer", "serial", "not_after", "can_sign", "can_encrypt"} <= set(
            alice
        )
        assert alice["chain"][0]["subject"].startswith("Common Name: Fixture Intermediate CA")
        assert alice["can_sign"] is True and alice["can_encrypt"] is True


def test_console_script(home: Home, files, tmp_path: Path) -> None:
    exe = shutil.which("smimetui") or str(Path(sys.executable).parent / "smimetui")
    own_home = tmp_path / "other-home"
    env = {**os.environ, "SMIMETUI_HOME": str(home.data_dir)}
    imported = subprocess.run(
        [exe, "--home", own_home, "id", "import", files["alice"], "--passphrase-file", files["pw"]],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    listed = subprocess.run(
        [exe, "--home", own_home, "id", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert json.loads(listed.stdout)[0]["emails"] == ["alice@example.org"]
    assert Keystore(home).list() == []  # --home wins over $SMIMETUI_HOME


@pytest.fixture
def use_keyring() -> Iterator[Callable[[KeyringBackend], None]]:
    """Set the keyring backend for one test, restoring the previous one afterwards."""
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


class TestKeyringOptIn:
    def test_saved_when_asked(self, capsys, home, files, use_keyring) -> None:
        backend = DictKeyring()
        use_keyring(backend)
        code, out, _ = run(
            capsys, "id", "import", files["alice"], "--passphrase-file", files["pw"], "--keyring"
        )
        ident = Keystore(home).list()[0]
        assert code == 0 and "passphrase saved" in out
        assert backend.data == {("smimetui", f"key:{ident.id}"): "opensesame"}

    def test_no_keyring_still_imports(self, capsys, home, files, use_keyring) -> None:
        use_keyring(fail.Keyring())
        code, out, err = run(
            capsys, "id", "import", files["alice"], "--passphrase-file", files["pw"], "--keyring"
        )
        assert code == 0 and out.startswith("Imported")
        assert "not saved in the keyring" in err and err.count("\n") == 1
