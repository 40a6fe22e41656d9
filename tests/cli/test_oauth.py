"""``smimetui account add --oauth2 / login / token`` as a user runs them."""

from __future__ import annotations

import json

import pytest

from smimetui.cli.main import main
from smimetui.core.settings.accounts import get_account
from smimetui.core.settings.config import load_config
from smimetui.core.settings.home import Home
from tests.support.keyring import MemoryKeyring
from tests.support.servers.dovecot import Dovecot
from tests.support.servers.oauth import AuthServer

pytestmark = pytest.mark.dovecot


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> tuple[str, str]:
    got = main(list(argv))
    out, err = capsys.readouterr()
    assert got == code, (out, err)
    return out, err


def test_add_by_device_code_then_mail_token_and_login_again(
    capsys: pytest.CaptureFixture[str], home: Home, module_auth: AuthServer,
    oauth_dovecot: Dovecot, memory_keyring: MemoryKeyring,
) -> None:  # fmt: skip
    out, err = run(
        capsys, "account", "add", "work", "--email", "alice@example.org",
        "--oauth2", module_auth.url, "--client-id", module_auth.client_id,
        "--oauth2-scopes", "mail offline_access", "--username", "alice",
        "--imap-host", "127.0.0.1", "--imap-port", str(oauth_dovecot.imaps_port),
        "--ca-file", str(oauth_dovecot.ca_pem), "--device-code",
    )  # fmt: skip
    assert "Added account work" in out
    assert "enter the code WDJB-MJHT" in err and "Signed in" in err
    table = load_config(home)["accounts"]["work"]
    assert table["auth"] == "oauth2" and table["oauth2"]["client_id"] == "test-client"
    assert "refresh_token" not in json.dumps(table)  # the secret is in the keyring only
    names = {f["name"] for f in json.loads(run(capsys, "folders", "--json")[0])}
    assert "INBOX" in names

    token = run(capsys, "account", "token", "work")[0].strip()
    assert module_auth.introspect({"token": token})["active"]
    listed = run(capsys, "account", "list")[0]
    assert "oauth2, signed in" in listed

    module_auth.revoke_refresh_tokens()
    module_auth.revoke_access_tokens()
    _, err = run(capsys, "folders", code=2)
    assert "smimetui account login work" in err and err.count("\n") == 1

    _, err = run(capsys, "account", "login", "work", "--device-code")
    assert "Signed in" in err
    assert "INBOX" in run(capsys, "folders")[0]


def test_microsoft_preset_fills_the_servers(capsys: pytest.CaptureFixture[str], home: Home) -> None:
    run(
        capsys, "account", "add", "m365", "--email", "alice@contoso.example",
        "--oauth2", "microsoft", "--tenant", "contoso.onmicrosoft.com",
        "--client-id", "00000000-1111-2222-3333-444444444444",
        "--oauth2-token-command", "oama access alice@contoso.example",
    )  # fmt: skip
    account = get_account(home, "m365")
    assert (account.imap_host, account.imap_port, account.imap_security) == (
        "outlook.office365.com", 993, "tls",
    )  # fmt: skip
    assert (account.smtp_host, account.smtp_port, account.smtp_security) == (
        "smtp.office365.com", 587, "starttls",
    )  # fmt: skip
    assert account.username == "alice@contoso.example" and account.oauth2_tenant
    assert "oauth2 token command" in run(capsys, "account", "list")[0]


def test_oauth2_needs_a_client_id(capsys: pytest.CaptureFixture[str], home: Home) -> None:
    _, err = run(
        capsys, "account", "add", "g", "--email", "a@gmail.com", "--oauth2", "google", code=2
    )
    assert "client ID" in err and err.count("\n") == 1


def test_unknown_provider_is_one_line(capsys: pytest.CaptureFixture[str], home: Home) -> None:
    _, err = run(
        capsys, "account", "add", "g", "--email", "a@x.org", "--oauth2", "yahoo",
        "--client-id", "x", code=2,
    )  # fmt: skip
    assert "not an OAuth2 provider smimetui knows" in err


def test_secret_in_config_is_refused(capsys: pytest.CaptureFixture[str], home: Home) -> None:
    home.ensure(home.config_dir)
    home.config_file.write_text(
        '[accounts.g]\nemail = "a@gmail.com"\nauth = "oauth2"\n'
        'imap = { host = "imap.gmail.com", username = "a@gmail.com" }\n'
        'oauth2 = { provider = "google", client_id = "x", client_secret = "s" }\n'
    )
    _, err = run(capsys, "account", "list", code=2)
    assert "secrets are never read from the config" in err


def test_client_secret_from_the_keyring_and_remove_forgets_it(
    capsys: pytest.CaptureFixture[str], home: Home, auth: AuthServer,
    memory_keyring: MemoryKeyring,
) -> None:  # fmt: skip
    auth.client_secret = "desktop-app-secret"
    argv = ("account", "add", "g", "--email", "alice@example.org", "--oauth2", auth.url,
            "--client-id", auth.client_id, "--imap-host", "127.0.0.1", "--device-code")  # fmt: skip
    _, err = run(capsys, *argv, code=2)
    shown, error = err.splitlines()  # the code to enter, then the one-line error
    assert "enter the code" in shown
    assert "does not accept the client ID (client secret missing)" in error
    assert "smimetui account login g" in error
    memory_keyring.set_password("smimetui", "oauth2-secret:g", "desktop-app-secret")
    run(capsys, "account", "login", "g", "--device-code")
    assert ("smimetui", "oauth2:g") in memory_keyring.items
    run(capsys, "account", "remove", "g")
    assert not memory_keyring.items  # the sign-in and the secret went with the account
