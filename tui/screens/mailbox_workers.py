"""Mailbox: every blocking call (backend, crypto, contacts) as a thread worker.

Workers never touch widgets: each reports back with a message from ``tui/messages.py`` that the
mailbox screen handles.  Failures end in the one handler (``WorkerErrors``).
"""

from __future__ import annotations

import threading

from textual import work
from textual.screen import Screen

from smimetui.core.errors import KeyUnlockError, NoTrashError, SmimeTuiError
from smimetui.core.pki.contacts import CertificateChange
from smimetui.core.read.certificate_import import ImportOutcome
from smimetui.core.read.harvest import learn_from_message, signer_record
from smimetui.core.read.report import Attachment, EncryptionStatus, SecurityReport
from smimetui.core.sanitize import clean_line
from smimetui.core.session.mail_session import MailSession
from smimetui.tui import messages as m

FIRST_ROWS_WAIT = 1.0  # seconds a cold sync waits for its first rows to be drawn


class MailboxWorkers(Screen[None]):
    """Mixin for the mailbox screen: its workers and the state they read."""

    session: MailSession
    threading: bool

    def _confirm_replacement(self, report: SecurityReport, outcome: ImportOutcome) -> None:
        raise NotImplementedError

    def _confirm_delete_for_good(self, folder: str, uids: tuple[int, ...], why: str) -> None:
        raise NotImplementedError

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="folders",
        description="list folders",
    )
    def load_folders(self) -> None:
        self.post_message(m.FoldersLoaded(self.session.list_folders()))

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="folder", description="open folder"
    )
    def open_folder(self, folder: str, show_cached: bool = False) -> None:
        """``show_cached``: the list does not show ``folder`` yet, so what the cache holds goes
        to it at once (no network), before the folder is brought up to date."""
        shown: list[threading.Event] = []
        cached = self.session.cached_index(folder) if show_cached and not self.threading else None
        if cached is not None and len(cached):
            self.post_message(m.FolderFilling(folder, cached))

        def progress(done: int, total: int) -> None:
            # Called between batches by the syncing thread: the rows so far go to the list
            # at once (coalesced), so a cold folder shows its newest rows after one batch; the
            # sync goes on once the first rows are on screen (or after FIRST_ROWS_WAIT).
            filling = None if self.threading else self.session.filling_index(folder)
            if filling is not None:
                first = not shown
                shown.append(threading.Event())
                self.post_message(m.FolderFilling(folder, filling, shown[-1] if first else None))
                if first:
                    shown[0].wait(FIRST_ROWS_WAIT)
            self.post_message(m.FolderProgressed(folder, done, total))

        index = self.session.open_folder(folder, progress)
        if self.threading:
            from smimetui.core.mail.thread_index import thread_index

            index = thread_index(index)
        self.post_message(m.FolderOpened(folder, index))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="message",
        description="open message",
    )
    def load_message(self, folder: str, uid: int) -> None:
        raw, report = self.session.open_message(folder, uid)
        home = self.session.home
        try:
            # Reading a good signed message from a known contact teaches their capabilities
            # and encryption preference (RFC 8551 §2.5): the one explicit call that writes.
            learnt = learn_from_message(home, report)
            signer = signer_record(home, report, learnt=learnt)
        except SmimeTuiError:  # a damaged address book must not hide the message
            signer = None
        self.post_message(m.MessageLoaded(folder, uid, raw, report, signer))

    @work(thread=True, exit_on_error=False, group="flags", description="set flags")
    def store_flags(
        self, folder: str, uids: tuple[int, ...], add: list[str], remove: list[str]
    ) -> None:
        """Seen / Flagged on the server (the list already shows the change)."""
        self.session.set_flags(folder, uids, add=add, remove=remove)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="verify",
        description="verify visible rows",
    )
    def verify_rows(self, folder: str, rows: list[tuple[int, object]]) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        for uid, hint in rows:
            if worker.is_cancelled:
                return
            try:
                report = self.session.verify_for_badge(folder, uid, hint)  # type: ignore[arg-type]
            except Exception:  # a broken row keeps its hint badge; opening it says why
                continue
            if report is not None:
                self.post_message(m.SecurityInspected(folder, uid, report))

    @work(thread=True, exclusive=True, exit_on_error=False, group="change", description="move")
    def move_messages(
        self,
        folder: str,
        uids: tuple[int, ...],
        dest: str | None,
        label: str,
        permanently: bool = False,
    ) -> None:
        """Move to ``dest``; None deletes (to Trash, or for good: in Trash, or ``permanently``
        after the user said yes because there is no Trash folder)."""
        for_good = False
        if dest is None:
            try:
                trash = self.session.delete(folder, uids, permanently=permanently)
            except NoTrashError as exc:
                self.app.call_from_thread(self._confirm_delete_for_good, folder, uids, exc.message)
                return
            label, for_good = clean_line(trash or ""), trash is None
        else:
            self.session.move(folder, uids, dest)  # their reports are forgotten too
        self.post_message(m.MessagesMoved(folder, uids, label, for_good))

    @work(thread=True, exclusive=True, exit_on_error=False, group="search", description="search")
    def run_search(self, folder: str, text: str) -> None:
        self.post_message(m.SearchFinished(folder, text, self.session.search(folder, text)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="certs", description="trust root")
    def trust_root(self, report: SecurityReport) -> None:
        sig = report.signature
        assert sig is not None and sig.chain_path
        self.post_message(m.RootTrusted(self.session.trust_root(sig.chain_path[-1].cert)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="certs", description="import")
    def import_certificate(self, report: SecurityReport) -> None:
        from smimetui.core.read.certificate_import import import_sender_certificate

        outcome = import_sender_certificate(self.session.home, report)
        if outcome.needs_confirmation:
            self.app.call_from_thread(self._confirm_replacement, report, outcome)
            return
        self.post_message(m.CertificateImported(outcome.summary))

    @work(thread=True, exclusive=True, exit_on_error=False, group="certs", description="replace")
    def resolve_change(
        self, report: SecurityReport, change: CertificateChange, accept: bool
    ) -> None:
        from smimetui.core.read.certificate_import import resolve_change

        summary = resolve_change(self.session.home, report, change, accept)
        self.post_message(m.CertificateImported(summary))

    @work(thread=True, exclusive=True, exit_on_error=False, group="attachments", description="save")
    def save_attachments(self, attachments: tuple[Attachment, ...]) -> None:
        from smimetui.tui.attachments import save_all

        saved = save_all(attachments)  # one that fails: an error naming it, the rest saved
        self.post_message(m.CertificateImported(saved.summary))

    @work(thread=True, exclusive=True, exit_on_error=False, group="message", description="draft")
    def open_draft(self, folder: str, uid: int) -> None:
        """Read a stored draft back (decrypting it asks for the passphrase) to edit it."""
        _raw, report = self.session.open_message(folder, uid)
        enc = report.encryption
        if enc is not None and enc.status is not EncryptionStatus.DECRYPTED:
            # An empty form saved again would replace (destroy) the draft: do not open it.
            why = (
                "your digital ID stayed locked; press Enter on it again to be asked for the "
                "passphrase"
                if enc.status is EncryptionStatus.LOCKED
                else (enc.problems[0].rstrip(".") if enc.problems else "it cannot be decrypted")
            )
            raise KeyUnlockError(f"The draft was not opened: {why}.", title="Draft locked")
        self.post_message(m.DraftOpened(folder, uid, report))
