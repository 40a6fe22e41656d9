"""Issue 10 §3, the command line: `id export` never overwrites silently, `account add
--maildir` refuses what is not a Maildir, revocation "unknown" is said in words, and aiohttp's
"Unclosed client session" never reaches the terminal."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from smimetui.cli import id_lifecycle
from smimetui.cli.main import main
from smimetui.core.demo.home import DEMO_PASSPHRASE, ensure_demo_home
from smimetui.core.settings.home import Home


@pytest.fixture
def with_id(home: Home, tmp_path: Path) -> Path:
    """A home holding the demo's digital ID; returns a file with its passphrase."""
    ensure_demo_home(home)
    secret = tmp_path / "pw"
    secret.write_text(DEMO_PASSPHRASE + "\n")
    return secret


def _export(home: Home, target: Path, secret: Path, *extra: str) -> int:
    args = ["--home", str(home.data_dir), "id", "export", "--p12", str(target)]
    return main([*args, "robin@example.org", "--passphrase-file", str(secret), *extra])


class TestExportOverwrite:
    def test_refuses_without_a_terminal(
        self, home: Home, with_id: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        target = tmp_path / "backup.p12"
        target.write_bytes(b"an older backup")
        assert _export(home, target, with_id) == 2
        err = capsys.readouterr().err
        assert "already exists" in err and "--yes" in err
        assert target.read_bytes() == b"an older backup"

    def test_asks_on_a_terminal_and_no_keeps_it(
        self,
        home: Home,
        with_id: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        target = tmp_path / "backup.p12"
        target.write_bytes(b"an older backup")
        monkeypatch.setattr(id_lifecycle, "interactive", lambda: True)
        questions: list[str] = []
        monkeypatch.setattr("builtins.input", lambda q: questions.append(q) or "n")
        assert _export(home, target, with_id) == 0
        assert questions and "Overwrite?" in questions[0]
        assert "Nothing was written" in capsys.readouterr().out
        assert target.read_bytes() == b"an older backup"

    def test_yes_overwrites_and_a_new_file_needs_no_question(
        self, home: Home, with_id: Path, tmp_path: Path
    ) -> None:
        target = tmp_path / "backup.p12"
        assert _export(home, target, with_id) == 0  # nothing there: no question
        target.write_bytes(b"an older backup")
        assert _export(home, target, with_id, "--yes") == 0
        assert target.read_bytes() != b"an older backup"


class TestAccountAddMaildir:
    def _add(self, home: Home, path: Path) -> int:
        return main(
            ["--home", str(home.data_dir), "account", "add", "local"]
            + ["--email", "me@example.org", "--maildir", str(path)]
        )

    def test_a_folder_with_other_things_is_refused(
        self, home: Home, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        folder = tmp_path / "Documents"
        folder.mkdir()
        (folder / "letter.txt").write_text("not mail")
        assert self._add(home, folder) == 2
        assert "is not a Maildir" in capsys.readouterr().err
        assert sorted(p.name for p in folder.iterdir()) == ["letter.txt"]  # untouched
        assert not home.config_file.exists() or "local" not in home.config_file.read_text()

    def test_a_file_is_refused(
        self, home: Home, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        file = tmp_path / "mbox"
        file.write_text("From x\n")
        assert self._add(home, file) == 2
        assert "is a file" in capsys.readouterr().err

    def test_an_empty_folder_becomes_a_maildir(self, home: Home, tmp_path: Path) -> None:
        folder = tmp_path / "Mail"
        folder.mkdir()
        assert self._add(home, folder) == 0
        assert (folder / "cur").is_dir() and (folder / "new").is_dir()


def test_revocation_unknown_is_said_in_words() -> None:
    from smimetui.core.pki.chain import RevocationStatus
    from smimetui.core.read.wording import revocation_words

    words = revocation_words(RevocationStatus.UNKNOWN)
    assert words.startswith("unknown: ") and "may have been revoked" in words
    assert all(len(revocation_words(s).split()) > 2 for s in RevocationStatus)


_FETCH = textwrap.dedent(
    """
    import http.server, tempfile, threading
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from smimetui.core.settings.home import Home
    from smimetui.core.pki import makecerts as pki
    from smimetui.core.pki.trust import ChainValidator, TrustStore

    class Quiet(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/missing.crl"
    point = x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)
    root = pki.make_ca("Root")
    ext = [(x509.CRLDistributionPoints([point]), False)]
    leaf = pki.make_leaf(root, "lost@example.org", extra_extensions=ext)
    store = TrustStore(Home.at(tempfile.mkdtemp()), use_system=False)
    store.add(root.cert_pem)
    validator = ChainValidator(store, fetch_revocation=True)
    print(validator.validate(asn1_x509.Certificate.load(leaf.der)).revocation.value)
    """
)


def test_revocation_fetching_leaves_no_unclosed_session_warning() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FETCH], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "unknown"
    assert "Unclosed" not in done.stderr, done.stderr
