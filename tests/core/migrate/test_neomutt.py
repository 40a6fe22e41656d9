"""``smimetui import neomutt``: a folder made by NeoMutt's own smime_keys script."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from smimetui.core.migrate.inventory import sha256
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.contacts import Contacts
from smimetui.core.pki.keystore import Keystore
from smimetui.core.pki.trust import TrustStore
from tests.core.migrate.common import NEW_PASSPHRASE, run, secret_file, sign_and_verify, tree_state
from tests.core.migrate.neomutt_util import NEOMUTT, SMIME_KEYS, build_tree

pytestmark = pytest.mark.skipif(
    SMIME_KEYS is None or NEOMUTT is None, reason="NeoMutt's smime_keys is not installed"
)
KEY_PASSPHRASE = "neomutt key passphrase"


@pytest.fixture(scope="module")
def built(fixture_pki, tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """One smime_keys folder per module (the script runs openssl many times): Alice's key,
    Bob's and Frank's certificates, the fixture root added with add_root."""
    work = tmp_path_factory.mktemp("neomutt")
    p12 = work / "alice.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"alice",
            fixture_pki.alice.key,
            fixture_pki.alice.cert,
            [fixture_pki.intermediate.cert],
            BestAvailableEncryption(b"p12 passphrase"),
        )
    )
    people = []
    for name in ("bob", "frank_p384"):
        path = work / f"{name}.pem"
        path.write_bytes(getattr(fixture_pki, name).cert_pem)
        people.append(path)
    root = work / "root.pem"
    root.write_bytes(fixture_pki.root.cert_pem)
    return build_tree(work / "user", p12, "p12 passphrase", KEY_PASSPHRASE, people, root)


@pytest.fixture
def tree(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "smime"
    shutil.copytree(built, copy)
    return copy


@pytest.fixture
def secrets(tmp_path: Path) -> dict[str, Path]:
    return {
        "key": secret_file(tmp_path, "key-pw", KEY_PASSPHRASE),
        "new": secret_file(tmp_path, "new-pw", NEW_PASSPHRASE),
        "wrong": secret_file(tmp_path, "wrong-pw", "not the passphrase"),
    }


def _import(capsys, tree: Path, *extra: str | Path) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return run(capsys, "import", "neomutt", tree, *extra)


class TestImport:
    def test_key_contacts_chain_and_offered_root(
        self, home, tree, secrets, fixture_pki, pki_dir, tmp_path, capsys
    ) -> None:  # type: ignore[no-untyped-def]
        code, out, err = _import(
            capsys,
            tree,
            "--passphrase-file",
            secrets["key"],
            "--new-passphrase-file",
            secrets["new"],
        )
        assert (code, err) == (0, "")
        ids = Keystore(home).list()
        assert [i.emails for i in ids] == [("alice@example.org",)]
        assert [c.display_name for c in ids[0].chain] == ["Fixture Intermediate CA"]
        book = Contacts(home)
        for address in ("bob@example.org", "frank@example.org"):
            info = book.address(address)
            assert info is not None and [c.source for c in info.certificates] == ["neomutt"]
        intermediates = {c.subject.rfc4514_string() for c in book.intermediates()}
        assert "CN=Fixture Intermediate CA,O=smimetui tests" in intermediates
        # the root is offered, with its fingerprint and the exact command, and not trusted
        assert TrustStore(home, use_system=False).user_roots() == []
        sha = sha256(fixture_pki.root.cert)
        offered = home.data_dir / "offered-roots" / f"{sha}.pem"
        assert offered.read_bytes() == fixture_pki.root.cert_pem
        assert f"SHA-256 {sha}" in out
        assert f"smimetui trust add {offered}" in out
        assert "NeoMutt trusted it" in out
        # the imported key signs, and openssl verifies the signature to the fixture root
        sign_and_verify(tmp_path, secrets["new"], pki_dir["root"])

    def test_the_offered_command_trusts_the_root(self, home, tree, secrets, capsys) -> None:  # type: ignore[no-untyped-def]
        _import(
            capsys,
            tree,
            "--passphrase-file",
            secrets["key"],
            "--new-passphrase-file",
            secrets["new"],
        )
        code, out, _ = _import(capsys, tree, "--dry-run", "--json")
        command = next(r["command"] for r in json.loads(out)["roots"])
        assert run(capsys, *command.split()[1:])[0] == 0
        assert [r.display_name for r in TrustStore(home, use_system=False).user_roots()] == [
            "Fixture Root CA"
        ]

    def test_json_summary(self, home, tree, secrets, capsys) -> None:  # type: ignore[no-untyped-def]
        code, out, _ = _import(
            capsys,
            tree,
            "--json",
            "--passphrase-file",
            secrets["key"],
            "--new-passphrase-file",
            secrets["new"],
        )
        data = json.loads(out)
        assert code == 0 and data["dry_run"] is False and data["source"] == "neomutt"
        assert [i["label"] for i in data["ids"]] == ["alice@example.org"]
        assert sorted(a for c in data["contacts"] for a in c["addresses"]) == [
            "bob@example.org",
            "frank@example.org",
        ]
        assert [(r["offered"], r["trusted"]) for r in data["roots"]] == [(True, False)]

    def test_changed_certificate_needs_yes(self, home, tree, secrets, fixture_pki, capsys) -> None:  # type: ignore[no-untyped-def]
        """Bob already has another key in the address book: the import does not replace it
        silently; --yes takes the new certificate."""
        other = pki.make_leaf(fixture_pki.intermediate, "bob@example.org", common_name="Bob")
        Contacts(home).add_certificate(other.cert, source="file", accepted=True)
        args = ["--passphrase-file", secrets["key"], "--new-passphrase-file", secrets["new"]]
        code, out, _ = _import(capsys, tree, *args)
        assert code == 0
        assert "The certificate for bob@example.org changed (a new key)" in out
        assert "run again with --yes to accept" in out
        info = Contacts(home).address("bob@example.org")
        assert info is not None and [c.sha256 for c in info.certificates] == [sha256(other.cert)]
        code, out, _ = _import(capsys, tree, *args, "--yes")
        info = Contacts(home).address("bob@example.org")
        assert info is not None
        assert {c.sha256 for c in info.certificates} == {
            sha256(other.cert),
            sha256(fixture_pki.bob.cert),
        }

    def test_missing_certificate_file_is_left_out(self, home, tree, capsys) -> None:  # type: ignore[no-untyped-def]
        index = (tree / "certificates" / ".index").read_text().splitlines()
        bob = next(line.split()[1] for line in index if line.startswith("bob@"))
        (tree / "certificates" / bob).unlink()
        code, out, err = _import(capsys, tree, "--dry-run")
        assert (code, err) == (0, "")
        assert f"Left out: {tree / 'certificates' / bob} cannot be read" in out
        assert "frank@example.org" in out and "Contacts' certificates: 1" in out


class TestDryRun:
    def test_changes_nothing(self, home, tree, capsys) -> None:  # type: ignore[no-untyped-def]
        before_home, before_tree = tree_state(home.data_dir), tree_state(tree)
        code, out, err = _import(capsys, tree, "--dry-run")
        assert (code, err) == (0, "")
        assert tree_state(home.data_dir) == before_home
        assert tree_state(tree) == before_tree
        assert "Dry run: nothing was changed" in out
        assert "alice@example.org" in out and "bob@example.org" in out
        assert "Would be offered" in out and "smimetui trust add" in out


class TestErrors:
    def _fails(self, capsys, home, *argv: str | Path) -> str:  # type: ignore[no-untyped-def]
        code, out, err = run(capsys, "import", "neomutt", *argv)
        assert code == 2 and out == ""
        assert err.startswith("smimetui: ") and err.count("\n") == 1 and "Traceback" not in err
        assert Keystore(home).list() == []
        return err

    def test_wrong_key_passphrase(self, home, tree, secrets, capsys) -> None:  # type: ignore[no-untyped-def]
        err = self._fails(
            capsys,
            home,
            tree,
            "--passphrase-file",
            secrets["wrong"],
            "--new-passphrase-file",
            secrets["new"],
        )
        assert "passphrase for the NeoMutt key of alice@example.org is wrong" in err
        assert not home.contacts_db.exists()  # nothing is written before every key is open

    def test_no_passphrase_without_a_terminal(self, home, tree, secrets, capsys) -> None:  # type: ignore[no-untyped-def]
        err = self._fails(capsys, home, tree, "--new-passphrase-file", secrets["new"])
        assert "--passphrase-file F" in err

    def test_missing_folder(self, home, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        err = self._fails(capsys, home, tmp_path / "nowhere")
        assert "is not a NeoMutt S/MIME folder" in err

    def test_unreadable_index(self, home, tree, capsys) -> None:  # type: ignore[no-untyped-def]
        index = tree / "certificates" / ".index"
        index.unlink()
        index.mkdir()  # unreadable even for root
        err = self._fails(capsys, home, tree, "--dry-run")
        assert f"{index} cannot be read" in err

    def test_damaged_key_file_is_left_out(self, home, tree, secrets, capsys) -> None:  # type: ignore[no-untyped-def]
        key = next(p for p in (tree / "keys").iterdir() if p.name != ".index")
        key.write_bytes(b"not a key at all")
        code, out, err = _import(
            capsys,
            tree,
            "--passphrase-file",
            secrets["key"],
            "--new-passphrase-file",
            secrets["new"],
        )
        assert (code, err) == (0, "")
        assert Keystore(home).list() == []
        assert "Digital IDs: 0" in out and "Contacts' certificates: 2" in out
        assert (
            f"The digital ID alice@example.org was not imported: {key} is not a PEM private key."
            in out
        )
