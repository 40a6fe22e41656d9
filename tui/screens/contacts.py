"""The contacts screen (C): every contact's certificates with source, fingerprint, validity.

A small table (a few hundred rows at most), so Textual's DataTable is fine here.  Every string
comes from certificates or the address book and is added as ``Content`` (never markup).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from smimetui.core.settings.home import Home
from smimetui.tui.worker_errors import WorkerErrors

COLUMNS = ("Name", "Address", "Certificate", "Source", "SHA-256", "Valid until", "State")


@dataclass(frozen=True, slots=True)
class ContactRow:
    name: str
    address: str
    subject: str
    source: str
    sha256: str
    not_after: str
    state: str

    @property
    def cells(self) -> tuple[str, ...]:
        return (
            self.name,
            self.address,
            self.subject,
            self.source,
            self.sha256[:16] + "…" if self.sha256 else "",
            self.not_after,
            self.state,
        )


def contact_rows(home: Home) -> list[ContactRow]:
    """One row per stored certificate (or per address without one); blocking."""
    from smimetui.core.pki.contacts import Contacts

    rows = []
    for contact in Contacts(home).list():
        for info in contact.addresses:
            if not info.certificates:
                empty = ("",) * 4
                rows.append(ContactRow(contact.name, info.address, *empty, "no certificate"))
            for cert in info.certificates:
                details = cert.info
                state = "pending change: confirm it" if cert.pending else "stored"
                if cert.accepted and not cert.pending:
                    state = "accepted"
                rows.append(
                    ContactRow(
                        contact.name,
                        info.address,
                        details.display_name,
                        cert.source,
                        cert.sha256,
                        f"{details.not_after:%Y-%m-%d}",
                        state,
                    )
                )
    return rows


class ContactsScreen(ModalScreen[None], WorkerErrors):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", tooltip="Back to the mailbox", id="contacts-close"),
    ]

    def __init__(self, home: Home) -> None:
        super().__init__(classes="dialog-screen")
        self.home = home
        self.rows: list[ContactRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="contacts-dialog"):
            yield Static("Contacts", classes="dialog-title")
            table: DataTable[Content] = DataTable(id="contacts-table", cursor_type="row")
            table.add_columns(*COLUMNS)
            yield table

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.load_rows()

    @work(thread=True, exclusive=True, exit_on_error=False, group="contacts", description="list")
    def load_rows(self) -> None:
        rows = contact_rows(self.home)
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[ContactRow]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        cells = [row.cells for row in rows] or [("(no contacts yet)", "", "", "", "", "", "")]
        # DataTable does not widen columns for Content cells: size each to its longest text.
        table.clear(columns=True)
        for number, label in enumerate(COLUMNS):
            width = max(cell_len(label), *(cell_len(line[number]) for line in cells))
            table.add_column(label, width=width)
        for line in cells:
            table.add_row(*(Content(cell) for cell in line))

    def action_close(self) -> None:
        self.dismiss(None)
