"""Mailbox component: ``/`` searches the folder (in a worker), ``n`` and ``N`` move between
matches.  It owns the search bar (``#search-input``), the matches and the search worker."""

from __future__ import annotations

from functools import partial

from textual.screen import Screen
from textual.widgets import Input

from smimetui.core.session.mail_session import MailSession
from smimetui.tui import messages as m
from smimetui.tui.screens.mailbox_state import MailboxState
from smimetui.tui.widgets.message_list import MessageList
from smimetui.tui.worker_errors import in_thread


class FolderSearch:
    def __init__(self, screen: Screen[None], session: MailSession, state: MailboxState) -> None:
        self._screen = screen
        self._session = session
        self._state = state
        self.matches: list[int] = []  # uids of the last search, newest first
        self.match_at = 0

    def clear(self) -> None:
        """Another folder: the matches were uids of the last one."""
        self.matches = []

    def start(self) -> None:
        search = self._screen.query_one("#search-input", Input)
        search.display = True
        search.focus()

    def submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self._screen.query_one(MessageList).focus()
        text, folder = event.value.strip(), self._state.folder
        if text and folder:
            work = partial(self._search, folder, text)
            in_thread(self._screen, work, group="search", description="search")

    def _search(self, folder: str, text: str) -> None:
        uids = self._session.search(folder, text)
        self._screen.post_message(m.SearchFinished(folder, text, uids))

    def finished(self, message: m.SearchFinished) -> None:
        screen = self._screen
        lst = screen.query_one(MessageList)
        self.matches = [u for u in message.uids if lst.index.position_of(u) is not None]
        self.match_at = 0
        screen.refresh_bindings()
        if not self.matches:
            screen.notify(
                f"Nothing in this folder matches {message.text!r}.", title="Search", markup=False
            )
            return
        lst.cursor = lst.index.position_of(self.matches[0]) or 0
        screen.notify(
            f"{len(self.matches)} message(s) match; n and N move between them.",
            title="Search",
            markup=False,
        )

    def jump(self, step: int) -> None:
        """``step`` 1 is the next match (n), -1 the previous (N)."""
        if not self.matches:
            return
        self.match_at = (self.match_at + step) % len(self.matches)
        lst = self._screen.query_one(MessageList)
        position = lst.index.position_of(self.matches[self.match_at])
        if position is not None:
            lst.cursor = position
            lst.focus()
