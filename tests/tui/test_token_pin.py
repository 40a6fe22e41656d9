"""Issue 14 in the mail reader: a message encrypted to a token ID asks for the card's PIN in the
passphrase dialog ("PIN for token card"), then shows the decrypted text."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from textual.widgets import Static

from smimetui.core.demo.home import ensure_demo_home
from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.pki.tokens.registry import add_module
from smimetui.core.settings.accounts import get_account
from smimetui.core.settings.home import Home
from smimetui.tui.app import SmimeTuiApp
from smimetui.tui.run import build_app
from smimetui.tui.screens.passphrase import PassphraseScreen
from smimetui.tui.widgets.message_list import MessageList
from tests.support.pki import FixturePKI
from tests.support.servers.softhsm import MODULE, PIN, SoftHsm

pytestmark = pytest.mark.openssl


def _encrypted_to(cert_pem: bytes, tmp_path: Path) -> bytes:
    body = tmp_path / "body.txt"
    body.write_text("Content-Type: text/plain\r\n\r\nThe card opened this: code 9021.\r\n")
    cert = tmp_path / "card.pem"
    cert.write_bytes(cert_pem)
    done = subprocess.run(
        [
            "openssl",
            "cms",
            "-encrypt",
            "-aes256",
            "-in",
            str(body),
            "-from",
            "bob@example.net",
            "-to",
            "alice@example.org",
            "-subject",
            "For the smart card",
            str(cert),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def _text(app: SmimeTuiApp, selector: str) -> str:
    return "\n".join(str(w.content) for w in app.screen.query(selector) if isinstance(w, Static))


def _asked(app: SmimeTuiApp) -> bool:
    return isinstance(app.screen, PassphraseScreen)


async def _until(pilot, check, limit: float = 8.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(limit * 10)):
        await pilot.pause(0.1)
        if check():
            return
    raise AssertionError("the screen did not get there")


async def test_pin_dialog_opens_a_message_for_the_card(
    home: Home, softhsm: SoftHsm, fixture_pki: FixturePKI, tmp_path: Path
) -> None:
    ensure_demo_home(home)
    softhsm.init_token("card-a")
    softhsm.import_id("card-a", fixture_pki.alice, "01")
    add_module(home, "card", MODULE)
    MaildirBackend(Path(get_account(home, "demo").maildir)).append(
        "INBOX", _encrypted_to(fixture_pki.alice.cert_pem, tmp_path), []
    )
    app = build_app(home)
    assert isinstance(app, SmimeTuiApp)
    async with app.run_test(size=(140, 44)) as pilot:
        # No waiting for workers: the newest message (ours) may open at once and ask the PIN.
        await _until(pilot, lambda: bool(app.screen.query(MessageList)) or _asked(app))
        if not _asked(app):
            lst = app.screen.query_one(MessageList)
            await _until(pilot, lambda: len(lst.index) > 0)
            lst.cursor = next(
                p
                for p in range(len(lst.index))
                if lst.index.summary(p).subject.startswith("For the smart card")
            )
        await _until(pilot, lambda: isinstance(app.screen, PassphraseScreen))
        dialog = app.screen
        assert isinstance(dialog, PassphraseScreen)
        assert _text(app, ".dialog-title") == "Unlock smart card"
        assert _text(app, ".dialog-question").startswith("PIN for token card")
        await pilot.press(*"000000", "enter")  # wrong: asked again, the card's word shown
        await _until(
            pilot,
            lambda: isinstance(app.screen, PassphraseScreen) and app.screen is not dialog,
        )
        assert _text(app, ".dialog-question") == "PIN for token card, few tries left"
        assert "Wrong PIN" in _text(app, ".dialog-error")
        await pilot.press(*PIN, "enter")
        await _until(pilot, lambda: "code 9021" in _text(app, ".body-text"))
