"""Compose component: the live line saying, for each recipient, whether a certificate is
available (``#compose-recipients``).

The check runs in a worker 0.4 s after the last change to To/Cc/Bcc; a generation number drops
answers that arrive after a newer change.  ``missing`` is what the directory lookup asks about;
the screen passes its findings to ``show`` as extra lines.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from smimetui.core.write.recipient_check import recipient_lines
from smimetui.core.write.send import Writer
from smimetui.tui import messages as m
from smimetui.tui.worker_errors import in_thread

CHECK_DELAY = 0.4  # seconds after the last keystroke in To/Cc/Bcc


class RecipientCertificates:
    """``recipients`` reads the addresses in To, Cc and Bcc from the form."""

    def __init__(
        self, screen: Screen[None], writer: Writer, recipients: Callable[[], list[str]]
    ) -> None:
        self._screen = screen
        self._writer = writer
        self._recipients = recipients
        self.generation = 0
        self._timer: Timer | None = None
        self.missing: tuple[str, ...] = ()  # recipients without a usable certificate
        self._cert_text = ""

    def schedule(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._screen.set_timer(CHECK_DELAY, self._check)

    def _check(self) -> None:
        self.generation += 1
        work = partial(self._check_in_thread, self._recipients(), self.generation)
        in_thread(self._screen, work, group="recipients", description="check")

    def _check_in_thread(self, addresses: list[str], generation: int) -> None:
        lines = recipient_lines(self._writer, addresses) if addresses else []
        missing = tuple(ln.address for ln in lines if not ln.ok)
        texts = tuple((ln.text, ln.ok) for ln in lines)
        self._screen.post_message(m.RecipientsChecked(texts, generation, missing))

    def checked(self, message: m.RecipientsChecked) -> bool:
        """Take the newest check's answer; True when it has recipients to show (``show``)."""
        if message.generation != self.generation:
            return False
        widget = self._screen.query_one("#compose-recipients", Static)
        self.missing = message.missing
        if not message.lines:
            self._cert_text = ""
            widget.update("Certificates: add recipients to see who can receive encrypted mail.")
            widget.remove_class("-missing")
            return False
        self._cert_text = "Certificates: " + "   ".join(text for text, _ in message.lines)
        widget.set_class(not all(ok for _, ok in message.lines), "-missing")
        return True

    def show(self, extra: list[str]) -> None:
        """The certificate line, and ``extra`` lines under it (directory findings)."""
        lines = [self._cert_text, *extra]
        self._screen.query_one("#compose-recipients", Static).update(Content("\n".join(lines)))
        self._screen.refresh_bindings()
