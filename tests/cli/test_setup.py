"""``smimetui account add NAME --email E`` with no host: found, shown, asked, saved."""

from __future__ import annotations

import io

import pytest

from smimetui.cli.main import main
from smimetui.core.settings.accounts import get_account, load_accounts
from smimetui.core.settings.home import Home
from tests.support.internet import ISPDB, Internet


class NoInput(io.StringIO):
    """stdin for paths that must not ask anything."""

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        raise AssertionError("a question was asked")


def add(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    internet: Internet,
    email: str,
    *options: str,
    stdin: str | None = None,
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", NoInput() if stdin is None else io.StringIO(stdin))
    argv = ["account", "add", "work", "--email", email, "--ca-file", str(internet.https.ca_file)]
    code = main([*argv, *options])
    out, err = capsys.readouterr()
    return code, out, err


class TestSave:
    def test_yes_saves_without_a_question(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, out, err = add(capsys, monkeypatch, cli_internet, "alice@own.test", "--yes")
        assert code == 0, err
        assert "Found settings for alice@own.test (from autoconfig.own.test):" in out
        assert "incoming  imap.own.test:993, SSL/TLS, username alice (%EMAILLOCALPART%)" in out
        assert "outgoing  smtp.own.test:465, SSL/TLS, username alice (%EMAILLOCALPART%)" in out
        assert "sign-in   password" in out and "[y/N]" not in out
        account = get_account(home, "work")
        assert (account.imap_host, account.imap_port, account.imap_security) == (
            "imap.own.test",
            993,
            "tls",
        )
        assert (account.username, account.smtp_host, account.smtp_port) == (
            "alice",
            "smtp.own.test",
            465,
        )
        assert (account.smtp_security, account.smtp_username, account.auth) == (
            "tls",
            "",
            "password",
        )
        assert "auth" not in home.config_file.read_text()  # the default stays out of the file

    def test_answer_no_saves_nothing(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, out, _ = add(capsys, monkeypatch, cli_internet, "alice@own.test", stdin="n\n")
        assert code == 1
        assert "Save account work with these settings? [y/N]" in out
        assert out.rstrip().endswith("Nothing was saved.")
        assert load_accounts(home) == []

    def test_end_of_input_is_no(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        assert add(capsys, monkeypatch, cli_internet, "alice@own.test", stdin="")[0] == 1
        assert load_accounts(home) == []

    def test_answer_yes_saves_and_given_options_win(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, _, err = add(
            capsys, monkeypatch, cli_internet, "h@srv.test", "--username", "h.srv", stdin="y\n"
        )
        assert code == 0, err
        account = get_account(home, "work")
        assert (account.imap_host, account.imap_port, account.username) == (
            "mail.srv.test",
            993,
            "h.srv",
        )
        assert (account.smtp_host, account.smtp_port, account.smtp_security) == (
            "smtp.srv.test",
            587,
            "starttls",
        )
        assert account.smtp_login == "h.srv"  # --username is the login for both

    def test_microsoft_mx_stores_oauth2(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, out, err = add(capsys, monkeypatch, cli_internet, "j@ms.test", "--yes")
        assert "(from MX of ms.test (Microsoft 365))" in out
        assert "sign-in   OAuth2 (microsoft)" in out
        # OAuth2 needs the user's own app registration: asked for, nothing saved without it
        assert code != 0
        assert "--oauth2 microsoft --client-id ID" in err
        assert "work" not in home.config_file.read_text() if home.config_file.exists() else True

    def test_plain_text_is_warned_about(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, out, _ = add(capsys, monkeypatch, cli_internet, "q@plain.test", "--yes")
        assert code == 0
        assert "Warning: the only server offered has no TLS" in out
        assert "Warning: IMAP without TLS" in out


class TestIspdbConsent:
    def test_no_flag_with_yes_never_asks_the_ispdb(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, _, err = add(capsys, monkeypatch, cli_internet, "l@isp.test", "--yes")
        assert code == 2 and ISPDB not in cli_internet.site.hosts_asked()
        assert "--ispdb" in err

    def test_prompt_answered_no(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, out, err = add(capsys, monkeypatch, cli_internet, "l@isp.test", stdin="n\n")
        assert "Ask Thunderbird's public database (autoconfig.thunderbird.net)?" in out
        assert "It would learn the domain isp.test." in out
        assert code == 2 and ISPDB not in cli_internet.site.hosts_asked()
        assert load_accounts(home) == []

    def test_prompt_answered_yes(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, out, err = add(capsys, monkeypatch, cli_internet, "l@isp.test", stdin="y\ny\n")
        assert code == 0, err
        assert "(from ISPDB (isp.test))" in out
        assert get_account(home, "work").imap_host == "imap.isp.test"
        assert (ISPDB, "/v1.1/isp.test") in cli_internet.site.log

    def test_flag_for_scripts(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, _, err = add(capsys, monkeypatch, cli_internet, "l@isp.test", "--ispdb", "--yes")
        assert code == 0, err
        assert get_account(home, "work").smtp_host == "smtp.isp.test"


class TestNothingFound:
    def test_one_sentence_with_the_flags_to_give(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, _, err = add(capsys, monkeypatch, cli_internet, "o@nothing.test", "--yes")
        assert code == 2 and err.count("\n") == 1
        assert err.startswith(
            "smimetui: No settings were found for nothing.test (autoconfig.nothing.test: no "
            "such host; nothing.test/.well-known: no such host; SRV: IMAP none; MX: no such name;"
        )
        assert err.rstrip().endswith("or allow the public database with --ispdb.")
        assert "--imap-host HOST --username USER" in err and "--smtp-host HOST" in err
        assert load_accounts(home) == []

    def test_hostile_file_is_named_in_the_explanation(
        self,
        home: Home,
        cli_internet: Internet,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, out, err = add(capsys, monkeypatch, cli_internet, "g@xxe.test", "--yes", "--verbose")
        assert code == 2
        assert "Looked at: autoconfig.xxe.test: refused, it declares a DOCTYPE or entities" in out
        assert "autoconfig.xxe.test: refused" in err
