"""Mailbox component: the security badge of each visible row.

Rows get the verdict of a report already in the session's cache at once; the rest are verified
in a worker 0.2 s after the list stops moving (``SecurityInspected`` for each), newest view
first.  A row that fails keeps its hint badge: opening it says why.
"""

from __future__ import annotations

from functools import partial

from textual.screen import Screen
from textual.timer import Timer
from textual.worker import get_current_worker

from smimetui.core.mail.base import SecurityHint
from smimetui.core.read.report import SecurityReport
from smimetui.core.session.mail_session import MailSession
from smimetui.tui import messages as m
from smimetui.tui.screens.mailbox_state import MailboxState
from smimetui.tui.verdict import verdict_for
from smimetui.tui.widgets.message_list import MessageList
from smimetui.tui.worker_errors import in_thread

VERIFY_DELAY = 0.2  # seconds after the list last moved


class RowBadges:
    def __init__(self, screen: Screen[None], session: MailSession, state: MailboxState) -> None:
        self._screen = screen
        self._session = session
        self._state = state
        self._timer: Timer | None = None

    @property
    def _list(self) -> MessageList:
        return self._screen.query_one(MessageList)

    def show(self, uid: int, report: SecurityReport) -> None:
        self._list.set_badge(uid, verdict_for(report).badge)

    def apply_cached(self) -> None:
        lst = self._list
        for position in lst.visible_positions():
            uid = lst.index.uid_at(position)
            cached = self._session.reports.get(self._state.folder or "", uid)
            if cached is not None:
                lst.set_badge(uid, verdict_for(cached).badge)

    def forget_all(self) -> None:
        """Trust changed: every verdict may have, so the rows are verified again."""
        self._list.badges = {}
        self._list.clear_cache()

    def schedule(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._screen.set_timer(VERIFY_DELAY, self._verify_visible)

    def inspected(self, message: m.SecurityInspected) -> None:
        if message.folder == self._state.folder:
            self.show(message.uid, message.report)

    def _verify_visible(self) -> None:
        lst = self._list
        rows: list[tuple[int, SecurityHint]] = []
        for position in lst.visible_positions():
            summary = lst.index.summary(position)
            if summary.uid not in lst.badges:
                rows.append((summary.uid, summary.security))
        folder = self._state.folder
        if rows and folder:
            work = partial(self._verify_rows, folder, rows)
            in_thread(self._screen, work, group="verify", description="verify visible rows")

    def _verify_rows(self, folder: str, rows: list[tuple[int, SecurityHint]]) -> None:
        worker = get_current_worker()
        for uid, hint in rows:
            if worker.is_cancelled:
                return
            try:
                report = self._session.verify_for_badge(folder, uid, hint)
            except Exception:  # a broken row keeps its hint badge; opening it says why
                continue
            if report is not None:
                self._screen.post_message(m.SecurityInspected(folder, uid, report))
