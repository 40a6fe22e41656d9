"""The app on a real Dovecot (issue 4): password prompt, list, and new mail arriving by IDLE;
on Courier without a Trash folder, ``d`` asks before deleting for good (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smimetui.core.settings.accounts import Account, add_account
from smimetui.core.settings.home import Home
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.screens.passphrase import PassphraseScreen
from smimetui.tui.widgets.message_list import MessageList
from tests.support.messages import generate
from tests.support.servers.courier import Courier
from tests.support.servers.imap import (  # noqa: F401
    MailUser,
    courier_server,
    dovecot,
    mail_user,
    server,
    server_kind,
)

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


async def test_delete_without_trash_asks_before_deleting_for_good(
    home: Home,
    courier_server: Courier,  # noqa: F811
    tmp_path: Path,
) -> None:
    user = MailUser(courier_server, "tui-no-trash", "secret-tui", tmp_path)
    courier_server.add_user(user.name, user.password, ["Sent", "Drafts"])
    writer = user.backend()
    try:
        for raw in generate(2):
            writer.append("INBOX", raw)
    finally:
        writer.close()
    _add_work_account(home, user)
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, PassphraseScreen))
        await pilot.press(*user.password, "enter")
        lst = app.screen.query_one(MessageList)
        await _until(pilot, lambda: len(lst.index) == 2)
        await pilot.press("d")
        await _until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.title_text == "No Trash folder"  # type: ignore[attr-defined]
        await pilot.press("n")  # no: nothing happens
        await pilot.pause(0.5)
        assert len(lst.index) == 2 and not [n for n in app._notifications if n.title == "Moved"]
        await pilot.press("d")
        await _until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await _until(pilot, lambda: len(lst.index) == 1)
        said = [n.message for n in app._notifications if n.title == "Deleted"]
        assert said == ["Deleted 1 message(s) for good."]
    reader = user.backend()
    try:
        assert len(reader.open_folder("INBOX")) == 1
    finally:
        reader.close()


async def test_starting_on_imap_marks_nothing_seen_on_the_server(
    home: Home,
    mail_user: MailUser,  # noqa: F811
) -> None:
    from smimetui.core.mail.base import SEEN

    mail_user.server.write_maildir(mail_user.name, generate(3))
    _add_work_account(home, mail_user)

    def unseen() -> set[int]:
        conn = mail_user.backend()
        try:
            index = conn.open_folder("INBOX")
            summaries = [index.summary(p) for p in range(len(index))]
        finally:
            conn.close()
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
