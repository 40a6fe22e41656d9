"""Compose: certificate directory lookup (LDAP) for recipients without a usable certificate.

Recipients the check finds without a certificate are looked up once each; findings show under
the certificate line, and ``ctrl+l`` imports the usable ones after a yes.  A changed
certificate for a known contact is only replaced after a second yes with both fingerprints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.content import Content

from smimetui.core.pki.contacts import CertificateChange
from smimetui.core.write.directory_lookup import (
    change_question,
    found_details,
    found_line,
    import_usable,
    lookup_missing,
    resolve,
)
from smimetui.tui import messages as m
from smimetui.tui.screens.compose_recipients import RecipientCertificates
from smimetui.tui.screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from smimetui.core.directory.lookup import Found
    from smimetui.core.pki.contacts import CertificateChange


class DirectoryLookup(RecipientCertificates):
    """Mixin for the compose screen (the ``directory_import`` action and its workers)."""

    def _init_directory(self) -> None:
        self._init_recipients()
        self._asked: set[str] = set()  # addresses already looked up in the directories

    def _recipients_missing(self, addresses: list[str]) -> None:
        new = [a for a in addresses if a.lower() not in self._asked]
        if new:
            self._asked.update(a.lower() for a in new)
            self.lookup_directory(new)

    def _directory_lines(self) -> list[str]:
        lines = []
        for address in self.missing:
            found = self.directory_found.get(address.lower())
            if found is not None:
                lines.append("Directory: " + found_line(address, found))
        return lines

    # -- workers -----------------------------------------------------------------------------
    @work(thread=True, exit_on_error=False, group="directory", description="directory lookup")
    def lookup_directory(self, addresses: list[str]) -> None:
        found = lookup_missing(self.session.home, addresses)
        if found is not None:  # None: no directory is set up, so nothing happens
            self.post_message(m.DirectoryLookedUp(found))

    @work(thread=True, exit_on_error=False, group="directory", description="directory import")
    def import_directory(self, found: list[Found]) -> None:
        summary, changes = import_usable(self.session.home, found)
        self.post_message(m.DirectoryImported(summary, changes))

    @work(thread=True, exit_on_error=False, group="directory", description="directory change")
    def resolve_directory_change(self, change: CertificateChange, accept: bool) -> None:
        summary = resolve(self.session.home, change, accept)
        self.app.call_from_thread(self.notify, Content(summary), title="Contacts")

    # -- results -----------------------------------------------------------------------------
    def on_directory_looked_up(self, message: m.DirectoryLookedUp) -> None:
        for address, found in message.found.items():
            self.directory_found[address.lower()] = found
        self._show_certificates()

    def on_directory_imported(self, message: m.DirectoryImported) -> None:
        self.notify(message.summary, title="Stored", markup=False)
        self._confirm_changes(list(message.changes))

    def _confirm_changes(self, changes: list[CertificateChange]) -> None:
        if not changes:
            self._recheck_after_import()
            return
        change, rest = changes[0], changes[1:]
        question, details = change_question(change)

        def answered(yes: bool | None) -> None:
            self.resolve_directory_change(change, bool(yes))
            self._confirm_changes(rest)

        self.app.push_screen(
            ConfirmScreen("Replace certificate?", question, details, yes="Replace"), answered
        )

    def _recheck_after_import(self) -> None:
        for address in self.missing:
            self.directory_found.pop(address.lower(), None)
        self._schedule_check()

    # -- the action --------------------------------------------------------------------------
    def _usable_found(self) -> list[Found]:
        wanted = {a.lower() for a in self.missing}
        return [
            f
            for address, found in self.directory_found.items()
            if address in wanted
            for f in found
            if f.usable
        ]

    def action_directory_import(self) -> None:
        usable = self._usable_found()
        if not usable:
            return
        shown = [f for a in self.missing for f in self.directory_found.get(a.lower(), [])]
        question = (
            f"Import {len(usable)} usable certificate(s) from the directory into your contacts? "
            "Unusable ones are listed but never imported."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.import_directory(usable)

        dialog = ConfirmScreen("Import from directory", question, found_details(shown), "Import")
        self.app.push_screen(dialog, answered)
