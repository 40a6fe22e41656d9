"""``smimetui import gpgsm``: a real GnuPG home with a PKCS#12 imported by gpgsm."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from smimetui.core.migrate.inventory import sha256
from smimetui.core.pki.contacts import Contacts
from smimetui.core.pki.keystore import Keystore
from smimetui.core.pki.trust import TrustStore
from tests.core.migrate.common import NEW_PASSPHRASE, run, secret_file, sign_and_verify, tree_state
from tests.support.gpgsm import GPGSM, PASSPHRASE, GpgsmHome, build_home

pytestmark = pytest.mark.skipif(GPGSM is None, reason="gpgsm is not installed")


@pytest.fixture
def gnupg(fixture_pki) -> Iterator[GpgsmHome]:  # type: ignore[no-untyped-def]
    """Alice's key (imported as a passphrase-protected .p12 by gpgsm), the fixture root in
    trustlist.txt, Bob's and Frank's certificates, and the rogue root (not trusted)."""
    home = build_home([fixture_pki.root], [fixture_pki.intermediate], {"alice": fixture_pki.alice})
    try:
        for name in ("bob", "frank_p384", "rogue_root"):
            home.import_cert(getattr(fixture_pki, name).cert)
        yield home
    finally:
        home.close()


@pytest.fixture
def secrets(tmp_path) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "key": secret_file(tmp_path, "key-pw", PASSPHRASE),
        "new": secret_file(tmp_path, "new-pw", NEW_PASSPHRASE),
        "wrong": secret_file(tmp_path, "wrong-pw", "not the passphrase"),
    }


def _import(capsys, gnupg: GpgsmHome, *extra: object) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return run(capsys, "import", "gpgsm", gnupg.path, *extra)  # type: ignore[arg-type]


class TestImport:
    def test_key_contacts_chain_and_offered_root(
        self, home, gnupg, secrets, fixture_pki, pki_dir, tmp_path, capsys
    ) -> None:  # type: ignore[no-untyped-def]
        code, out, err = _import(
            capsys,
            gnupg,
            "--passphrase-file",
            secrets["key"],
            "--new-passphrase-file",
            secrets["new"],
        )
        assert (code, err) == (0, "")
        ids = Keystore(home).list()
        assert [i.emails for i in ids] == [("alice@example.org",)]
        assert {c.display_name for c in ids[0].chain} >= {"Fixture Intermediate CA"}
        book = Contacts(home)
        for address in ("bob@example.org", "frank@example.org"):
            info = book.address(address)
            assert info is not None and [c.source for c in info.certificates] == ["gpgsm"]
        assert book.address("alice@example.org") is None  # your own ID is no contact
        kept = {sha256(c) for c in book.intermediates()}
        assert sha256(fixture_pki.intermediate.cert) in kept
        # trustlist.txt's root is offered with the command; the rogue root is not; none trusted
        assert TrustStore(home, use_system=False).user_roots() == []
        root_sha = sha256(fixture_pki.root.cert)
        offered = home.data_dir / "offered-roots" / f"{root_sha}.pem"
        assert offered.read_bytes() == fixture_pki.root.cert_pem
        assert f"SHA-256 {root_sha}" in out and f"smimetui trust add {offered}" in out
        assert "gpgsm trusted it (trustlist.txt)" in out
        rogue_sha = sha256(fixture_pki.rogue_root.cert)
        assert f"SHA-256 {rogue_sha}" in out and "gpgsm did not trust it" in out
        assert not (home.data_dir / "offered-roots" / f"{rogue_sha}.pem").exists()
        sign_and_verify(tmp_path, secrets["new"], pki_dir["root"])

    def test_json_summary(self, home, gnupg, secrets, capsys) -> None:  # type: ignore[no-untyped-def]
        code, out, _ = _import(
            capsys,
            gnupg,
            "--json",
            "--passphrase-file",
            secrets["key"],
            "--new-passphrase-file",
            secrets["new"],
        )
        data = json.loads(out)
        assert code == 0 and data["source"] == "gpgsm"
        assert [i["label"] for i in data["ids"]] == ["alice@example.org"]
        roots = {r["name"]: (r["offered"], r["trusted"]) for r in data["roots"]}
        assert roots == {"Fixture Root CA": (True, False), "Rogue Root CA": (False, False)}

    def test_a_key_gpgsm_cannot_export_is_left_out_with_the_reason(
        self, home, fixture_pki, secrets, capsys
    ) -> None:  # type: ignore[no-untyped-def]
        """GnuPG 2.2 cannot write an EC key into a PKCS#12 file ("error converting key
        parameters"): Alice's RSA ID still comes over, and the summary says why Bob's did not."""
        ids = {"alice": fixture_pki.alice, "bob": fixture_pki.bob}
        gnupg = build_home([fixture_pki.root], [fixture_pki.intermediate], ids)
        try:
            code, out, err = _import(
                capsys,
                gnupg,
                "--passphrase-file",
                secrets["key"],
                "--new-passphrase-file",
                secrets["new"],
            )
        finally:
            gnupg.close()
        assert (code, err) == (0, "")
        emails = {i.emails for i in Keystore(home).list()}
        assert ("alice@example.org",) in emails
        if ("bob@example.org",) not in emails:
            assert "The digital ID bob@example.org was not imported: gpgsm could not export" in out

    def test_a_home_without_secret_keys(self, home, fixture_pki, capsys) -> None:  # type: ignore[no-untyped-def]
        """Only other people's certificates: no passphrase is asked, contacts come over."""
        gnupg = build_home([fixture_pki.root], [fixture_pki.intermediate], {})
        try:
            gnupg.import_cert(fixture_pki.bob.cert)
            code, out, err = _import(capsys, gnupg)
        finally:
            gnupg.close()
        assert (code, err) == (0, "")
        assert "Digital IDs: 0" in out and "Contacts' certificates: 1" in out
        assert Contacts(home).address("bob@example.org") is not None


class TestDryRun:
    def test_changes_nothing(self, home, gnupg, capsys) -> None:  # type: ignore[no-untyped-def]
        before = tree_state(home.data_dir)
        keybox = (gnupg.path / "pubring.kbx").read_bytes()
        code, out, err = _import(capsys, gnupg, "--dry-run")
        assert (code, err) == (0, "")
        assert tree_state(home.data_dir) == before
        assert (gnupg.path / "pubring.kbx").read_bytes() == keybox
        assert "Dry run: nothing was changed" in out and "alice@example.org" in out
        assert "Would be offered" in out


class TestErrors:
    def _fails(self, capsys, home, *argv: object) -> str:  # type: ignore[no-untyped-def]
        code, out, err = run(capsys, "import", "gpgsm", *argv)  # type: ignore[arg-type]
        assert code == 2 and out == ""
        assert err.startswith("smimetui: ") and err.count("\n") == 1 and "Traceback" not in err
        assert Keystore(home).list() == [] and not home.contacts_db.exists()
        return err

    def test_wrong_passphrase(self, home, gnupg, secrets, capsys) -> None:  # type: ignore[no-untyped-def]
        err = self._fails(
            capsys,
            home,
            gnupg.path,
            "--passphrase-file",
            secrets["wrong"],
            "--new-passphrase-file",
            secrets["new"],
        )
        assert "The passphrase for the gpgsm key of alice@example.org is wrong." in err

    def test_no_passphrase_without_a_terminal(self, home, gnupg, secrets, capsys) -> None:  # type: ignore[no-untyped-def]
        err = self._fails(capsys, home, gnupg.path, "--new-passphrase-file", secrets["new"])
        assert "The passphrase of the gpgsm key of alice@example.org is needed" in err
        assert "--passphrase-file F" in err

    def test_missing_home(self, home, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        err = self._fails(capsys, home, tmp_path / "nowhere")
        assert f"There is no GnuPG home at {tmp_path / 'nowhere'}." in err

    def test_unreadable_keybox(self, home, gnupg, capsys) -> None:  # type: ignore[no-untyped-def]
        keybox = gnupg.path / "pubring.kbx"
        keybox.unlink()
        keybox.mkdir()  # unreadable even for root
        err = self._fails(capsys, home, gnupg.path, "--dry-run")
        assert "gpgsm could not export the certificates" in err
