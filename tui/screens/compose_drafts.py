"""Compose component: drafts saved 30 seconds after a change and on leaving, so nothing
written is lost.

Edits are counted; a save remembers the count it stored, so typing while a save runs keeps the
form dirty.  Saves run one at a time (a lock) so each replaces the draft the previous one wrote.
Leaving with unsaved changes saves first and closes only once the draft is stored; if saving
fails the screen stays open with the error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from smimetui.core.write.drafts import discard_draft, save_draft
from smimetui.core.write.form import OutgoingMail
from smimetui.core.write.send import Writer
from smimetui.tui import messages as m
from smimetui.tui.worker_errors import in_thread

AUTOSAVE_SECONDS = 30.0


class DraftAutosave:
    """``read_form`` is the form as it stands; ``draft_uid`` the stored draft it continues."""

    def __init__(
        self,
        screen: Screen[None],
        writer: Writer,
        read_form: Callable[[], OutgoingMail],
        draft_uid: int | None,
    ) -> None:
        self._screen = screen
        self._writer = writer
        self._read_form = read_form
        self.draft_uid = draft_uid  # the stored draft this form replaces when saved again
        self.edits = 0
        self.saved_edits = 0
        self._timer: Timer | None = None
        self._lock = threading.Lock()
        self._leaving = False  # a save-and-close is running
        self.clear_draft_ok = False  # the user agreed to store this reply's draft unencrypted

    @property
    def dirty(self) -> bool:
        return self.edits != self.saved_edits

    def mark_dirty(self) -> None:
        self.edits += 1
        if self._timer is None:
            self._timer = self._screen.set_timer(AUTOSAVE_SECONDS, self.autosave_now)

    def mark_sent(self) -> None:
        """Sent: nothing is left to save on leaving."""
        self.saved_edits = self.edits

    def _needs_consent(self, mail: OutgoingMail) -> bool:
        """A reply to (or draft of) encrypted mail with encryption off: storing the decrypted
        quote in the clear needs a yes, as sending it does."""
        return mail.reply_to_encrypted and not mail.encrypt and not self.clear_draft_ok

    def autosave_now(self) -> None:
        self._timer = None
        if self.dirty:
            mail = self._read_form()
            # No question in the middle of typing: until the user says yes, it is kept encrypted.
            protect = mail.encrypt or self._needs_consent(mail)
            self._save(mail, self.edits, close=False, encrypt=protect)

    def close_saving(self) -> None:
        """Leave: save unsaved changes first (the screen closes once the draft is stored)."""
        if self._leaving:
            return
        if not self.dirty:
            self._screen.dismiss(None)
            return
        mail = self._read_form()
        if self._needs_consent(mail):
            self._ask_clear_draft()
            return
        self._leaving = True
        self._save(mail, self.edits, close=True, encrypt=mail.encrypt)

    def _ask_clear_draft(self) -> None:
        from smimetui.tui.screens.confirm import ConfirmScreen

        question = (
            "You are answering an encrypted message with encryption off: the draft (and "
            "anything quoted in it) would be stored in Drafts readable by anyone with access "
            "to it. Save it unencrypted? (ctrl+t turns encryption on: it is then saved "
            "encrypted to yourself.)"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.clear_draft_ok = True
                self.close_saving()
            else:
                notify = self._screen.notify
                notify("Not saved; the message is still open.", title="Draft", markup=False)

        dialog = ConfirmScreen("Save the draft unencrypted?", question, yes="Save unencrypted")
        self._screen.app.push_screen(dialog, answered)

    def _save(self, mail: OutgoingMail, edits: int, *, close: bool, encrypt: bool) -> None:
        work = partial(self._save_in_thread, mail, edits, close, encrypt)
        in_thread(self._screen, work, group="draft", description="save draft", exclusive=False)

    def _save_in_thread(self, mail: OutgoingMail, edits: int, close: bool, encrypt: bool) -> None:
        with self._lock:
            folder, uid = save_draft(self._writer, mail, self.draft_uid, encrypt=encrypt)
            self.draft_uid = uid
        self._screen.post_message(m.DraftSaved(folder, encrypt, edits, close))

    def worker_ended(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "draft" and event.state is WorkerState.ERROR:
            self._leaving = False  # the save failed: the form stays open (the error is shown)

    def saved(self, message: m.DraftSaved) -> None:
        self.saved_edits = max(self.saved_edits, message.edits)
        how = "encrypted to yourself" if message.encrypted else "not encrypted"
        if message.close:
            text = f"Saved in {message.folder} ({how}); open it there to go on writing."
            self._screen.app.notify(text, title="Draft saved", markup=False)
            self._screen.dismiss(None)
        else:
            text = f"Draft saved in {message.folder} ({how})."
            self._screen.notify(text, title="Draft", markup=False)

    def discard_saved(self) -> None:
        """The message was sent: its draft goes (blocking: call from the send worker)."""
        with self._lock:
            if self.draft_uid is not None:
                discard_draft(self._writer, self.draft_uid)
                self.draft_uid = None
