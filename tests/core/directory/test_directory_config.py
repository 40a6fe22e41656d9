"""Directory settings: validation, the filter template and its escaping, the config file, CLI."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from smimetui.cli.main import main
from smimetui.core.directory.servers import (
    Directory,
    add_directory,
    bind_password,
    directory_from_table,
    get_directory,
    load_directories,
    remove_directory,
)
from smimetui.core.errors import ConfigError, DirectoryError
from smimetui.core.settings.config import load_config, save_config
from smimetui.core.settings.home import Home

BASE = Directory(name="corp", url="ldap://ldap.example.org", base_dn="dc=example,dc=org")


class TestDirectory:
    def test_ports_and_tls_follow_the_url(self) -> None:
        assert (BASE.host, BASE.port, BASE.uses_tls) == ("ldap.example.org", 389, False)
        ldaps = replace(BASE, url="ldaps://ldap.example.org")
        assert (ldaps.port, ldaps.uses_tls) == (636, True)
        assert replace(BASE, url="ldap://h:1389", starttls=True).port == 1389
        assert replace(BASE, starttls=True).uses_tls

    def test_source_names_the_url(self) -> None:
        assert BASE.source == "directory ldap://ldap.example.org"

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            ({"url": "http://ldap.example.org"}, "must start with ldap:// or ldaps://"),
            ({"url": "ldap://"}, "names no server"),
            ({"url": "ldap://h:99999"}, "is not valid"),
            ({"url": "ldap://h/dc=example,dc=org"}, "base DN with --base"),
            ({"url": "ldaps://h", "starttls": True}, "already encrypted"),
            ({"base_dn": "example.org"}, "is not a DN"),
            ({"bind_dn": "alice"}, "is not a DN"),
            ({"filter": "(mail=alice)"}, "must contain {address}"),
            ({"filter": "mail={address}"}, "not an LDAP filter"),
            ({"filter": "(mail={address}))("}, "not an LDAP filter"),
            ({"timeout": 0.0}, "timeout"),
            ({"name": "a b"}, "a name uses letters"),
        ],
    )
    def test_bad_settings_are_named(self, change: dict[str, object], words: str) -> None:
        with pytest.raises(ConfigError, match="Directory") as err:
            replace(BASE, **change).validate()  # type: ignore[arg-type]
        assert words in str(err.value)


class TestFilter:
    def test_default_filter(self) -> None:
        assert BASE.search_filter("alice@example.org") == "(mail=alice@example.org)"

    @pytest.mark.parametrize(
        ("address", "expected"),
        [
            ("*", r"(mail=\2a)"),
            ("*)(uid=*", r"(mail=\2a\29\28uid=\2a)"),
            ("a@b)(|(objectClass=*)", r"(mail=a@b\29\28|\28objectClass=\2a\29)"),
            ("back\\slash@x", r"(mail=back\5cslash@x)"),
            ("nul\x00@x", r"(mail=nul\00@x)"),
        ],
    )
    def test_hostile_addresses_are_escaped(self, address: str, expected: str) -> None:
        assert BASE.search_filter(address) == expected

    def test_template_cannot_reach_attributes(self) -> None:
        # str.format would evaluate {address.__class__}; the template is only replaced literally.
        template = replace(BASE, filter="(&(mail={address})(cn={address.__class__}))")
        assert "__class__" in template.search_filter("a@b")
        assert "(mail=a@b)" in template.search_filter("a@b")


class TestConfig:
    def test_round_trip_keeps_other_tables(self, home: Home) -> None:
        save_config(home, {"accounts": {"work": {"email": "a@b.org"}}, "ui": {"theme": "x"}})
        full = replace(
            BASE,
            bind_dn="uid=a,dc=example,dc=org",
            password_command="pass ldap",
            starttls=True,
            filter="(|(mail={address})(otherMailbox={address}))",
            timeout=3.5,
        )
        add_directory(home, full)
        add_directory(home, replace(BASE, name="second"))
        assert load_directories(home) == [full, replace(BASE, name="second")]
        doc = load_config(home)
        assert doc["accounts"] == {"work": {"email": "a@b.org"}}
        assert doc["ui"] == {"theme": "x"}
        assert "password" not in json.dumps(doc["directories"]).replace("password_command", "")
        remove_directory(home, "corp")
        assert [d.name for d in load_directories(home)] == ["second"]
        assert load_config(home)["accounts"] == {"work": {"email": "a@b.org"}}

    def test_duplicate_and_unknown_names(self, home: Home) -> None:
        add_directory(home, BASE)
        with pytest.raises(ConfigError, match="exists already"):
            add_directory(home, BASE)
        with pytest.raises(ConfigError, match="no directory named 'nope'"):
            get_directory(home, "nope")
        with pytest.raises(ConfigError, match="no directory named 'nope'"):
            remove_directory(home, "nope")

    def test_a_password_in_the_file_is_refused(self) -> None:
        table = {"url": "ldap://h", "base_dn": "dc=x", "password": "hunter2"}
        with pytest.raises(ConfigError, match="secrets are never read from the config"):
            directory_from_table("corp", table)

    def test_wrong_types_are_named(self) -> None:
        with pytest.raises(ConfigError, match="starttls must be true or false"):
            directory_from_table("c", {"url": "ldap://h", "base_dn": "dc=x", "starttls": "yes"})
        with pytest.raises(ConfigError, match="has no base_dn"):
            directory_from_table("c", {"url": "ldap://h"})
        assert directory_from_table("c", {"url": "ldap://h", "base_dn": "dc=x", "timeout": 3})


class TestBindPassword:
    def test_password_command_first(self) -> None:
        directory = replace(BASE, bind_dn="uid=a,dc=x", password_command="echo s3cret")
        assert bind_password(directory) == "s3cret"

    def test_asked_when_nothing_stored(self) -> None:
        directory = replace(BASE, name="nothing-stored-here", bind_dn="uid=a,dc=x")
        assert bind_password(directory, lambda d: f"typed for {d.name}") == (
            "typed for nothing-stored-here"
        )
        with pytest.raises(DirectoryError, match="needs the password for uid=a,dc=x"):
            bind_password(directory)


class TestCli:
    def test_add_list_remove(self, home: Home, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["directory", "add", "corp", "--url", "ldaps://ldap.example.org",
                     "--base", "dc=example,dc=org", "--bind-dn", "uid=me,dc=example,dc=org",
                     "--password-command", "pass ldap", "--timeout", "4"]) == 0  # fmt: skip
        assert "Added directory corp" in capsys.readouterr().out
        assert main(["directory", "list", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert listed == [
            {
                "name": "corp",
                "url": "ldaps://ldap.example.org",
                "base_dn": "dc=example,dc=org",
                "bind_dn": "uid=me,dc=example,dc=org",
                "starttls": False,
                "filter": "(mail={address})",
                "timeout": 4.0,
                "ca_file": "",
                "password": "command",
            }
        ]
        assert main(["directory", "list"]) == 0
        assert "corp  ldaps://ldap.example.org  TLS" in capsys.readouterr().out
        assert main(["directory", "remove", "corp"]) == 0
        assert main(["directory", "list", "--json"]) == 0
        assert "Removed directory corp" in capsys.readouterr().out

    def test_plain_ldap_warns(self, home: Home, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["directory", "add", "c", "--url", "ldap://h", "--base", "dc=x"]) == 0
        assert "without TLS" in capsys.readouterr().out

    @pytest.mark.parametrize(
        "argv",
        [
            ["directory", "add", "c", "--url", "http://h", "--base", "dc=x"],
            ["directory", "add", "c", "--url", "ldap://h", "--base", "dc=x", "--filter", "(cn=x)"],
            ["directory", "add", "c", "--url", "ldap://h", "--base", "dc=x", "--ca-file", "/nope"],
            ["directory", "remove", "nope"],
            ["directory", "password", "nope"],
        ],
    )
    def test_errors_exit_2_with_one_line(
        self, home: Home, capsys: pytest.CaptureFixture[str], argv: list[str]
    ) -> None:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("smimetui: ") and err.count("\n") == 1
