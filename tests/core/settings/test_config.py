"""Accounts in config.toml: round trip, defaults, validation, secrets never stored."""

from __future__ import annotations

import tomllib

import pytest

from smimetui.core.directory.servers import (
    Directory,
    add_directory,
    get_directory,
    load_directories,
)
from smimetui.core.errors import ConfigError
from smimetui.core.settings.accounts import (
    Account,
    add_account,
    get_account,
    load_accounts,
    remove_account,
)
from smimetui.core.settings.config import load_config, save_config
from smimetui.core.settings.home import Home


def imap_account(name: str = "work", **kw: object) -> Account:
    values: dict[str, object] = {
        "name": name,
        "email": f"{name}@example.org",
        "imap_host": "imap.example.org",
        "username": name,
        "smtp_host": "smtp.example.org",
    }
    values.update(kw)
    return Account(**values)  # type: ignore[arg-type]


class TestConfigFile:
    def test_missing_file_is_empty(self, home: Home) -> None:
        assert load_config(home) == {}

    def test_invalid_toml_is_a_sentence(self, home: Home) -> None:
        home.config_file.write_text("[accounts\n")
        with pytest.raises(ConfigError, match="not valid TOML"):
            load_config(home)

    def test_written_private(self, home: Home) -> None:
        save_config(home, {"a": {"b": 1}})
        assert home.config_file.stat().st_mode & 0o077 == 0


class TestAccounts:
    def test_round_trip_all_fields(self, home: Home) -> None:
        account = imap_account(
            display_name="Work Me",
            imap_port=1993,
            imap_security="starttls",
            password_command="pass show mail",
            ca_file="/etc/ca.pem",
            smtp_port=2465,
            smtp_security="tls",
            smtp_username="other",
            sent_folder="Sent Items",
            drafts_folder="Entwürfe",
            signing_id="ab12",
            encryption_id="cd34",
            include_certs=False,
            sign_by_default=True,
            encrypt_by_default=True,
            default=True,
        )
        add_account(home, account)
        assert load_accounts(home) == [account]

    def test_local_account_keeps_no_imap_settings(self, home: Home) -> None:
        add_account(home, Account(name="local", email="me@example.org", maildir="/tmp/md"))
        table = tomllib.loads(home.config_file.read_text())["accounts"]["local"]
        assert table["maildir"] == "/tmp/md"
        assert "imap" not in table and "smtp" not in table
        assert get_account(home).is_local

    def test_default_is_first_or_marked(self, home: Home) -> None:
        add_account(home, imap_account("a"))
        add_account(home, imap_account("b"))
        assert get_account(home).name == "a"
        add_account(home, imap_account("c", default=True))
        assert get_account(home).name == "c"
        add_account(home, imap_account("d", default=True))
        assert get_account(home).name == "d"
        assert [a.default for a in load_accounts(home)] == [False, False, False, True]

    def test_duplicate_name_refused(self, home: Home) -> None:
        add_account(home, imap_account())
        with pytest.raises(ConfigError, match="exists already"):
            add_account(home, imap_account())

    def test_unknown_account_names_the_known(self, home: Home) -> None:
        add_account(home, imap_account("a"))
        with pytest.raises(ConfigError, match="accounts are: a"):
            get_account(home, "zzz")

    def test_no_accounts(self, home: Home) -> None:
        with pytest.raises(ConfigError, match="account add"):
            get_account(home)

    def test_remove(self, home: Home) -> None:
        add_account(home, imap_account("a"))
        add_account(home, imap_account("b"))
        assert remove_account(home, "a").name == "a"
        assert [a.name for a in load_accounts(home)] == ["b"]
        with pytest.raises(ConfigError):
            remove_account(home, "a")

    def test_other_tables_and_unknown_keys_survive(self, home: Home) -> None:
        home.config_file.write_text(
            '[directories.corp]\nurl = "ldaps://ldap.example.org"\n\n'
            '[accounts.old]\nemail = "o@example.org"\nmaildir = "/m"\nfuture_key = 7\n'
        )
        add_account(home, imap_account("new"))
        doc = tomllib.loads(home.config_file.read_text())
        assert doc["directories"] == {"corp": {"url": "ldaps://ldap.example.org"}}
        assert doc["accounts"]["old"]["future_key"] == 7


class TestValidation:
    @pytest.mark.parametrize(
        ("kw", "match"),
        [
            ({"email": "not-an-address"}, "not an email address"),
            ({"imap_security": "ssl"}, "not one of tls, starttls, none"),
            ({"smtp_port": 70000}, "not between 1 and 65535"),
            ({"maildir": "/m"}, "not both"),
            ({"username": ""}, "needs a username"),
            ({"name": "has space"}, "letters, digits"),
        ],
    )
    def test_bad_values(self, home: Home, kw: dict[str, object], match: str) -> None:
        with pytest.raises(ConfigError, match=match):
            add_account(home, imap_account(**kw))

    def test_neither_imap_nor_maildir(self, home: Home) -> None:
        with pytest.raises(ConfigError, match="--imap-host"):
            add_account(home, Account(name="x", email="x@example.org"))

    def test_wrong_type_in_file(self, home: Home) -> None:
        home.config_file.write_text(
            '[accounts.x]\nemail = "x@example.org"\nimap = { host = "h", port = "993", '
            'username = "u" }\n'
        )
        with pytest.raises(ConfigError, match="port must be a number"):
            load_accounts(home)

    @pytest.mark.parametrize("where", ["", "imap", "smtp"])
    def test_password_in_file_refused(self, home: Home, where: str) -> None:
        section = f"[accounts.x.{where}]" if where else "[accounts.x]"
        home.config_file.write_text(
            '[accounts.x]\nemail = "x@example.org"\nmaildir = "/m"\n'
            + (f'{section}\npassword = "hunter2"\n' if where else 'password = "hunter2"\n')
        )
        with pytest.raises(ConfigError, match="never read from the config"):
            load_accounts(home)


class TestNamedTableSentences:
    """The sentences of core/settings/named_tables, word for word, for accounts and directories."""

    def test_accounts(self, home: Home) -> None:
        add_account(home, imap_account("a"))
        with pytest.raises(ConfigError) as dup:
            add_account(home, imap_account("a"))
        assert str(dup.value) == (
            "An account named 'a' exists already; remove it first (smimetui account remove a)."
        )
        with pytest.raises(ConfigError) as gone:
            remove_account(home, "zzz")
        assert str(gone.value) == "There is no account named 'zzz'; the accounts are: a."

    def test_directories(self, home: Home) -> None:
        directory = Directory("corp", "ldaps://ldap.example.org", "dc=example,dc=org")
        with pytest.raises(ConfigError) as none:
            get_directory(home, "corp")
        assert str(none.value) == "There is no directory named 'corp'; the directories are: none."
        add_directory(home, directory)
        with pytest.raises(ConfigError) as dup:
            add_directory(home, directory)
        assert str(dup.value) == (
            "A directory named 'corp' exists already; remove it first "
            "(smimetui directory remove corp)."
        )

    @pytest.mark.parametrize("section", ["accounts", "directories"])
    def test_a_section_that_is_not_a_table(self, home: Home, section: str) -> None:
        home.config_file.parent.mkdir(parents=True, exist_ok=True)
        home.config_file.write_text(f'{section} = "x"\n')
        with pytest.raises(ConfigError) as wrong:
            load_accounts(home) if section == "accounts" else load_directories(home)
        assert str(wrong.value) == (f"[{section}] in the config file must be a table of {section}.")
