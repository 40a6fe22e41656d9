"""The mail reader on a real Dovecot starts like the fastest terminal clients (issue 10, §4).

- a cold folder shows its newest rows after the first batch and fills as the rest arrives;
- INBOX is opened before the folder list is fetched;
- the INBOX starts opening before Textual runs (``build_app(open_early=True)``, as ``smimetui``
  does), and the app takes that opening over instead of syncing again; a password asked for
  by that early opening waits for the app's dialog.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from textual.message import Message

from smimetui.core.mail.imap.sync import BATCH, FIRST_BATCH
from smimetui.core.settings.accounts import Account, add_account
from smimetui.core.settings.home import Home
from smimetui.tui import messages as m
from smimetui.tui.app import SmimeTuiApp
from smimetui.tui.run import build_app
from smimetui.tui.screens.passphrase import PassphraseScreen
from smimetui.tui.widgets.message_list import MessageList
from tests.support.messages import generate
from tests.support.servers.imap import (  # noqa: F401
    MailUser,
    dovecot,
    mail_user,
    server,
    server_kind,
)

from .helpers import SIZE

pytestmark = pytest.mark.dovecot

COUNT = FIRST_BATCH + BATCH + 100  # three FETCH commands: 500, 5,000 and 100 rows


def add_imap_account(home: Home, user: MailUser, *, password_command: bool = True) -> None:
    add_account(
        home,
        Account(
            name="work",
            email=f"{user.name}@example.org",
            imap_host="127.0.0.1",
            imap_port=user.server.imap_port,
            imap_security="none",
            username=user.name,
            password_command=f"echo {user.password}" if password_command else "",
        ),
    )


async def until(pilot, check: Callable[[], bool], seconds: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")


class Recorder:
    """Every FoldersLoaded, FolderFilling and FolderOpened message, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int]] = []  # (kind, folder, rows in its index)
        self._seen: list[Message] = []  # a message is seen again as it bubbles up

    def __call__(self, message: Message) -> None:
        if any(message is seen for seen in self._seen):
            return
        self._seen.append(message)
        if isinstance(message, m.FolderFilling | m.FolderOpened):
            self.events.append((type(message).__name__, message.folder, len(message.index)))
        elif isinstance(message, m.FoldersLoaded):
            self.events.append(("FoldersLoaded", "", 0))

    def kinds(self) -> list[str]:
        return [kind for kind, *_ in self.events]


async def test_cold_inbox_shows_its_newest_rows_first_then_fills(
    home: Home,
    mail_user: MailUser,  # noqa: F811
) -> None:
    mail_user.server.write_maildir(mail_user.name, generate(COUNT))
    add_imap_account(home, mail_user)
    app = build_app(home)
    assert isinstance(app, SmimeTuiApp)
    record = Recorder()
    async with app.run_test(size=SIZE, message_hook=record) as pilot:
        lst = app.screen.query_one(MessageList)
        await until(pilot, lambda: "FoldersLoaded" in record.kinds())
        await until(pilot, lambda: len(lst.index) == COUNT)
        kinds = record.kinds()
        first = kinds.index("FolderFilling")
        assert first < kinds.index("FolderOpened")
        _kind, folder, rows = record.events[first]
        assert folder == "INBOX" and FIRST_BATCH <= rows < COUNT  # shown before the rest came
        # INBOX first, then the folder list
        assert kinds.index("FoldersLoaded") > first
        # the newest message is on top, highlighted
        backend = app.session.backend if app.session else None
        assert backend is not None
        full = backend.cached_index("INBOX")
        assert full is not None
        assert lst.current_uid == full.uid_at(0)


async def test_inbox_is_opened_before_the_folder_list(home: Home, mail_user: MailUser) -> None:  # noqa: F811
    mail_user.server.write_maildir(mail_user.name, generate(5))
    add_imap_account(home, mail_user)
    app = build_app(home)
    assert isinstance(app, SmimeTuiApp)
    record = Recorder()
    async with app.run_test(size=SIZE, message_hook=record) as pilot:
        await until(pilot, lambda: "FoldersLoaded" in record.kinds())
        kinds = record.kinds()
        assert "FolderOpened" in kinds and kinds.index("FolderOpened") < kinds.index(
            "FoldersLoaded"
        )
        tree = app.screen.query_one("#folders")
        assert "Sent" in {f.display for f in tree.folders.values()}  # type: ignore[attr-defined]


async def test_early_opening_is_taken_over_by_the_app(home: Home, mail_user: MailUser) -> None:  # noqa: F811
    mail_user.server.write_maildir(mail_user.name, generate(7))
    add_imap_account(home, mail_user)
    app = build_app(home, open_early=True)
    assert isinstance(app, SmimeTuiApp) and app.session is not None
    backend = app.session.backend
    # Before the app runs at all, the INBOX is being opened: logged in, syncing.
    for _ in range(600):
        if getattr(backend, "connects", 0):
            break
        time.sleep(0.05)
    assert getattr(backend, "connects", 0) == 1
    opening = app.session._opening  # the early opening, before the app runs
    assert opening is not None and opening.folder == "INBOX"
    async with app.run_test(size=SIZE) as pilot:
        lst = app.screen.query_one(MessageList)
        await until(pilot, lambda: len(lst.index) == 7)
        assert app.session._opening is None  # taken over by the app's worker
        assert getattr(backend, "connects", 0) == 1


async def test_early_opening_asks_for_the_password_in_the_app(
    home: Home,
    mail_user: MailUser,  # noqa: F811
) -> None:
    mail_user.server.write_maildir(mail_user.name, generate(3))
    add_imap_account(home, mail_user, password_command=False)  # no keyring either (conftest)
    app = build_app(home, open_early=True)
    assert isinstance(app, SmimeTuiApp)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, PassphraseScreen))
        await pilot.press(*mail_user.password, "enter")
        lst = app.screen.query_one(MessageList)
        await until(pilot, lambda: len(lst.index) == 3)


async def test_a_cached_inbox_is_shown_before_it_is_brought_up_to_date(
    home: Home,
    mail_user: MailUser,  # noqa: F811
) -> None:
    mail_user.server.write_maildir(mail_user.name, generate(9))
    add_imap_account(home, mail_user)
    first = build_app(home)
    assert isinstance(first, SmimeTuiApp)
    synced = Recorder()
    async with first.run_test(size=SIZE, message_hook=synced) as pilot:  # fills the cache
        await until(pilot, lambda: "FolderOpened" in synced.kinds())
    other = mail_user.backend()
    try:
        other.append("INBOX", generate(10)[9])  # one more, while the app was not running
    finally:
        other.close()
    again = build_app(home)
    assert isinstance(again, SmimeTuiApp)
    record = Recorder()
    async with again.run_test(size=SIZE, message_hook=record) as pilot:
        lst = again.screen.query_one(MessageList)
        await until(pilot, lambda: len(lst.index) == 10)
        inbox = [(kind, rows) for kind, folder, rows in record.events if folder == "INBOX"]
        # the 9 cached rows at once, then the folder as the server has it now
        assert inbox[:2] == [("FolderFilling", 9), ("FolderOpened", 10)], record.events
        # the cursor was on the newest cached row: it follows to the newest message
        assert lst.cursor == 0 and lst.index.summary(0).subject.endswith("#9")
