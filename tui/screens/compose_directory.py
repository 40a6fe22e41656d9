"""Compose component: certificate directory lookup (LDAP) for recipients without a usable
certificate.

Recipients the check finds without a certificate are looked up once each; findings show under
the certificate line, and ``ctrl+l`` imports the usable ones after a yes.  A changed
certificate for a known contact is only replaced after a second yes with both fingerprints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from textual.content import Content
from textual.screen import Screen

from smimetui.core.session.mail_session import MailSession
from smimetui.core.write.directory_lookup import (
    change_question,
    found_details,
    found_line,
    import_usable,
    lookup_missing,
    resolve,
)
from smimetui.tui import messages as m
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.worker_errors import in_thread

if TYPE_CHECKING:
    from smimetui.core.directory.lookup import Found
    from smimetui.core.pki.contacts import CertificateChange


class DirectoryLookup:
    """``imported`` is called once an import (and every question it raised) is done: the
    screen checks the recipients again."""

    def __init__(
        self, screen: Screen[None], session: MailSession, imported: Callable[[], None]
    ) -> None:
        self._screen = screen
        self._session = session
        self._imported = imported
        self._asked: set[str] = set()  # addresses already looked up in the directories
        self.found: dict[str, list[Found]] = {}  # lower-case address -> found

    def ask(self, addresses: Sequence[str]) -> None:
        """Look up the addresses not asked about before (without a certificate)."""
        new = [a for a in addresses if a.lower() not in self._asked]
        if new:
            self._asked.update(a.lower() for a in new)
            self._run(partial(self._lookup, new), "directory lookup")

    def lines(self, missing: Sequence[str]) -> list[str]:
        """What the directories found for ``missing``, a line each, for the certificate line."""
        lines = []
        for address in missing:
            found = self.found.get(address.lower())
            if found is not None:
                lines.append("Directory: " + found_line(address, found))
        return lines

    def forget(self, addresses: Sequence[str]) -> None:
        for address in addresses:
            self.found.pop(address.lower(), None)

    def usable(self, missing: Sequence[str]) -> list[Found]:
        wanted = {a.lower() for a in missing}
        return [
            f
            for address, found in self.found.items()
            if address in wanted
            for f in found
            if f.usable
        ]

    def offer_import(self, missing: Sequence[str]) -> None:
        """ctrl+l: import the usable certificates found for ``missing``, after a yes."""
        usable = self.usable(missing)
        if not usable:
            return
        shown = [f for a in missing for f in self.found.get(a.lower(), [])]
        question = (
            f"Import {len(usable)} usable certificate(s) from the directory into your contacts? "
            "Unusable ones are listed but never imported."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(partial(self._import, usable), "directory import")

        dialog = ConfirmScreen("Import from directory", question, found_details(shown), "Import")
        self._screen.app.push_screen(dialog, answered)

    # -- workers -----------------------------------------------------------------------------
    def _run(self, work: Callable[[], None], description: str) -> None:
        in_thread(self._screen, work, group="directory", description=description, exclusive=False)

    def _lookup(self, addresses: list[str]) -> None:
        found = lookup_missing(self._session.home, addresses)
        if found is not None:  # None: no directory is set up, so nothing happens
            self._screen.post_message(m.DirectoryLookedUp(found))

    def _import(self, found: list[Found]) -> None:
        summary, changes = import_usable(self._session.home, found)
        self._screen.post_message(m.DirectoryImported(summary, changes))

    def _resolve(self, change: CertificateChange, accept: bool) -> None:
        summary = resolve(self._session.home, change, accept)
        self._screen.app.call_from_thread(self._screen.notify, Content(summary), title="Contacts")

    # -- results -----------------------------------------------------------------------------
    def looked_up(self, message: m.DirectoryLookedUp) -> None:
        for address, found in message.found.items():
            self.found[address.lower()] = found

    def import_done(self, message: m.DirectoryImported) -> None:
        self._screen.notify(message.summary, title="Stored", markup=False)
        self._confirm_changes(list(message.changes))

    def _confirm_changes(self, changes: list[CertificateChange]) -> None:
        if not changes:
            self._imported()
            return
        change, rest = changes[0], changes[1:]
        question, details = change_question(change)

        def answered(yes: bool | None) -> None:
            self._run(partial(self._resolve, change, bool(yes)), "directory change")
            self._confirm_changes(rest)

        dialog = ConfirmScreen("Replace certificate?", question, details, yes="Replace")
        self._screen.app.push_screen(dialog, answered)
