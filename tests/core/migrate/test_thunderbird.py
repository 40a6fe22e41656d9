"""``smimetui import thunderbird``: a profile whose NSS database certutil and pk12util made."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from smimetui.core.migrate.inventory import sha256
from smimetui.core.pki.contacts import Contacts
from smimetui.core.pki.keystore import Keystore
from smimetui.core.pki.trust import TrustStore
from tests.core.migrate.common import (
    NEW_PASSPHRASE,
    run,
    run_in_terminal,
    secret_file,
    sign_and_verify,
    tree_state,
)
from tests.core.migrate.nss_util import CERTUTIL, PK12UTIL, PROFILE, build_profile

pytestmark = pytest.mark.skipif(
    CERTUTIL is None or PK12UTIL is None, reason="NSS tools (libnss3-tools) are not installed"
)
PRIMARY = "thunderbird primary password"


@pytest.fixture(scope="module")
def built(fixture_pki, tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return build_profile(tmp_path_factory.mktemp("tb") / "user", fixture_pki, PRIMARY)


@pytest.fixture
def user(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the user's home folder (with .thunderbird), set as $HOME."""
    copy = tmp_path / "user"
    shutil.copytree(built.parent.parent, copy)
    monkeypatch.setenv("HOME", str(copy))
    return copy


@pytest.fixture
def profile(user: Path) -> Path:
    return user / ".thunderbird" / PROFILE


@pytest.fixture
def secrets(tmp_path: Path) -> dict[str, Path]:
    return {
        "primary": secret_file(tmp_path, "primary", PRIMARY),
        "new": secret_file(tmp_path, "new-pw", NEW_PASSPHRASE),
        "wrong": secret_file(tmp_path, "wrong", "not the primary password"),
    }


def _import(capsys, *argv: str | Path) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return run(capsys, "import", "thunderbird", *argv)


@pytest.mark.filterwarnings("error::UserWarning")  # nothing but the summary reaches the user
class TestImport:
    def test_id_contacts_chain_and_offered_root(
        self, home, profile, secrets, fixture_pki, pki_dir, tmp_path, capsys
    ) -> None:  # type: ignore[no-untyped-def]
        code, out, err = _import(
            capsys,
            profile,
            "--passphrase-file",
            secrets["primary"],
            "--new-passphrase-file",
            secrets["new"],
        )
        assert (code, err) == (0, "")
        ids = Keystore(home).list()
        assert [i.emails for i in ids] == [("alice@example.org",)]
        assert "Fixture Intermediate CA" in {c.display_name for c in ids[0].chain}
        book = Contacts(home)
        for address in ("bob@example.org", "frank@example.org"):
            info = book.address(address)
            assert info is not None and [c.source for c in info.certificates] == ["thunderbird"]
        assert book.address("alice@example.org") is None
        assert sha256(fixture_pki.intermediate.cert) in {sha256(c) for c in book.intermediates()}
        # the email-trusted root is offered (fingerprint, exact command), never trusted
        assert TrustStore(home, use_system=False).user_roots() == []
        root_sha = sha256(fixture_pki.root.cert)
        offered = home.data_dir / "offered-roots" / f"{root_sha}.pem"
        assert offered.read_bytes() == fixture_pki.root.cert_pem
        assert (offered.stat().st_mode & 0o777, offered.parent.stat().st_mode & 0o777) == (
            0o600,
            0o700,
        )
        assert f"SHA-256 {root_sha}" in out and f"smimetui trust add {offered}" in out
        assert "Thunderbird trusted it for email (you added it)." in out
        rogue_sha = sha256(fixture_pki.rogue_root.cert)
        assert f"SHA-256 {rogue_sha}" in out
        assert "Thunderbird trusted it for websites only, not for email" in out
        assert not (home.data_dir / "offered-roots" / f"{rogue_sha}.pem").exists()
        # the ID is usable: a signature by the imported key verifies in openssl
        sign_and_verify(tmp_path, secrets["new"], pki_dir["root"])

    def test_json_summary(self, home, profile, secrets, capsys) -> None:  # type: ignore[no-untyped-def]
        code, out, _ = _import(
            capsys,
            profile,
            "--json",
            "--passphrase-file",
            secrets["primary"],
            "--new-passphrase-file",
            secrets["new"],
        )
        data = json.loads(out)
        assert code == 0 and data["source"] == "thunderbird" and data["dry_run"] is False
        assert [i["label"] for i in data["ids"]] == ["alice@example.org"]
        assert sorted(a for c in data["contacts"] for a in c["addresses"]) == [
            "bob@example.org",
            "frank@example.org",
        ]
        roots = {r["name"]: (r["offered"], r["trusted"]) for r in data["roots"]}
        assert roots == {"Fixture Root CA": (True, False), "Rogue Root CA": (False, False)}

    def test_a_profile_without_primary_password(
        self, home, fixture_pki, secrets, tmp_path, pki_dir, capsys
    ) -> None:  # type: ignore[no-untyped-def]
        """Most profiles have no primary password: nothing is asked for it."""
        profile = build_profile(tmp_path / "plain", fixture_pki, "")
        code, out, err = _import(capsys, profile, "--new-passphrase-file", secrets["new"])
        assert (code, err) == (0, "")
        assert [i.emails for i in Keystore(home).list()] == [("alice@example.org",)]
        sign_and_verify(tmp_path, secrets["new"], pki_dir["root"])


class TestDryRun:
    def test_changes_nothing(self, home, user, profile, capsys) -> None:  # type: ignore[no-untyped-def]
        before_home, before_user = tree_state(home.data_dir), tree_state(user)
        code, out, err = _import(capsys, profile, "--dry-run")
        assert (code, err) == (0, "")
        assert tree_state(home.data_dir) == before_home
        assert tree_state(user) == before_user  # the profile is read from a copy
        assert "Dry run: nothing was changed" in out and "alice@example.org" in out
        assert "bob@example.org" in out and "Would be offered" in out

    def test_finds_the_default_profile(self, home, profile, capsys) -> None:  # type: ignore[no-untyped-def]
        code, out, _ = _import(capsys, "--dry-run", "--json")
        assert code == 0 and json.loads(out)["location"] == str(profile)


class TestErrors:
    def _fails(self, capsys, home, *argv: str | Path) -> str:  # type: ignore[no-untyped-def]
        code, out, err = _import(capsys, *argv)
        assert code == 2 and out == ""
        assert err.startswith("smimetui: ") and err.count("\\n") == 0 and "Traceback" not in err
        assert err.count("\n") == 1
        assert Keystore(home).list() == [] and not home.contacts_db.exists()
        return err

    def test_wrong_primary_password(self, home, profile, secrets, capsys) -> None:  # type: ignore[no-untyped-def]
        err = self._fails(
            capsys,
            home,
            profile,
            "--passphrase-file",
            secrets["wrong"],
            "--new-passphrase-file",
            secrets["new"],
        )
        assert f"The NSS primary password of the Thunderbird profile {profile} is wrong." in err

    def test_primary_password_needed_without_a_terminal(
        self, home, profile, secrets, capsys
    ) -> None:  # type: ignore[no-untyped-def]
        err = self._fails(capsys, home, profile, "--new-passphrase-file", secrets["new"])
        assert "The NSS primary password of the Thunderbird profile" in err
        assert "--passphrase-file F" in err

    def test_missing_profile(self, home, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        err = self._fails(capsys, home, tmp_path / "nowhere")
        assert f"There is no Thunderbird profile at {tmp_path / 'nowhere'}." in err

    def test_no_profile_found(self, home, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.setenv("HOME", str(tmp_path))
        err = self._fails(capsys, home, "--dry-run")
        assert "No Thunderbird profile was found" in err

    def test_old_database_format(self, home, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        (tmp_path / "old").mkdir()
        (tmp_path / "old" / "cert8.db").write_bytes(b"")
        err = self._fails(capsys, home, tmp_path / "old")
        assert "still uses the old cert8.db format" in err

    def test_unreadable_database(self, home, profile, capsys) -> None:  # type: ignore[no-untyped-def]
        (profile / "key4.db").unlink()
        (profile / "key4.db").mkdir()  # unreadable even for root
        err = self._fails(capsys, home, profile, "--dry-run")
        assert f"{profile / 'key4.db'} cannot be read" in err


class TestTerminal:
    def test_asks_the_primary_password_and_a_new_passphrase(
        self, home, profile, tmp_path, pki_dir
    ) -> None:  # type: ignore[no-untyped-def]
        """On a terminal nothing comes from files: the primary password is asked once, the new
        passphrase twice, and the ID then signs with that new passphrase."""
        smimetui = Path(sys.executable).with_name("smimetui")
        env = {**os.environ, "SMIMETUI_HOME": str(home.data_dir), "LC_ALL": "C"}
        code, shown = run_in_terminal(
            [str(smimetui), "import", "thunderbird", str(profile)],
            [
                ("NSS primary password of the Thunderbird profile", "wrong guess"),
                ("NSS primary password of the Thunderbird profile", PRIMARY),
                ("New passphrase to protect the key", NEW_PASSPHRASE),
                ("The same passphrase again", NEW_PASSPHRASE),
            ],
            env,
        )
        assert code == 0, shown
        assert "That is wrong; try again." in shown
        assert "Digital IDs: 1 (keys encrypted in your keystore)" in shown
        assert PRIMARY not in shown and NEW_PASSPHRASE not in shown  # prompts do not echo
        passphrase = secret_file(tmp_path, "new", NEW_PASSPHRASE)
        sign_and_verify(tmp_path, passphrase, pki_dir["root"])
