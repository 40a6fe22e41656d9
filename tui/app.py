"""The Textual app: wiring only (themes, keymap, screens, the one worker-error handler).

Handlers live on the screens that own the widgets; blocking work lives in the core's mail
session (``core/session``), which asks the user through this app's dialogs.
"""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.message_pump import MessagePump
from textual.screen import ModalScreen
from textual.worker import get_current_worker

from smimetui import themes
from smimetui.core.errors import SmimeTuiError
from smimetui.core.read.report import SecurityReport
from smimetui.core.session.mail_session import MailSession, open_session
from smimetui.core.session.questions import Prompts
from smimetui.tui.commands import SmimeCommands
from smimetui.tui.keys import UiSettings
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.screens.first_run import FirstRunScreen
from smimetui.tui.screens.mailbox import MailboxScreen
from smimetui.tui.screens.passphrase import PassphraseScreen
from smimetui.tui.worker_errors import WorkerErrors, error_text

if TYPE_CHECKING:
    from smimetui.core.settings.accounts import Account

Answer = TypeVar("Answer")  # what a dialog dismisses with


class SmimeTuiApp(App[int], WorkerErrors):
    """``session`` None shows the first-run screen (no account configured)."""

    TITLE = "smimetui"
    CSS = themes.stylesheet("app.tcss")
    COMMANDS: ClassVar = App.COMMANDS | {SmimeCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, tooltip="Leave smimetui", id="app-quit"),
        Binding(
            "ctrl+p",
            "command_palette",
            "Palette",
            show=False,
            tooltip="Search every command",
            id="command-palette",
        ),
    ]
    ENABLE_COMMAND_PALETTE = True

    def __init__(
        self,
        session: MailSession | None,
        *,
        settings: UiSettings | None = None,
        config_path: str = "",
        startup_notice: str = "",
        problem: str = "",
    ) -> None:
        super().__init__()
        self.session = session
        self.settings = settings or UiSettings()
        self.config_path = config_path
        self.startup_notice = startup_notice
        self.problem = problem
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = self._initial_theme()
        if session is not None:
            session.questions.prompts = self._prompts()

    def _initial_theme(self) -> str:
        name = themes.resolve_name(self.settings.theme)
        return name if name in self.available_themes else themes.DEFAULT_THEME

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return themes.variable_defaults(self.current_theme)

    def on_mount(self) -> None:
        from smimetui.core.pki.tokens.pin import use_asker

        use_asker(self.ask_pin)  # the send path asks a token's PIN with the dialog, too
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if self.session is None:
            self.push_screen(FirstRunScreen(self.config_path, self.problem))
            return
        self.push_screen(self._mailbox(self.session))
        self.session.questions.ui_ready.set()  # questions from threads can be asked now
        if self.startup_notice:
            self.notify(self.startup_notice, title="Demo", timeout=12, markup=False)

    # -- accounts: A opens another account in place of this one -------------------------------
    def action_switch_account(self) -> None:
        if self.session is None:
            return
        from smimetui.core.settings.accounts import load_accounts
        from smimetui.tui.screens.accounts import AccountsScreen

        accounts = load_accounts(self.session.home)
        current = str(getattr(self.session.account, "name", ""))
        if len(accounts) < 2:
            self.notify(
                "This is your only account; `smimetui account add` adds another.",
                title="One account",
                markup=False,
            )
            return

        def chosen(name: str | None) -> None:
            if name:
                self.notify(f"Opening account {name}…", title="Accounts", markup=False)
                self._open_account(name)

        self.push_screen(AccountsScreen(accounts, current), chosen)

    def _open_account(self, name: str) -> None:
        self.run_worker(
            lambda: self._connect(name),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="account",
            description=f"open account {name}",
        )

    def _connect(self, name: str) -> None:
        from smimetui.core.settings.accounts import get_account

        old = self.session
        assert old is not None
        account = get_account(old.home, name)
        session = open_session(old.home, account, demo=old.demo)
        session.share_passphrases(old)  # unlocked IDs stay unlocked
        self.call_from_thread(self._use_session, session)

    def _use_session(self, session: MailSession) -> None:
        old = self.session
        session.questions.prompts = self._prompts()
        session.questions.ui_ready.set()  # the app runs: its questions can be asked at once
        self.session = session
        if isinstance(self.screen, MailboxScreen):
            self.pop_screen()
        self.push_screen(self._mailbox(session))
        if old is not None:  # logging out may wait on the network (or a running sync)
            self.run_worker(old.close, thread=True, exit_on_error=False, group="account-close")

    def _mailbox(self, session: MailSession) -> MailboxScreen:
        return MailboxScreen(
            session,
            threading=self.settings.threading,
            mark_read_after=self.settings.mark_read_after,
        )

    def use_theme(self, name: str) -> None:
        self.theme = name

    # -- where every worker failure ends (see worker_errors.WorkerErrors) -------------------
    def show_error(self, err: BaseException) -> None:
        title, message = error_text(err)
        details = err.details if isinstance(err, SmimeTuiError) else ""
        if details:
            self.push_screen(ConfirmScreen(title, message, details, yes="OK"))
        self.notify(message, title=title, severity="error", markup=False, timeout=10)

    # -- passphrases: asked from a worker thread, answered by a modal ----------------------
    def _prompts(self) -> Prompts:
        """This app's dialogs, for the questions the session asks from its workers."""
        return Prompts(
            passphrase=self.ask_passphrase,
            password=self.ask_password,
            sign_in=self.ask_sign_in,
            pin=self.ask_pin,
        )

    def ask_passphrase(self, ident: str, attempt: int) -> bytes | None:
        """Blocks the calling worker thread (never the UI) until the user answers."""
        value = self._ask(PassphraseScreen(ident, attempt))
        return value.encode("utf-8") if value is not None else None

    def ask_password(self, account: str, prompt: str) -> str | None:
        """The account's server password (no keyring entry, no password command)."""
        title = f"Password for account {account}"
        return self._ask(PassphraseScreen(prompt, 1, title=title, secret="password"))

    def ask_pin(self, token: str, hint: str, attempt: int) -> str | None:
        """A smart card's PIN: "PIN for token NAME, 1 try left" when the card says so."""
        from smimetui.core.pki.tokens.pin import question

        screen = PassphraseScreen(
            question(token, hint), attempt, title="Unlock smart card", secret="PIN"
        )
        return self._ask(screen)

    def ask_sign_in(self, account: Account, reason: str) -> bool:
        """An OAuth2 account's saved sign-in is gone: the sign-in dialog runs the flow."""
        from smimetui.tui.screens.sign_in import SignInScreen

        signed_in: bool | None = self._ask(SignInScreen(account, reason))
        return bool(signed_in)

    def _ask(self, screen: ModalScreen[Answer]) -> Answer | None:
        answer: concurrent.futures.Future[Answer | None] = concurrent.futures.Future()

        def show() -> None:
            self.push_screen(screen, answer.set_result)

        self.call_from_thread(show)
        while True:  # a prompt left open when the app quits must not hold the worker forever
            try:
                return answer.result(timeout=0.25)
            except concurrent.futures.TimeoutError:
                if not self.is_running:
                    return None

    # -- new mail: IMAP IDLE in one App-level, long-lived worker ---------------------------
    def watch_folder(self, folder: str, target: MessagePump) -> None:
        """Watch ``folder`` for new mail and tell ``target``; replaces the previous watch."""
        from smimetui.tui.idle import can_watch

        if self.session is None or not can_watch(self.session.backend):
            return
        self.run_worker(
            lambda: self._watch(folder, target),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="idle",
            description=f"watch {folder} for new mail",
        )

    def _watch(self, folder: str, target: MessagePump) -> None:
        from smimetui.tui.idle import Watchable, watch
        from smimetui.tui.messages import MailChanged

        def changed() -> None:
            target.post_message(MailChanged(folder))

        assert self.session is not None
        backend = self.session.backend
        if isinstance(backend, Watchable):  # IMAP; a Maildir has no IDLE
            watch(backend, folder, changed, get_current_worker())

    # -- compose ---------------------------------------------------------------------------
    def action_compose_new(self) -> None:
        self._push_compose(None, "new")

    def open_compose_for(self, mode: str, report: SecurityReport) -> None:
        self._push_compose(report, mode)

    def open_draft(self, report: SecurityReport, uid: int) -> None:
        """Go on writing a stored draft; saving it again replaces it."""
        self._push_compose(report, "draft", draft_uid=uid)

    def _push_compose(
        self, report: SecurityReport | None, mode: str, draft_uid: int | None = None
    ) -> None:
        if self.session is None:
            return
        from smimetui.tui.messages import MailChanged
        from smimetui.tui.screens.compose import ComposeScreen

        below = self.screen

        def closed(_: None) -> None:
            # Drafts, Sent or Outbox may have changed: the folder shown below reloads.
            folder = getattr(below, "folder", None)
            if folder:
                below.post_message(MailChanged(folder))

        compose = ComposeScreen(
            self.session, mode=mode, original=report, settings=self.settings, draft_uid=draft_uid
        )
        self.push_screen(compose, closed)


if TYPE_CHECKING:
    from smimetui.tui.app_services import MailApp

    def _implements(app: SmimeTuiApp) -> MailApp:
        return app  # mypy fails here if the app lacks what screens ask for
