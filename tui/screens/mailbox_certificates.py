"""Mailbox component: the sender's certificate and the chain's root.

View it (v); import it into your contacts (ctrl+k, after a yes; a changed certificate for a
known contact only after a second yes with both fingerprints); trust the chain's root (t) after
showing its fingerprint.  Imports and trust run in thread workers; the open message is loaded
again afterwards, so the security pane shows the new state.
"""

from __future__ import annotations

from functools import partial

from textual.screen import Screen

from smimetui.core.pki.contacts import CertificateChange
from smimetui.core.read.certificate_import import ImportOutcome
from smimetui.core.read.report import SecurityReport
from smimetui.core.session.mail_session import MailSession
from smimetui.tui import messages as m
from smimetui.tui.screens.certificate import CertificateScreen, fingerprint
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.screens.mailbox_badges import RowBadges
from smimetui.tui.screens.mailbox_reading import MessageReader
from smimetui.tui.screens.mailbox_state import MailboxState
from smimetui.tui.worker_errors import in_thread


class SenderCertificates:
    def __init__(
        self,
        screen: Screen[None],
        session: MailSession,
        state: MailboxState,
        *,
        reader: MessageReader,
        badges: RowBadges,
    ) -> None:
        self._screen = screen
        self._session = session
        self._state = state
        self._reader = reader
        self._badges = badges

    def view(self) -> None:
        report = self._state.report
        sig = report.signature if report else None
        cert = sig.signer if sig else None
        if cert is None and report and report.certificates:
            cert = report.certificates[0]
        if cert is None:
            self._screen.notify("This message carries no certificate.", title="No certificate")
            return
        self._screen.app.push_screen(CertificateScreen(cert, sig.chain_path if sig else ()))

    # -- import (ctrl+k) ---------------------------------------------------------------------
    def import_sender(self) -> None:
        report = self._state.report
        if report is None:
            return
        from smimetui.core.read.certificate_import import describe_import, why_not_importable

        reason = why_not_importable(report)
        if reason is not None:
            self._screen.notify(reason, title="Cannot import", severity="warning", markup=False)
            return
        title, question, details = describe_import(report)

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(partial(self._import, report), "import")

        dialog = ConfirmScreen(title, question, details, yes="Import")
        self._screen.app.push_screen(dialog, answered)

    def _import(self, report: SecurityReport) -> None:
        from smimetui.core.read.certificate_import import import_sender_certificate

        outcome = import_sender_certificate(self._session.home, report)
        if outcome.change is not None:  # needs the user's second yes
            change = outcome.change
            self._screen.app.call_from_thread(self._confirm_replacement, report, outcome, change)
            return
        self._screen.post_message(m.CertificateImported(outcome.summary))

    def _confirm_replacement(
        self, report: SecurityReport, outcome: ImportOutcome, change: CertificateChange
    ) -> None:
        def answered(yes: bool | None) -> None:
            self._run(partial(self._resolve, report, change, bool(yes)), "replace")

        dialog = ConfirmScreen("Replace certificate?", outcome.question, outcome.details, "Replace")
        self._screen.app.push_screen(dialog, answered)

    def _resolve(self, report: SecurityReport, change: CertificateChange, accept: bool) -> None:
        from smimetui.core.read.certificate_import import resolve_change

        summary = resolve_change(self._session.home, report, change, accept)
        self._screen.post_message(m.CertificateImported(summary))

    def imported(self, message: m.CertificateImported) -> None:
        self._screen.notify(message.summary, title="Stored", markup=False)
        self._reader.reload()  # the pane shows the new contact

    # -- trust the root (t) ------------------------------------------------------------------
    def trust_root(self) -> None:
        from smimetui.core.read.certificate_import import why_not_trustable

        report = self._state.report
        sig = report.signature if report else None
        if report is None:
            return
        reason = why_not_trustable(report)
        if reason is not None or sig is None:
            notify = self._screen.notify
            notify(reason or "", title="Nothing to trust", severity="warning", markup=False)
            return
        root = sig.chain_path[-1].cert
        question = (
            f"Trust {root.display_name} as a root for all mail? Only do this after checking "
            "the fingerprint with its owner (phone, in person)."
        )
        details = f"SHA-256 {fingerprint(root.sha256)}"

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(partial(self._trust, report), "trust root")

        self._screen.app.push_screen(
            ConfirmScreen("Trust this root?", question, details, yes="Trust"), answered
        )

    def _trust(self, report: SecurityReport) -> None:
        sig = report.signature
        assert sig is not None and sig.chain_path
        self._screen.post_message(m.RootTrusted(self._session.trust_root(sig.chain_path[-1].cert)))

    def trusted(self, message: m.RootTrusted) -> None:
        self._screen.notify(message.summary, title="Root trusted", markup=False)
        self._badges.forget_all()  # verdicts may change: verify again
        self._reader.reload()

    def _run(self, work: partial[None], description: str) -> None:
        in_thread(self._screen, work, group="certs", description=description)
