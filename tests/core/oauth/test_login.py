"""OAuth2 end to end: sign-in by each flow, then IMAP (a real Dovecot with passdb oauth2) and
SMTP (aiosmtpd) logins with the tokens, checked at the loopback OAuth2 server."""

from __future__ import annotations

import shlex
import sys
import threading
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests

from smimetui.core.mail.factory import open_backend, open_sender
from smimetui.core.oauth import tokens
from smimetui.core.oauth.flows import SignInError, SignInPrompt
from smimetui.core.oauth.tokens import AccessTokens, SignInRequired, load_tokens
from smimetui.core.settings.home import Home
from tests.support.keyring import MemoryKeyring
from tests.support.oauth import Browser, oauth_account
from tests.support.servers.dovecot import Dovecot
from tests.support.servers.oauth import AuthServer
from tests.support.servers.oauth_smtp import OAuthSmtp

pytestmark = pytest.mark.dovecot


def folders(account_home: Home, account: object) -> list[str]:
    backend = open_backend(account, account_home)  # type: ignore[arg-type]
    try:
        return [f.name for f in backend.list_folders()]
    finally:
        backend.close()


class TestSignIn:
    def test_browser_flow_with_pkce_then_imap(
        self, home: Home, module_auth: AuthServer, oauth_dovecot: Dovecot,
        memory_keyring: MemoryKeyring,
    ) -> None:  # fmt: skip
        account = oauth_account(module_auth, oauth_dovecot)
        browser = Browser()
        stored, kept = tokens.sign_in(account, browser, open_browser=False)
        assert kept and stored.refresh_token and browser.landed == [200]
        assert "code_challenge=" in browser.prompts[0].url  # PKCE; the server checked it
        assert load_tokens(account) == stored  # in the keyring entry oauth2:work
        assert ("smimetui", "oauth2:work") in memory_keyring.items
        assert "INBOX" in folders(home, account)

    def test_device_code_flow_then_imap(
        self, home: Home, module_auth: AuthServer, oauth_dovecot: Dovecot,
        memory_keyring: MemoryKeyring,
    ) -> None:  # fmt: skip
        account = oauth_account(module_auth, oauth_dovecot)
        browser = Browser()
        polls = module_auth.count(tokens.flows.DEVICE_GRANT)
        tokens.sign_in(account, browser, device_code=True)
        assert browser.prompts[0].user_code == "WDJB-MJHT"
        assert "enter the code WDJB-MJHT" in browser.prompts[0].sentence()
        assert module_auth.count(tokens.flows.DEVICE_GRANT) - polls == 2  # pending, then done
        assert "INBOX" in folders(home, account)

    def test_redirect_with_another_state_is_refused(
        self, auth: AuthServer, memory_keyring: MemoryKeyring
    ) -> None:
        def forged(prompt: SignInPrompt) -> None:
            # A page that sends the browser to the loopback listener with its own code/state.
            location = requests.get(prompt.url, allow_redirects=False, timeout=10).headers
            target = location["Location"].replace("state=", "state=forged")
            threading.Thread(target=requests.get, args=(target,), daemon=True).start()

        with pytest.raises(SignInError, match="does not belong to this request"):
            tokens.sign_in(oauth_account(auth), forged, open_browser=False)
        assert load_tokens(oauth_account(auth)) is None

    def test_consent_required_is_a_sentence(
        self, auth: AuthServer, memory_keyring: MemoryKeyring
    ) -> None:
        auth.consent_required = True
        with pytest.raises(SignInError, match="wants consent first"):
            tokens.sign_in(oauth_account(auth), Browser(), open_browser=False)


class TestRefresh:
    def test_refreshed_before_expiry(
        self, home: Home, module_auth: AuthServer, oauth_dovecot: Dovecot,
        memory_keyring: MemoryKeyring,
    ) -> None:  # fmt: skip
        account = oauth_account(module_auth, oauth_dovecot)
        first, _ = tokens.sign_in(account, Browser(), open_browser=False)
        now = [first.expires_at - 3600]
        source = AccessTokens(account, clock=lambda: now[0])
        assert source() == first.access_token and source.refreshes == 0
        now[0] = first.expires_at - 60  # within the leeway: refreshed before it runs out
        second = source()
        assert second != first.access_token and source.refreshes == 1
        assert load_tokens(account).refresh_token == first.refresh_token  # type: ignore[union-attr]
        assert module_auth.introspect({"token": second})["active"]

    def test_refreshed_once_after_the_server_rejects_the_token(
        self, home: Home, module_auth: AuthServer, oauth_dovecot: Dovecot,
        memory_keyring: MemoryKeyring,
    ) -> None:  # fmt: skip
        account = oauth_account(module_auth, oauth_dovecot)
        tokens.sign_in(account, Browser(), open_browser=False)
        module_auth.revoke_access_tokens()  # still "fresh" by the clock, refused by Dovecot
        refreshes = module_auth.count("refresh_token")
        assert "INBOX" in folders(home, account)
        assert module_auth.count("refresh_token") - refreshes == 1

    def test_revoked_refresh_token_asks_to_sign_in_again(
        self, home: Home, auth: AuthServer, oauth_dovecot: Dovecot,
        memory_keyring: MemoryKeyring, module_auth: AuthServer,
    ) -> None:  # fmt: skip
        account = oauth_account(module_auth, oauth_dovecot)
        tokens.sign_in(account, Browser(), open_browser=False)
        module_auth.revoke_access_tokens()
        module_auth.revoke_refresh_tokens()
        with pytest.raises(SignInRequired, match="smimetui account login work") as caught:
            folders(home, account)
        assert "no longer accepts the saved sign-in" in str(caught.value)
        assert load_tokens(account) is None  # the dead entry is gone from the keyring

    def test_wrong_scope_is_said(
        self, home: Home, module_auth: AuthServer, oauth_dovecot: Dovecot,
        memory_keyring: MemoryKeyring,
    ) -> None:  # fmt: skip
        account = oauth_account(module_auth, oauth_dovecot, scopes="openid offline_access")
        tokens.sign_in(account, Browser(), open_browser=False)
        with pytest.raises(SignInRequired) as caught:
            folders(home, account)
        assert "wrong scope (it wants mail)" in str(caught.value), str(caught.value)


class TestSmtp:
    def test_send_with_oauthbearer(
        self, module_auth: AuthServer, oauth_smtp: OAuthSmtp, memory_keyring: MemoryKeyring
    ) -> None:
        account = oauth_account(
            module_auth, smtp_port=oauth_smtp.port, ca_file=str(oauth_smtp.ca_file),
            oauth2_mechanism="oauthbearer",
        )  # fmt: skip
        tokens.sign_in(account, Browser(), open_browser=False)
        message = EmailMessage()
        message["Subject"] = "hello"
        message.set_content("by OAUTHBEARER")
        open_sender(account).send(message.as_bytes(), "alice@example.org", ["bob@example.org"])
        assert oauth_smtp.handler.logins[-1] == ("OAUTHBEARER", "alice")
        assert oauth_smtp.handler.received[-1][1] == ["bob@example.org"]

    def test_smtp_wrong_scope_sentence(
        self, module_auth: AuthServer, oauth_smtp: OAuthSmtp, memory_keyring: MemoryKeyring
    ) -> None:
        account = oauth_account(
            module_auth, smtp_port=oauth_smtp.port, ca_file=str(oauth_smtp.ca_file),
            scopes="openid offline_access",
        )  # fmt: skip
        tokens.sign_in(account, Browser(), open_browser=False)
        with pytest.raises(SignInRequired, match="wrong scope .it wants mail."):
            open_sender(account).send(b"Subject: x\r\n\r\nx\r\n", "alice@example.org", ["b@x.org"])


class TestTokenCommand:
    def test_token_command_logs_in_to_imap_and_smtp(
        self, home: Home, module_auth: AuthServer, oauth_dovecot: Dovecot,
        oauth_smtp: OAuthSmtp, tmp_path: Path,
    ) -> None:  # fmt: skip
        token = module_auth.issue()
        script = tmp_path / "token.py"
        script.write_text(f"print({token!r})\nprint('second line is ignored')\n")
        command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
        account = oauth_account(module_auth, oauth_dovecot, oauth2_token_command=command)
        assert "INBOX" in folders(home, account)
        smtp_account = oauth_account(
            module_auth, smtp_port=oauth_smtp.port, ca_file=str(oauth_smtp.ca_file),
            oauth2_token_command=command,
        )  # fmt: skip
        open_sender(smtp_account).send(b"Subject: x\r\n\r\nx\r\n", "alice@example.org", ["b@x.org"])
        assert oauth_smtp.handler.logins[-1] == ("XOAUTH2", "alice")

    def test_refused_token_from_command_names_the_command(
        self, home: Home, module_auth: AuthServer, oauth_dovecot: Dovecot
    ) -> None:
        command = f"{shlex.quote(sys.executable)} -c 'print(\"at-bogus\")'"
        account = oauth_account(module_auth, oauth_dovecot, oauth2_token_command=command)
        with pytest.raises(Exception, match="even with a new token from the token command"):
            folders(home, account)
