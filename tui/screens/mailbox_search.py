"""Mailbox: ``/`` searches the folder (in a worker), ``n`` and ``N`` move between matches."""

from __future__ import annotations

from textual import on
from textual.widgets import Input

from smimetui.tui import messages as m
from smimetui.tui.screens.mailbox_workers import MailboxWorkers
from smimetui.tui.widgets.message_list import MessageList


class MailboxSearch(MailboxWorkers):
    """Mixin for the mailbox screen; ``matches`` are uids, newest first."""

    folder: str | None

    def _init_search(self) -> None:
        self.matches: list[int] = []  # uids of the last search, newest first
        self.match_at = 0

    def action_search(self) -> None:
        search = self.query_one("#search-input", Input)
        search.display = True
        search.focus()

    @on(Input.Submitted, "#search-input")
    def search_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.query_one(MessageList).focus()
        if event.value.strip() and self.folder:
            self.run_search(self.folder, event.value.strip())

    def on_search_finished(self, message: m.SearchFinished) -> None:
        lst = self.query_one(MessageList)
        self.matches = [u for u in message.uids if lst.index.position_of(u) is not None]
        self.match_at = 0
        self.refresh_bindings()
        if not self.matches:
            self.notify(
                f"Nothing in this folder matches {message.text!r}.", title="Search", markup=False
            )
            return
        lst.cursor = lst.index.position_of(self.matches[0]) or 0
        self.notify(
            f"{len(self.matches)} message(s) match; n and N move between them.",
            title="Search",
            markup=False,
        )

    def _jump_match(self, step: int) -> None:
        if not self.matches:
            return
        self.match_at = (self.match_at + step) % len(self.matches)
        lst = self.query_one(MessageList)
        position = lst.index.position_of(self.matches[self.match_at])
        if position is not None:
            lst.cursor = position
            lst.focus()

    def action_next_match(self) -> None:
        self._jump_match(1)

    def action_previous_match(self) -> None:
        self._jump_match(-1)
