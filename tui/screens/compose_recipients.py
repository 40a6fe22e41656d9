"""Compose: the live line saying, for each recipient, whether a certificate is available.

The check runs in a worker 0.4 s after the last change to To/Cc/Bcc; a generation number drops
answers that arrive after a newer change.  ``DirectoryLookup`` builds on this to ask the
certificate directories about recipients without one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from smimetui.core.session.mail_session import MailSession
from smimetui.core.write.form import OutgoingMail
from smimetui.core.write.recipient_check import recipient_lines
from smimetui.core.write.send import Writer
from smimetui.tui import messages as m

if TYPE_CHECKING:
    from smimetui.core.directory.lookup import Found

CHECK_DELAY = 0.4  # seconds after the last keystroke in To/Cc/Bcc


class RecipientCertificates(Screen[None]):
    """Mixin for the compose screen; needs ``session``, ``writer``, ``mail`` and ``_read_form``."""

    session: MailSession
    writer: Writer
    mail: OutgoingMail

    def _init_recipients(self) -> None:
        self.generation = 0
        self._check_timer: Timer | None = None
        self.missing: tuple[str, ...] = ()  # recipients without a usable certificate
        self.directory_found: dict[str, list[Found]] = {}  # lower-case address -> found
        self._cert_text = ""

    def _read_form(self) -> OutgoingMail:
        raise NotImplementedError

    def _schedule_check(self) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(CHECK_DELAY, self._check_recipients)

    def _check_recipients(self) -> None:
        self.mail = self._read_form()
        self.generation += 1
        self.check_recipients(self.mail.recipients, self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="recipients", description="check")
    def check_recipients(self, addresses: list[str], generation: int) -> None:
        lines = recipient_lines(self.writer, addresses) if addresses else []
        missing = tuple(ln.address for ln in lines if not ln.ok)
        texts = tuple((ln.text, ln.ok) for ln in lines)
        self.post_message(m.RecipientsChecked(texts, generation, missing))

    def on_recipients_checked(self, message: m.RecipientsChecked) -> None:
        if message.generation != self.generation:
            return
        widget = self.query_one("#compose-recipients", Static)
        self.missing = message.missing
        if not message.lines:
            self._cert_text = ""
            widget.update("Certificates: add recipients to see who can receive encrypted mail.")
            widget.remove_class("-missing")
            return
        self._cert_text = "Certificates: " + "   ".join(text for text, _ in message.lines)
        widget.set_class(not all(ok for _, ok in message.lines), "-missing")
        self._show_certificates()
        self._recipients_missing(list(self.missing))

    def _recipients_missing(self, addresses: list[str]) -> None:
        """Called after each check with the recipients that have no usable certificate."""

    def _directory_lines(self) -> list[str]:
        """Extra lines under the certificate line (directory findings)."""
        return []

    def _show_certificates(self) -> None:
        lines = [self._cert_text, *self._directory_lines()]
        self.query_one("#compose-recipients", Static).update(Content("\n".join(lines)))
        self.refresh_bindings()
