"""The OAuth2 sign-in dialog: shown when an account's saved sign-in is missing or revoked.

Enter signs in with the browser (authorization code + PKCE; the address is shown too, for a
machine without a browser), ``d`` with a device code (for SSH: type the code on a phone or
another computer).  The flow runs in a thread worker and only posts text back, so the UI never
waits on the provider; escape cancels it.  Everything the provider sent is shown as plain text.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from smimetui.core.errors import SmimeTuiError
from smimetui.core.sanitize import clean_line

if TYPE_CHECKING:
    from smimetui.core.settings.accounts import Account


class SignInScreen(ModalScreen[bool]):
    """Dismisses with True once signed in (the tokens are saved), False when cancelled."""

    BINDINGS = [
        Binding(
            "enter", "start(False)", "Browser", tooltip="Sign in in a browser", id="sign-in-browser"
        ),
        Binding(
            "d",
            "start(True)",
            "Device code",
            tooltip="Sign in with a code on another device",
            id="sign-in-device",
        ),
        Binding("escape", "cancel", "Cancel", tooltip="Stay offline", id="sign-in-cancel"),
    ]

    def __init__(self, account: Account, reason: str) -> None:
        super().__init__(classes="dialog-screen")
        self.account = account
        self.reason = reason
        self.cancel = threading.Event()
        self.running = False
        self.prompt_text = ""  # what the user must do now (URL, code), for tests

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="sign-in-dialog"):
            yield Static(Content(f"Sign in to account {self.account.name}"), classes="dialog-title")
            reason = clean_line(self.reason, 300)
            yield Static(Content(reason[:1].upper() + reason[1:] + "."), classes="dialog-question")
            yield Static(
                Content("Enter: sign in in a browser.  d: device code (over SSH).  Esc: cancel."),
                id="sign-in-prompt",
                classes="dialog-details",
            )
            yield Static("", id="sign-in-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(Content("Browser (enter)"), id="browser", variant="primary")
                yield Button(Content("Device code (d)"), id="device")
                yield Button(Content("Cancel (esc)"), id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.action_cancel()
        else:
            self.action_start(event.button.id == "device")

    def action_start(self, device_code: bool) -> None:
        if self.running:
            return
        self.running = True
        self.query_one("#sign-in-error", Static).update("")
        self._say("Starting the sign-in…")
        self._sign_in(device_code)

    def action_cancel(self) -> None:
        self.cancel.set()
        self.dismiss(False)

    def _say(self, text: str) -> None:
        self.prompt_text = text
        self.query_one("#sign-in-prompt", Static).update(Content(text))

    @work(thread=True, exclusive=True, exit_on_error=False, group="sign-in", description="sign in")
    def _sign_in(self, device_code: bool) -> None:
        from smimetui.core.oauth.tokens import sign_in

        try:
            sign_in(
                self.account,
                lambda prompt: self.app.call_from_thread(self._say, prompt.sentence()),
                device_code=device_code,
                cancel=self.cancel,
            )
        except SmimeTuiError as err:
            if not self.cancel.is_set():
                self.app.call_from_thread(self._failed, err.one_line())
            return
        if not self.cancel.is_set():
            self.app.call_from_thread(self.dismiss, True)

    def _failed(self, message: str) -> None:
        self.running = False
        self.query_one("#sign-in-error", Static).update(Content("✗ " + message))
        self._say("Enter: try the browser again.  d: device code.  Esc: cancel.")
