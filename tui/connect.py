"""Open an account's session: the backend, with password and sign-in prompts that wait for the UI.

Used by ``tui/run.py`` at start and by the app when the user switches account.
"""

from __future__ import annotations

from smimetui.core.errors import SmimeTuiError
from smimetui.core.settings.home import Home
from smimetui.tui.services import Identity, MailSession


def open_session(home: Home, account: object, *, demo: bool) -> MailSession:
    from smimetui.core.mail.factory import open_backend  # lazy: the backends load on use

    session_box: list[MailSession] = []

    def ask_password(prompt: str) -> str:
        session = session_box[0]
        session.ui_ready.wait()  # an early open (tui/opening.py) may ask before the app runs
        name = str(getattr(account, "name", ""))
        answer = session.ask_password(name, prompt) if session.ask_password else None
        if answer is None:
            raise SmimeTuiError("No password was given; the account stays offline.", title="Login")
        return answer

    def ask_sign_in(which: object, reason: str) -> bool:
        session = session_box[0]
        session.ui_ready.wait()
        return bool(session.ask_sign_in(which, reason)) if session.ask_sign_in else False

    backend = open_backend(
        account,  # type: ignore[arg-type]
        home,
        prompt=ask_password,
        sign_in=ask_sign_in,
    )
    identity = Identity(getattr(account, "email", ""), getattr(account, "display_name", ""))
    session = MailSession(home, backend, identity, account=account, demo=demo)
    session_box.append(session)
    return session
