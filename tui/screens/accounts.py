"""Choose another account (``A``): the mailbox reopens on it, as switching accounts in
Thunderbird's folder pane or aerc's tabs does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from smimetui.core.settings.accounts import Account


def account_label(account: Account, current: str) -> str:
    mark = "  (open now)" if account.name == current else ""
    return f"{account.name}  <{account.email}>{mark}"


class AccountsScreen(ModalScreen[str | None]):
    """Dismisses with the chosen account's name, or None."""

    BINDINGS = [
        Binding(
            "escape,q", "cancel", "Cancel", tooltip="Stay on this account", id="accounts-cancel"
        )
    ]

    def __init__(self, accounts: list[Account], current: str) -> None:
        super().__init__(classes="dialog-screen")
        self.accounts = accounts
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="accounts-dialog"):
            yield Static("Switch account", classes="dialog-title")
            yield OptionList(
                *[
                    Option(Content(account_label(a, self.current)), id=str(i))
                    for i, a in enumerate(self.accounts)
                ],
                id="accounts-list",
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = str(getattr(self.accounts[int(event.option.id or 0)], "name", ""))
        self.dismiss(None if chosen == self.current else chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
