"""The OAuth2 sign-in dialog (issue 13): an account without a saved sign-in opens the dialog,
the device-code flow runs in a worker while the code is shown, and the mailbox then loads from
a Dovecot that checks the new token at the loopback OAuth2 server."""

from __future__ import annotations

import pytest

from smimetui.core.settings.accounts import add_account
from smimetui.core.settings.home import Home
from smimetui.tui.screens.sign_in import SignInScreen
from smimetui.tui.widgets.message_list import MessageList
from tests.support.messages import generate
from tests.support.oauth import module_auth, oauth_account, oauth_dovecot  # noqa: F401
from tests.support.servers.dovecot import Dovecot
from tests.support.servers.oauth import AuthServer

from .helpers import SIZE, make_app
from .test_imap import _until

pytestmark = pytest.mark.dovecot


async def test_sign_in_dialog_by_device_code_then_the_mailbox_loads(
    home: Home,
    module_auth: AuthServer,  # noqa: F811
    oauth_dovecot: Dovecot,  # noqa: F811
) -> None:
    oauth_dovecot.write_maildir("alice", generate(2))
    module_auth.device_approvals_after = 3  # the code stays on screen for a few polls
    add_account(home, oauth_account(module_auth, oauth_dovecot))  # no sign-in saved yet
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, SignInScreen))
        dialog = app.screen
        assert isinstance(dialog, SignInScreen)
        assert "no sign-in is saved" in dialog.reason
        await pilot.press("d")
        await _until(pilot, lambda: "WDJB-MJHT" in dialog.prompt_text)
        assert dialog.prompt_text.startswith("Open http://127.0.0.1:")
        await _until(pilot, lambda: not isinstance(app.screen, SignInScreen))
        lst = app.screen.query_one(MessageList)
        await _until(pilot, lambda: len(lst.index) == 2)
    assert module_auth.count("device_code") >= 3  # polled, pending, then approved


async def test_sign_in_dialog_cancel_leaves_the_account_offline(
    home: Home,
    module_auth: AuthServer,  # noqa: F811
    oauth_dovecot: Dovecot,  # noqa: F811
) -> None:
    add_account(home, oauth_account(module_auth, oauth_dovecot, name="other"))
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, SignInScreen))
        await pilot.press("escape")
        await _until(pilot, lambda: any(n.title == "Sign-in needed" for n in app._notifications))
        said = [n.message for n in app._notifications if n.title == "Sign-in needed"]
        assert "smimetui account login other" in said[0]
