"""Mailbox: actions on the open message or the highlighted row.

Deleting and moving, the sender's certificate (view, import with ``ctrl+k``, replace after a
second yes), trusting a root after showing its fingerprint, saving attachments, contacts.
"""

from __future__ import annotations

from pathlib import Path

from smimetui.core.mail.base import Folder
from smimetui.core.read.certificate_import import ImportOutcome
from smimetui.core.read.report import Attachment, SecurityReport
from smimetui.tui import messages as m
from smimetui.tui.screens.certificate import CertificateScreen, fingerprint
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.screens.mailbox_workers import MailboxWorkers
from smimetui.tui.screens.move import MoveScreen
from smimetui.tui.widgets.folder_tree import FolderTree
from smimetui.tui.widgets.message_list import MessageList


class MessageActions(MailboxWorkers):
    """Mixin for the mailbox screen; ``report`` is the open message's, if any."""

    folder: str | None
    report: SecurityReport | None
    report_uid: int | None

    def on_messages_moved(self, message: m.MessagesMoved) -> None:
        count = len(message.uids)
        if message.for_good:
            self.notify(f"Deleted {count} message(s) for good.", title="Deleted", markup=False)
        else:
            self.notify(f"Moved {count} message(s) to {message.dest}.", title="Moved", markup=False)
        if self.folder == message.folder:
            self.report = None
            self.open_folder(message.folder)
        self.load_folders()

    def action_delete(self) -> None:
        uid = self.query_one(MessageList).current_uid
        if uid is not None and self.folder is not None:
            self.move_messages(self.folder, (uid,), None, "Trash")

    def _confirm_delete_for_good(self, folder: str, uids: tuple[int, ...], why: str) -> None:
        """No Trash folder to move to: delete for good only after an explicit yes."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.move_messages(folder, uids, None, "", permanently=True)

        question = f"Delete {len(uids)} message(s) for good? This cannot be undone."
        dialog = ConfirmScreen("No Trash folder", question, why, yes="Delete for good")
        self.app.push_screen(dialog, answered)

    def action_move(self) -> None:
        uid = self.query_one(MessageList).current_uid
        folder = self.folder
        if uid is None or folder is None:
            return
        names = [f for f in self.query_one(FolderTree).folders.values() if f.name != folder]

        def chosen(dest: Folder | None) -> None:
            if dest is not None:
                self.move_messages(folder, (uid,), dest.name, dest.display)

        self.app.push_screen(MoveScreen(names), chosen)

    def action_contacts(self) -> None:
        from smimetui.tui.screens.contacts import ContactsScreen

        self.app.push_screen(ContactsScreen(self.session.home))

    def on_certificate_imported(self, message: m.CertificateImported) -> None:
        self.notify(message.summary, title="Stored", markup=False)
        if self.folder and self.report_uid is not None:
            self.load_message(self.folder, self.report_uid)  # the pane shows the new contact

    def on_root_trusted(self, message: m.RootTrusted) -> None:
        self.notify(message.summary, title="Root trusted", markup=False)
        self.query_one(MessageList).badges = {}
        self.query_one(MessageList).clear_cache()
        if self.folder and self.report_uid is not None:
            self.load_message(self.folder, self.report_uid)

    def action_view_certificate(self) -> None:
        sig = self.report.signature if self.report else None
        cert = sig.signer if sig else None
        if cert is None and self.report and self.report.certificates:
            cert = self.report.certificates[0]
        if cert is None:
            self.notify("This message carries no certificate.", title="No certificate")
            return
        self.app.push_screen(CertificateScreen(cert, sig.chain_path if sig else ()))

    def action_import_certificate(self) -> None:
        if self.report is None:
            return
        from smimetui.core.read.certificate_import import describe_import, why_not_importable

        report = self.report
        reason = why_not_importable(report)
        if reason is not None:
            self.notify(reason, title="Cannot import", severity="warning", markup=False)
            return
        title, question, details = describe_import(report)

        def answered(yes: bool | None) -> None:
            if yes:
                self.import_certificate(report)

        self.app.push_screen(ConfirmScreen(title, question, details, yes="Import"), answered)

    def _confirm_replacement(self, report: SecurityReport, outcome: ImportOutcome) -> None:
        def answered(yes: bool | None) -> None:
            self.resolve_change(report, outcome.change, bool(yes))

        dialog = ConfirmScreen("Replace certificate?", outcome.question, outcome.details, "Replace")
        self.app.push_screen(dialog, answered)

    def action_trust_root(self) -> None:
        from smimetui.core.read.certificate_import import why_not_trustable

        report = self.report
        sig = report.signature if report else None
        if report is None:
            return
        reason = why_not_trustable(report)
        if reason is not None or sig is None:
            self.notify(reason or "", title="Nothing to trust", severity="warning", markup=False)
            return
        root = sig.chain_path[-1].cert
        question = (
            f"Trust {root.display_name} as a root for all mail? Only do this after checking "
            "the fingerprint with its owner (phone, in person)."
        )
        details = f"SHA-256 {fingerprint(root.sha256)}"

        def answered(yes: bool | None) -> None:
            if yes:
                self.trust_root(report)

        self.app.push_screen(
            ConfirmScreen("Trust this root?", question, details, yes="Trust"), answered
        )

    def action_save_attachments(self) -> None:
        if self.report is None or not self.report.attachments:
            return
        from smimetui.tui.screens.attachments import SaveAttachmentsScreen

        def chosen(items: tuple[Attachment, ...] | None) -> None:
            if items:
                self.save_attachments(items)

        self.app.push_screen(SaveAttachmentsScreen(self.report.attachments), chosen)

    def downloads_dir(self) -> Path:
        from smimetui.tui.attachments import downloads_dir

        return downloads_dir()
