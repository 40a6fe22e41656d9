"""Entry point used by ``smimetui`` without a subcommand (see cli/launch.py)."""

from __future__ import annotations

from pathlib import Path

from smimetui.core.session.mail_session import open_session
from smimetui.core.settings.home import Home
from smimetui.tui.keys import UiSettings, ui_settings

INBOX = "INBOX"


def demo_home(home: Home) -> Home:
    """``<data dir>/demo`` unless a home was chosen explicitly (--home / $SMIMETUI_HOME)."""
    if home == Home.default():
        return Home.at(Path(home.data_dir) / "demo")
    return home


def build_app(
    home: Home, *, demo: bool = False, account: str | None = None, open_early: bool = False
) -> object:
    """The app for ``home`` (the demo home is created first when ``demo``).

    ``open_early``: an IMAP account's INBOX starts opening before Textual is imported (see
    ``core/session/folder_opening.py``); the app that is built must then be run."""
    # Imports in here are lazy: the INBOX starts opening before Textual (tui.app) is imported.
    from smimetui.core.settings.accounts import get_account, load_accounts
    from smimetui.core.settings.config import load_config

    notice = ""
    if demo:
        from smimetui.core.demo.home import DEMO_PASSPHRASE, ensure_demo_home

        info = ensure_demo_home(home)
        notice = (
            f"This is the demo home in {home.data_dir}. Your digital ID is {info.address}; "
            f'its passphrase is "{DEMO_PASSPHRASE}". Sent mail goes to the Outbox folder.'
        )
    settings: UiSettings = ui_settings(load_config(home))
    if not load_accounts(home):
        from smimetui.tui.app import SmimeTuiApp

        return SmimeTuiApp(None, settings=settings, config_path=str(home.config_file))
    chosen = get_account(home, account)
    session = open_session(home, chosen, demo=demo)
    if open_early and not chosen.is_local:  # network waits overlap the imports below
        session.open_early(INBOX)
    from smimetui.tui.app import SmimeTuiApp

    return SmimeTuiApp(session, settings=settings, startup_notice=notice)


def run(home: Home, *, demo: bool, account: str | None) -> int:
    if demo:
        home = demo_home(home)
    app = build_app(home, demo=demo, account=account, open_early=True)
    app.run()  # type: ignore[attr-defined]
    return int(getattr(app, "return_code", 0) or 0)
