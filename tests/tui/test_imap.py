"""The app on a real Dovecot (issue 4): password prompt, list, and new mail arriving by IDLE."""

from __future__ import annotations

import pytest

from smimetui.core.accounts import Account, add_account
from smimetui.core.home import Home
from smimetui.tui.screens.passphrase import PassphraseScreen
from smimetui.tui.widgets.message_list import MessageList
from tests.backends.conftest import MailUser, dovecot, mail_user  # noqa: F401
from tests.backends.messages import generate

from .helpers import SIZE, make_app

pytestmark = pytest.mark.dovecot


async def _until(pilot, check, seconds: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.1)):
        if check():
            return
        await pilot.pause(0.1)
    raise AssertionError("timed out")


def _add_work_account(home: Home, mail_user: MailUser) -> None:  # noqa: F811
    add_account(
        home,
        Account(
            name="work",
            email=f"{mail_user.name}@example.org",
            imap_host="127.0.0.1",
            imap_port=mail_user.server.imap_port,
            imap_security="none",
            username=mail_user.name,
        ),
    )


async def test_imap_account_lists_and_new_mail_arrives(home: Home, mail_user: MailUser) -> None:  # noqa: F811
    mail_user.server.write_maildir(mail_user.name, generate(3))
    _add_work_account(home, mail_user)
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        # No keyring, no password command: the app asks, titled for the account.
        await _until(pilot, lambda: isinstance(app.screen, PassphraseScreen))
        prompt = app.screen
        assert isinstance(prompt, PassphraseScreen)
        assert prompt.title_text == "Password for account work"
        await pilot.press(*mail_user.password, "enter")
        lst = app.screen.query_one(MessageList)
        await _until(pilot, lambda: len(lst.index) == 3)
        lst.cursor = 1
        selected = lst.current_uid
        other = mail_user.backend()
        try:
            other.append("INBOX", generate(4)[3])  # another client delivers a message
        finally:
            other.close()
        await _until(pilot, lambda: len(lst.index) == 4)
        assert lst.current_uid == selected  # the selection survived the refresh


async def test_starting_on_imap_marks_nothing_seen_on_the_server(
    home: Home,
    mail_user: MailUser,  # noqa: F811
) -> None:
    from smimetui.core.backends.base import SEEN

    mail_user.server.write_maildir(mail_user.name, generate(3))
    _add_work_account(home, mail_user)

    def unseen() -> set[int]:
        server = mail_user.backend()
        try:
            index = server.open_folder("INBOX")
            summaries = [index.summary(p) for p in range(len(index))]
        finally:
            server.close()
        return {s.uid for s in summaries if SEEN not in s.flags}

    before = unseen()
    assert before
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, PassphraseScreen))
        await pilot.press(*mail_user.password, "enter")
        lst = app.screen.query_one(MessageList)
        await _until(pilot, lambda: len(lst.index) == 3)
        await _until(pilot, lambda: app.screen.report_uid is not None)  # type: ignore[attr-defined]
        await pilot.pause(1.0)  # the newest is previewed: its body was fetched
        assert unseen() == before
        newest = lst.current_uid
        await pilot.press("enter")  # opening it is reading it
        await _until(pilot, lambda: unseen() == before - {newest})
