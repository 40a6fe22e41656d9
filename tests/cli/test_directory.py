"""``smimetui contacts lookup`` and ``smimetui id publish`` against a real slapd."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from smimetui.cli.main import main
from smimetui.core.directory.servers import Directory, add_directory
from smimetui.core.pki.contacts import Contacts
from smimetui.core.pki.keystore import Keystore
from smimetui.core.settings.home import Home
from tests.support.ldap import LdapWorld

pytestmark = pytest.mark.slapd

JSON_KEYS = {
    "email",
    "subject",
    "issuer",
    "not_after",
    "sha256",
    "source",
    "usable",
    "problems",
}


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("smimetui: ") and err.count("\n") == 1, err
    return err


class TestContactsLookup:
    def test_json_for_a_usable_certificate(
        self,
        trusted_home: Home,
        corp: Directory,
        ldap_world: LdapWorld,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        assert main(["contacts", "lookup", "alice@example.org", "--json"]) == 0
        (item,) = json.loads(capsys.readouterr().out)
        assert set(item) == JSON_KEYS
        assert item["email"] == "alice@example.org"
        assert item["usable"] is True and item["problems"] == []
        assert item["source"] == f"directory {ldap_world.slapd.url}"
        assert Contacts(trusted_home).address("alice@example.org") is None  # not imported

    def test_import_stores_usable_ones_with_the_source(
        self,
        trusted_home: Home,
        corp: Directory,
        ldap_world: LdapWorld,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        assert main(["contacts", "lookup", "bob@example.org", "--import"]) == 0
        out = capsys.readouterr().out
        assert "Imported 2 certificates for bob@example.org" in out
        assert f"from directory {ldap_world.slapd.url}" in out
        assert main(["contacts", "show", "bob@example.org", "--json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        sources = {c["source"] for c in shown["addresses"][0]["certificates"]}
        assert sources == {f"directory {ldap_world.slapd.url}"}

    def test_only_unusable_exits_2_after_printing_the_findings(
        self, trusted_home: Home, corp: Directory, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["contacts", "lookup", "carol@example.org", "--import"]) == 2
        captured = capsys.readouterr()
        assert "NOT usable" in captured.out and "expired" in captured.out
        assert "only expired or untrusted certificates" in captured.err
        assert Contacts(trusted_home).address("carol@example.org") is None

    @pytest.mark.parametrize("address", ["carol@example.org", "rogue@example.org"])
    def test_json_lists_unusable_ones_and_exits_0(
        self,
        trusted_home: Home,
        corp: Directory,
        capsys: pytest.CaptureFixture[str],
        address: str,
    ) -> None:
        # The JSON contract (README): with --json the findings are the answer, usable false
        # with the problems in words, exit 0; nothing is imported.
        assert main(["contacts", "lookup", address, "--json", "--import"]) == 0
        captured = capsys.readouterr()
        (item,) = json.loads(captured.out)
        assert set(item) == JSON_KEYS and item["email"] == address
        assert item["usable"] is False and item["problems"]
        assert captured.err == ""
        assert Contacts(trusted_home).address(address) is None

    def test_human_output_names_problems(
        self, trusted_home: Home, corp: Directory, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["contacts", "lookup", "rogue@example.org"]) == 2
        captured = capsys.readouterr()
        assert "NOT usable" in captured.out and "Rogue Root CA" in captured.out

    @pytest.mark.parametrize(
        ("address", "words"),
        [
            ("zed@example.org", "No directory entry for zed@example.org"),
            ("nocert@example.org", "holds no certificate"),
            ("*)(uid=*@example.org", "No directory entry"),
        ],
    )
    def test_errors(
        self,
        trusted_home: Home,
        corp: Directory,
        capsys: pytest.CaptureFixture[str],
        address: str,
        words: str,
    ) -> None:
        assert main(["contacts", "lookup", address]) == 2
        assert words in _one_line_error(capsys)

    def test_unreachable(
        self, trusted_home: Home, ldap_world: LdapWorld, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from tests.support.servers.ports import free_port

        add_directory(trusted_home, ldap_world.directory(url=f"ldap://127.0.0.1:{free_port()}"))
        assert main(["contacts", "lookup", "alice@example.org"]) == 2
        assert "cannot be reached" in _one_line_error(capsys)

    def test_no_directory(self, trusted_home: Home, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["contacts", "lookup", "alice@example.org"]) == 2
        assert "No certificate directory is set up" in _one_line_error(capsys)


class TestIdPublish:
    @pytest.fixture
    def pub_id(self, trusted_home: Home, ldap_world: LdapWorld) -> None:
        issued = ldap_world.pub
        Keystore(trusted_home).add(
            issued.cert, issued.key, [ldap_world.pki.intermediate.cert], b"pub passphrase"
        )

    def test_publish_then_others_find_it(
        self,
        trusted_home: Home,
        ldap_world: LdapWorld,
        pub_id: None,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        add_directory(
            trusted_home,
            ldap_world.directory(
                bind_dn=ldap_world.people["pub"].dn, password_command="echo pub-secret"
            ),
        )
        assert main(["id", "publish", "pub@example.org"]) == 0
        assert f"in {ldap_world.people['pub'].dn} on corp" in capsys.readouterr().out
        assert main(["contacts", "lookup", "pub@example.org", "--json"]) == 0
        (item,) = json.loads(capsys.readouterr().out)
        assert item["usable"] is False  # no intermediate to build the chain
        der = ldap_world.pub.cert.public_bytes(Encoding.DER)
        from hashlib import sha256

        assert item["sha256"] == sha256(der).hexdigest()

    def test_the_only_id_is_the_default(
        self,
        trusted_home: Home,
        ldap_world: LdapWorld,
        pub_id: None,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        add_directory(
            trusted_home,
            ldap_world.directory(
                bind_dn=ldap_world.people["pub"].dn, password_command="echo pub-secret"
            ),
        )
        assert main(["id", "publish", "--directory", "corp"]) == 0

    @pytest.mark.parametrize(
        ("setup", "argv", "words"),
        [
            ("anonymous", ["id", "publish", "pub@example.org"], "needs a login"),
            ("wrong", ["id", "publish", "pub@example.org"], "wrong bind DN or password"),
            ("none", ["id", "publish", "pub@example.org"], "No certificate directory"),
            ("anonymous", ["id", "publish", "bob@example.org"], "no digital ID for bob"),
            ("anonymous", ["id", "publish", "pub@example.org", "--directory", "x"], "no dir"),
        ],
    )
    def test_errors(
        self,
        trusted_home: Home,
        ldap_world: LdapWorld,
        pub_id: None,
        capsys: pytest.CaptureFixture[str],
        setup: str,
        argv: list[str],
        words: str,
    ) -> None:
        pub_dn = ldap_world.people["pub"].dn
        settings = {
            "anonymous": ldap_world.directory(),
            "wrong": ldap_world.directory(bind_dn=pub_dn, password_command="echo nope"),
        }
        if setup in settings:
            add_directory(trusted_home, settings[setup])
        assert main(argv) == 2
        assert words in _one_line_error(capsys).replace("There is no directory", "no dir")
