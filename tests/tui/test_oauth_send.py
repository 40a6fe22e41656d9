"""Sending from the compose screen with an OAuth2 account whose sign-in is missing or revoked
(issue 13's gap): the sign-in dialog opens, as when a folder opens, and the message then goes
out through the loopback SMTP server that checks tokens at the loopback OAuth2 server."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input, TextArea

from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.oauth import tokens
from smimetui.core.settings.accounts import Account, add_account, remove_account
from smimetui.core.settings.home import Home
from smimetui.tui.app import SmimeTuiApp
from smimetui.tui.screens.compose import ComposeScreen
from smimetui.tui.screens.mailbox import MailboxScreen
from smimetui.tui.screens.sign_in import SignInScreen
from tests.oauth.authserver import AuthServer
from tests.oauth.conftest import module_auth, oauth_smtp  # noqa: F401
from tests.oauth.helpers import Browser, oauth_account
from tests.oauth.smtpserver import OAuthSmtp

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
