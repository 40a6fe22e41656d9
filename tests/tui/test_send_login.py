"""Sending from the compose screen when the SMTP login needs the user.

An OAuth2 account whose sign-in is missing or revoked: the sign-in dialog opens, as when a
folder opens (it used to only say to run `account login`), and the message then goes out
through the loopback SMTP server that checks tokens at the loopback OAuth2 server.  A password
account with no keyring entry: the password dialog asks, as for IMAP."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Input, TextArea

from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.oauth import tokens
from smimetui.core.settings.accounts import Account, add_account, load_accounts, remove_account
from smimetui.core.settings.home import Home
from smimetui.tui.app import SmimeTuiApp
from smimetui.tui.screens.compose import ComposeScreen
from smimetui.tui.screens.mailbox import MailboxScreen
from smimetui.tui.screens.passphrase import PassphraseScreen
from smimetui.tui.screens.sign_in import SignInScreen
from tests.support.oauth import Browser, module_auth, oauth_account, oauth_smtp  # noqa: F401
from tests.support.servers.oauth import AuthServer
from tests.support.servers.oauth_smtp import OAuthSmtp
from tests.support.servers.smtp import PASSWORD, USER, SmtpServers, smtp_servers  # noqa: F401

from .helpers import SIZE, make_app, settle
from .test_imap import _until


def _oauth_smtp_account(home: Home, auth: AuthServer, smtp: OAuthSmtp, name: str) -> Account:
    """The demo Maildir, sent through the OAuth2 SMTP server (in place of the demo account)."""
    remove_account(home, "demo")
    account = oauth_account(auth, smtp_port=smtp.port, ca_file=str(smtp.ca_file), name=name)
    # A Maildir account keeps no IMAP username: the SMTP login gets its own.
    account = replace(account, maildir=str(home.data_dir / "Mail"), smtp_username=auth.user)
    add_account(home, account)
    tokens.forget_tokens(account)  # no keyring here: sign-ins live in memory, per name
    return account


async def _write_and_send(pilot, subject: str) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ComposeScreen)
    assert not screen.mail.sign and not screen.mail.encrypt  # plain: no passphrase question
    screen.query_one("#compose-to", Input).value = "bob@example.org"
    screen.query_one("#compose-subject", Input).value = subject
    screen.query_one("#compose-body", TextArea).load_text("Hello.\n")
    await pilot.press("ctrl+g")


def _sent(home: Home) -> list[bytes]:
    backend = MaildirBackend(home.data_dir / "Mail")
    index = backend.open_folder("Sent")
    return [backend.fetch_raw("Sent", index.uid_at(p)) for p in range(len(index))]


async def test_a_revoked_sign_in_opens_the_dialog_then_the_message_goes_out(
    demo_home: Home,
    module_auth: AuthServer,  # noqa: F811
    oauth_smtp: OAuthSmtp,  # noqa: F811
) -> None:
    account = _oauth_smtp_account(demo_home, module_auth, oauth_smtp, "revoked")
    tokens.sign_in(account, Browser(), open_browser=False)
    module_auth.revoke_access_tokens()  # the server refuses the token, and the refresh fails
    module_auth.revoke_refresh_tokens()
    received = len(oauth_smtp.handler.received)
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await _write_and_send(pilot, "Signed in again")
        await _until(pilot, lambda: isinstance(app.screen, SignInScreen))
        dialog = app.screen
        assert isinstance(dialog, SignInScreen) and dialog.account.name == "revoked"
        assert "no longer accepts the saved sign-in" in dialog.reason
        await pilot.press("d")
        await _until(pilot, lambda: "WDJB-MJHT" in dialog.prompt_text)
        await _until(pilot, lambda: isinstance(app.screen, MailboxScreen))
        said = [n.message for n in app._notifications if n.title == "Sent"]
        assert said and said[0].startswith("Sent unsigned, unencrypted to bob@example.org")
    assert len(oauth_smtp.handler.received) == received + 1
    assert oauth_smtp.handler.received[-1][1] == ["bob@example.org"]
    assert oauth_smtp.handler.logins[-1][1] == module_auth.user
    assert any(b"Subject: Signed in again" in raw for raw in _sent(demo_home))


async def test_cancelling_the_dialog_keeps_the_form_and_says_how_to_sign_in(
    demo_home: Home,
    module_auth: AuthServer,  # noqa: F811
    oauth_smtp: OAuthSmtp,  # noqa: F811
) -> None:
    _oauth_smtp_account(demo_home, module_auth, oauth_smtp, "never")  # no sign-in saved
    received = len(oauth_smtp.handler.received)
    app: SmimeTuiApp = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await _write_and_send(pilot, "Stays here")
        await _until(pilot, lambda: isinstance(app.screen, SignInScreen))
        assert "no sign-in is saved" in app.screen.reason  # type: ignore[attr-defined]
        await pilot.press("escape")
        await _until(pilot, lambda: any(n.title == "Sign-in needed" for n in app._notifications))
        said = [n.message for n in app._notifications if n.title == "Sign-in needed"]
        assert "smimetui account login never" in said[0]
        screen = app.screen
        assert isinstance(screen, ComposeScreen)  # nothing lost: the form is still open
        assert screen.query_one("#compose-subject", Input).value == "Stays here"
    assert len(oauth_smtp.handler.received) == received


def _password_smtp_account(home: Home, servers: SmtpServers) -> None:
    """The demo Maildir, sent through the STARTTLS server that wants USER / PASSWORD."""
    demo = next(a for a in load_accounts(home) if a.name == "demo")
    add_account(
        home,
        replace(
            demo,
            smtp_host="127.0.0.1",
            smtp_port=servers.starttls,
            smtp_security="starttls",
            smtp_username=USER,
            ca_file=str(servers.ca_file),
            sign_by_default=False,
        ),
        replace=True,
    )


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
class TestPasswordDialog:
    async def test_the_password_is_asked_then_the_message_goes_out(
        self,
        demo_home: Home,
        smtp_servers: SmtpServers,  # noqa: F811
    ) -> None:
        _password_smtp_account(demo_home, smtp_servers)
        received = len(smtp_servers.recorder.received)
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await _write_and_send(pilot, "With a password")
            await _until(pilot, lambda: isinstance(app.screen, PassphraseScreen))
            dialog = app.screen
            assert isinstance(dialog, PassphraseScreen) and dialog.secret == "password"
            assert dialog.title_text == "Password for account demo"
            # The SMTP login and host, not the account's address: one password, two logins.
            assert dialog.ident == f"Password for {USER} at 127.0.0.1 (account demo)"
            await pilot.press(*PASSWORD, "enter")
            await _until(pilot, lambda: isinstance(app.screen, MailboxScreen))
            assert len(smtp_servers.recorder.received) == received + 1
            # The next send of the session logs in with the password typed once.
            await _write_and_send(pilot, "Again")
            await _until(
                pilot,
                lambda: (
                    isinstance(app.screen, PassphraseScreen)
                    or len(smtp_servers.recorder.received) == received + 2
                ),
            )
            assert not isinstance(app.screen, PassphraseScreen)
        assert len(smtp_servers.recorder.received) == received + 2
        assert smtp_servers.recorder.received[-1][1] == ["bob@example.org"]
        sent = _sent(demo_home)
        assert any(b"Subject: With a password" in raw for raw in sent)
        assert any(b"Subject: Again" in raw for raw in sent)

    async def test_cancelling_it_keeps_the_form(
        self,
        demo_home: Home,
        smtp_servers: SmtpServers,  # noqa: F811
    ) -> None:
        _password_smtp_account(demo_home, smtp_servers)
        received = len(smtp_servers.recorder.received)
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await _write_and_send(pilot, "No password")
            await _until(pilot, lambda: isinstance(app.screen, PassphraseScreen))
            await pilot.press("escape")
            await _until(pilot, lambda: any(n.title == "Login" for n in app._notifications))
            said = [n.message for n in app._notifications if n.title == "Login"]
            assert said == ["No password was given; the message was not sent."]
            assert isinstance(app.screen, ComposeScreen)
        assert len(smtp_servers.recorder.received) == received
