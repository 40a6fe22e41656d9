"""Compose: drafts saved 30 seconds after a change and on leaving, so nothing written is lost.

Edits are counted; a save remembers the count it stored, so typing while a save runs keeps the
form dirty.  Saves run one at a time (a lock) so each replaces the draft the previous one wrote.
Leaving with unsaved changes saves first and closes only once the draft is stored; if saving
fails the screen stays open with the error.
"""

from __future__ import annotations

import threading

from textual import work
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from smimetui.core.write.drafts import discard_draft, save_draft
from smimetui.core.write.form import OutgoingMail
from smimetui.core.write.send import Writer
from smimetui.tui import messages as m

AUTOSAVE_SECONDS = 30.0


class DraftAutosave(Screen[None]):
    """Mixin for the compose screen; needs ``writer`` and ``_read_form``."""

    writer: Writer

    def _init_drafts(self, draft_uid: int | None) -> None:
        self.draft_uid = draft_uid  # the stored draft this form replaces when saved again
        self.edits = 0
        self.saved_edits = 0
        self._autosave: Timer | None = None
        self._draft_lock = threading.Lock()
        self._leaving = False  # a save-and-close is running
        self.clear_draft_ok = False  # the user agreed to store this reply's draft unencrypted

    def _read_form(self) -> OutgoingMail:
        raise NotImplementedError

    @property
    def dirty(self) -> bool:
        return self.edits != self.saved_edits

    def mark_dirty(self) -> None:
        self.edits += 1
        if self._autosave is None:
            self._autosave = self.set_timer(AUTOSAVE_SECONDS, self._autosave_now)

    def _needs_consent(self, mail: OutgoingMail) -> bool:
        """A reply to (or draft of) encrypted mail with encryption off: storing the decrypted
        quote in the clear needs a yes, as sending it does."""
        return mail.reply_to_encrypted and not mail.encrypt and not self.clear_draft_ok

    def _autosave_now(self) -> None:
        self._autosave = None
        if self.dirty:
            mail = self._read_form()
            # No question in the middle of typing: until the user says yes, it is kept encrypted.
            protect = mail.encrypt or self._needs_consent(mail)
            self._save_draft(mail, self.edits, close=False, encrypt=protect)

    def close_saving(self) -> None:
        """Leave: save unsaved changes first (the screen closes once the draft is stored)."""
        if self._leaving:
            return
        if not self.dirty:
            self.dismiss(None)
            return
        mail = self._read_form()
        if self._needs_consent(mail):
            self._ask_clear_draft(mail)
            return
        self._leaving = True
        self._save_draft(mail, self.edits, close=True, encrypt=mail.encrypt)

    def _ask_clear_draft(self, mail: OutgoingMail) -> None:
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
                self.notify("Not saved; the message is still open.", title="Draft", markup=False)

        dialog = ConfirmScreen("Save the draft unencrypted?", question, yes="Save unencrypted")
        self.app.push_screen(dialog, answered)

    @work(thread=True, exit_on_error=False, group="draft", description="save draft")
    def _save_draft(self, mail: OutgoingMail, edits: int, *, close: bool, encrypt: bool) -> None:
        with self._draft_lock:
            folder, uid = save_draft(self.writer, mail, self.draft_uid, encrypt=encrypt)
            self.draft_uid = uid
        self.post_message(m.DraftSaved(folder, encrypt, edits, close))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "draft" and event.state is WorkerState.ERROR:
            self._leaving = False  # the save failed: the form stays open (the error is shown)

    def on_draft_saved(self, message: m.DraftSaved) -> None:
        self.saved_edits = max(self.saved_edits, message.edits)
        how = "encrypted to yourself" if message.encrypted else "not encrypted"
        if message.close:
            text = f"Saved in {message.folder} ({how}); open it there to go on writing."
            self.app.notify(text, title="Draft saved", markup=False)
            self.dismiss(None)
        else:
            text = f"Draft saved in {message.folder} ({how})."
            self.notify(text, title="Draft", markup=False)

    def discard_saved_draft(self) -> None:
        """The message was sent: its draft goes (blocking: call from the send worker)."""
        with self._draft_lock:
            if self.draft_uid is not None:
                discard_draft(self.writer, self.draft_uid)
                self.draft_uid = None
