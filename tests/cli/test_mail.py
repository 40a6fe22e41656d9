"""The account and mail commands end to end: a Maildir account always, and a real Dovecot
(tests/support/servers/dovecot.py) when dovecot-imapd is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from smimetui.cli.main import main
from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.settings.home import Home
from tests.support.keyring import MemoryKeyring, memory_keyring  # noqa: F401 (fixture)
from tests.support.mailgen import ENCRYPTED_SHAPE, plain, with_attachment


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def signed_message(pki_dir: dict[str, Path], tmp_path: Path) -> bytes:
    """A multipart/signed message made by openssl (an independent S/MIME implementation)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    body = tmp_path / "body.txt"
    body.write_bytes(b"Content-Type: text/plain\r\n\r\nSigned hello\r\n")
    result = subprocess.run(
        ["openssl", "cms", "-sign", "-in", str(body), "-signer", str(pki_dir["alice"]),
         "-inkey", str(pki_dir["alice.key"]), "-certfile", str(pki_dir["intermediate"]),
         "-from", "alice@example.org", "-to", "bob@example.org", "-subject", "signed by openssl"],
        capture_output=True, check=True,
    )  # fmt: skip
    return result.stdout


@pytest.fixture
def local(home: Home, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> MaildirBackend:
    path = tmp_path / "Mail"
    code, out, err = run(
        capsys, "account", "add", "local", "--email", "bob@example.org", "--maildir", str(path)
    )
    assert code == 0, err
    assert "Created an empty Maildir" in out
    backend = MaildirBackend(path)
    backend.append("INBOX", plain("oldest", when=0), [])
    backend.append("INBOX", with_attachment("with pdf"), ["\\Seen"])
    backend.append("INBOX", ENCRYPTED_SHAPE, ["\\Flagged"])
    backend.create_folder("Sent")
    return backend


class TestAccountCommands:
    def test_add_defaults_list_remove(self, home: Home, capsys: pytest.CaptureFixture[str]) -> None:
        assert run(capsys, "account", "add", "work", "--email", "a@example.org",
                   "--imap-host", "imap.example.org", "--username", "a",
                   "--smtp-host", "smtp.example.org")[0] == 0  # fmt: skip
        assert run(capsys, "account", "add", "home", "--email", "h@example.org",
                   "--imap-host", "mail.example.net", "--imap-security", "starttls",
                   "--username", "h", "--smtp-host", "mail.example.net",
                   "--smtp-security", "tls", "--default")[0] == 0  # fmt: skip
        rows = run_json(capsys, "account", "list")
        assert isinstance(rows, list)
        work, home_acc = rows
        assert work["imap"] == {"host": "imap.example.org", "port": 993, "security": "tls",
                                "username": "a"}  # fmt: skip
        assert work["smtp"]["port"] == 587 and work["smtp"]["security"] == "starttls"
        assert home_acc["imap"]["port"] == 143 and home_acc["smtp"]["port"] == 465
        assert [r["default"] for r in rows] == [False, True]
        code, out, _ = run(capsys, "account", "list")
        assert code == 0 and out.splitlines()[1].startswith("* home")
        assert run(capsys, "account", "remove", "home")[0] == 0
        assert [r["name"] for r in run_json(capsys, "account", "list")] == ["work"]  # type: ignore[union-attr]

    def test_add_errors_are_one_line(self, home: Home, capsys: pytest.CaptureFixture[str]) -> None:
        # No host: automatic setup, which knows a .invalid domain has nothing to find.
        code, _, err = run(capsys, "account", "add", "x", "--email", "x@mail.invalid")
        assert code == 2 and err.count("\n") == 1 and "--imap-host" in err
        code, _, err = run(capsys, "account", "add", "x", "--email", "x@example.org",
                           "--maildir", "/tmp/m", "--ca-file", "/nonexistent")  # fmt: skip
        assert code == 2 and "no such file" in err
        code, _, err = run(capsys, "account", "remove", "nope")
        assert code == 2 and "no account named 'nope'" in err

    def test_store_password_needs_terminal(
        self, home: Home, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = run(capsys, "account", "add", "w", "--email", "w@example.org",
                           "--imap-host", "h", "--username", "u", "--store-password")  # fmt: skip
        assert code == 2 and "needs a terminal" in err
        assert not home.config_file.exists()  # nothing half-saved

    def test_password_goes_to_keyring_never_to_config(
        self, home: Home, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        memory = MemoryKeyring()
        previous = keyring.get_keyring()
        keyring.set_keyring(memory)
        try:
            monkeypatch.setattr("sys.stdin.isatty", lambda: True)
            monkeypatch.setattr("getpass.getpass", lambda prompt="": "Tr0ub4dor&3")
            argv = ("account", "add", "w", "--email", "w@example.org", "--imap-host", "h")
            code, _, err = run(capsys, *argv, "--username", "u", "--store-password")
            assert code == 0, err
            assert memory.items == {("smimetui", "account:w"): "Tr0ub4dor&3"}
            assert "Tr0ub4dor" not in home.config_file.read_text()
            assert run_json(capsys, "account", "list")[0]["password"] == "keyring"  # type: ignore[index]
            run(capsys, "account", "remove", "w")
            assert memory.items == {}
        finally:
            keyring.set_keyring(previous)


class TestMaildirAccount:
    def test_folders(self, local: MaildirBackend, capsys: pytest.CaptureFixture[str]) -> None:
        folders = run_json(capsys, "folders")
        assert folders == [
            {"name": "INBOX", "display": "INBOX", "role": "inbox", "unread": 2, "total": 3,
             "delimiter": ".", "selectable": True},
            {"name": "Sent", "display": "Sent", "role": "sent", "unread": 0, "total": 0,
             "delimiter": ".", "selectable": True},
        ]  # fmt: skip

    def test_list_json_newest_first(
        self, local: MaildirBackend, capsys: pytest.CaptureFixture[str]
    ) -> None:
        rows = run_json(capsys, "list", "--account", "local")
        assert isinstance(rows, list)
        assert [r["uid"] for r in rows] == [3, 2, 1]
        assert rows[0]["encrypted"] and not rows[0]["signed"]
        assert rows[0]["flags"] == ["\\Flagged"]
        assert rows[1]["attachments"] and rows[1]["flags"] == ["\\Seen"]
        assert rows[2] == {
            "uid": 1, "from": "Alice <alice@example.org>", "from_addr": "alice@example.org",
            "subject": "oldest", "date": "2024-05-01T12:00:00+00:00", "flags": [],
            "signed": False, "encrypted": False, "attachments": False, "size": rows[2]["size"],
        }  # fmt: skip

    def test_list_limit_and_text(
        self, local: MaildirBackend, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert len(run_json(capsys, "list", "--limit", "2")) == 2  # type: ignore[arg-type]
        code, out, _ = run(capsys, "list", "INBOX")
        lines = out.splitlines()
        assert code == 0 and len(lines) == 3
        assert "NF  E" in lines[0] and "secret ✓" in lines[0]
        assert lines[2].split()[0] == "1" and "N" in lines[2] and "oldest" in lines[2]

    def test_show_equals_inspect(
        self,
        local: MaildirBackend,
        signed_message: bytes,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        uid = local.append("INBOX", signed_message, [])
        assert uid is not None
        rows = run_json(capsys, "list")
        assert rows[0]["signed"] and rows[0]["uid"] == uid  # type: ignore[index]
        eml = tmp_path / "m.eml"
        eml.write_bytes(signed_message)
        shown = run_json(capsys, "show", str(uid))
        assert shown == run_json(capsys, "inspect", str(eml))
        assert "alice@example.org" in json.dumps(shown)
        code, text_show, _ = run(capsys, "show", str(uid), "--folder", "INBOX")
        assert code == 0 and text_show == run(capsys, "inspect", str(eml))[1]
        assert "Signed hello" in text_show

    def test_sync(self, local: MaildirBackend, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, _ = run(capsys, "sync")
        assert code == 0 and out.splitlines() == ["INBOX: 3 messages", "Sent: 0 messages"]

    @pytest.mark.parametrize(
        ("argv", "needle"),
        [
            (("list", "Nope"), "no folder 'Nope'"),
            (("show", "99"), "no message 99 in 'INBOX'"),
            (("list", "--account", "zzz"), "no account named 'zzz'"),
            (("list", "--limit", "-1"), "--limit must be 0 or more"),
        ],
    )
    def test_errors(
        self,
        local: MaildirBackend,
        capsys: pytest.CaptureFixture[str],
        argv: tuple[str, ...],
        needle: str,
    ) -> None:
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "" and needle in err and err.count("\n") == 1

    def test_no_account(self, home: Home, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "folders")
        assert code == 2 and "No mail account is set up" in err


# -- IMAP, against a real Dovecot --------------------------------------------------------------
try:
    from tests.support.servers.dovecot import DOVECOT, Dovecot
except ImportError:  # the IMAP test fixture is not there: only the Maildir tests run
    Dovecot = None  # type: ignore[assignment,misc]
    DOVECOT = ""


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    if Dovecot is None or not (shutil.which(DOVECOT) or Path(DOVECOT).exists()):
        pytest.skip("dovecot-imapd or its test fixture is missing (tests/run.sh installs it)")
    server = Dovecot.create()
    server.add_user("carol", "imap-Secret-9")
    server.start()
    yield server
    server.destroy()


@pytest.mark.dovecot
class TestImapAccount:
    @pytest.fixture
    def imap_home(
        self,
        home: Home,
        dovecot: Dovecot,
        signed_message: bytes,
        capsys: pytest.CaptureFixture[str],
        memory_keyring: MemoryKeyring,  # noqa: F811
    ) -> Dovecot:
        if not dovecot.maildir("carol").exists() or not any(dovecot.maildir("carol").glob("*/*")):
            dovecot.write_maildir("carol", [plain("imap one"), signed_message, plain("imap three")])
        code, _, err = run(capsys, "account", "add", "carol", "--email", "carol@example.org",
                           "--imap-host", "127.0.0.1", "--imap-port", str(dovecot.imaps_port),
                           "--imap-security", "tls", "--ca-file", str(dovecot.ca_pem),
                           "--username", "carol")  # fmt: skip
        assert code == 0, err
        memory_keyring.set_password("smimetui", "account:carol", "imap-Secret-9")
        return dovecot

    def test_folders_list_show_sync(
        self, imap_home: Dovecot, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        signed_message: bytes, home: Home,
    ) -> None:  # fmt: skip
        folders = run_json(capsys, "folders")
        roles = {f["name"]: f["role"] for f in folders}  # type: ignore[union-attr]
        assert roles["INBOX"] == "inbox" and roles["Sent"] == "sent"
        code, out, err = run(capsys, "sync")
        assert code == 0, err
        assert "INBOX: 3 messages" in out
        rows = run_json(capsys, "list", "INBOX")
        assert [r["subject"] for r in rows] == ["imap three", "signed by openssl", "imap one"]  # type: ignore[index]
        assert rows[1]["signed"] and rows[0]["date"].startswith("2024-05-01")  # type: ignore[index]
        eml = tmp_path / "m.eml"
        eml.write_bytes(signed_message)
        assert run_json(capsys, "show", str(rows[1]["uid"])) == run_json(
            capsys, "inspect", str(eml)
        )  # type: ignore[index]
        assert "imap-Secret-9" not in home.config_file.read_text().replace("echo imap-Secret-9", "")

    def test_untrusted_server_certificate(
        self, imap_home: Dovecot, capsys: pytest.CaptureFixture[str], home: Home
    ) -> None:
        text = home.config_file.read_text()
        home.config_file.write_text(
            "\n".join(line for line in text.splitlines() if not line.startswith("ca_file"))
        )
        code, _, err = run(capsys, "folders")
        assert code == 2 and err.count("\n") == 1 and "certificate" in err.lower()
