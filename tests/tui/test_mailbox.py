"""Pilot tests of the mailbox: open, verify, the security pane, import with ctrl+k, errors."""

from __future__ import annotations

from smimetui.core.pki.contacts import Contacts
from smimetui.core.settings.home import Home
from smimetui.tui.keys import UiSettings
from smimetui.tui.screens.confirm import ConfirmScreen
from smimetui.tui.screens.first_run import FirstRunScreen
from smimetui.tui.screens.help import HelpScreen
from smimetui.tui.screens.mailbox import MailboxScreen
from smimetui.tui.verdict import BADGE_GOOD, BADGE_WARN, Level
from smimetui.tui.widgets.message_list import MessageList
from smimetui.tui.widgets.security_pane import SecurityPane, SecurityStatus

from .helpers import SIZE, make_app, open_subject, screen_text, settle, widget_text


class TestOpen:
    async def test_folders_and_list_load(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, MailboxScreen)
            assert screen.folder == "INBOX"
            assert len(screen.query_one(MessageList).index) >= 20
            text = screen_text(app)
            assert "INBOX (" in text and "Outbox" in text

    async def test_good_signature_verified(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Good signature from a contact")
            screen = app.screen
            assert isinstance(screen, MailboxScreen)
            assert screen.verdict_level is Level.GOOD
            status = screen.query_one(SecurityStatus)
            assert status.has_class("-good")
            assert "✓ Verified: Signed by alice@example.org — verified." in widget_text(
                app, "SecurityStatus"
            )
            uid = screen.query_one(MessageList).current_uid
            assert screen.query_one(MessageList).badges[uid] == BADGE_GOOD

    async def test_tampered_is_invalid(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Tampered")
            status = widget_text(app, "SecurityStatus")
            assert "✗ Invalid: Invalid signature: the message was altered" in status

    async def test_visible_rows_verified_in_background(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.screen.query_one(MessageList)
            badges = [lst.badges.get(lst.index.uid_at(p)) for p in lst.visible_positions()]
            assert BADGE_WARN in badges  # wrong-usage / mismatch rows, checked without opening

    async def test_q_goes_back_then_quits(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Welcome")
            await pilot.press("enter")
            assert app.screen.focused is not None
            assert app.screen.focused.id == "message-body"
            await pilot.press("q")
            assert isinstance(app.screen.focused, MessageList)
            await pilot.press("q")
            await pilot.pause()
        assert app.return_code == 0


class TestSecurityPane:
    async def test_s_toggles_and_shows_chain(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Signed with an expired certificate")
            pane = app.screen.query_one(SecurityPane)
            assert not pane.display
            await pilot.press("s")
            assert pane.display
            text = widget_text(app, "SecurityPane Static")
            assert "Carol Expired" in text
            assert "Ask Carol Expired for their renewed certificate." in text
            assert "2023-01-01 to 2024-01-01" in text
            await pilot.press("s")
            assert not pane.display

    async def test_mismatch_flagged(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "From does not match")
            await pilot.press("s")
            text = widget_text(app, "SecurityPane Static")
            assert "Signed by dan@example.com, who is not the sender shown in From." in text
            assert "security@bank.example" in text
            assert "NO — the signer is not the sender" in text

    async def test_partial_signature_boxed(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Partially signed")
            signed = app.screen.query(".signed-part")
            unsigned = app.screen.query(".unsigned-part")
            assert len(signed) == 1 and len(unsigned) == 1
            assert "signed part begins" in screen_text(app)


class TestImportCertificate:
    async def test_ctrl_k_imports_after_confirmation(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Signed by someone new")
            assert Contacts(demo_home).contact("dan@example.com") is None
            await pilot.press("ctrl+k")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert "Dan Newcomer" in screen_text(app)
            await pilot.press("y")
            await settle(pilot)
            contact = Contacts(demo_home).contact("dan@example.com")
            assert contact is not None
            messages = [n.message for n in app._notifications]
            assert any("Stored the certificate of Dan Newcomer" in str(m) for m in messages)

    async def test_ctrl_k_cancel_stores_nothing(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Signed by someone new")
            await pilot.press("ctrl+k")
            await pilot.pause()
            await pilot.press("n")
            await settle(pilot)
            assert Contacts(demo_home).contact("dan@example.com") is None

    async def test_ctrl_k_for_untrusted_says_why_and_stores_nothing(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Signed, but by an untrusted root")
            await pilot.press("ctrl+k")
            await pilot.pause()
            assert isinstance(app.screen, MailboxScreen)
            (note,) = [n for n in app._notifications if n.title == "Cannot import"]
            assert "root you trust" in note.message and "(trust the root first: t)" in note.message
            await pilot.press("s")
            await pilot.pause()
            pane = widget_text(app, "#security-signature")
            assert "ctrl+k adds it" not in pane and "root you trust" in pane
        assert Contacts(demo_home).contact("mallory@example.net") is None

    async def test_pane_shows_the_contact_after_an_import(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Signed by someone new")
            await pilot.press("s")
            await pilot.pause()
            assert "not stored for dan@example.com" in widget_text(app, "#security-signature")
            await pilot.press("ctrl+k")
            await pilot.pause()
            await pilot.press("y")
            await settle(pilot)
            pane = widget_text(app, "#security-signature")
            assert "stored for dan@example.com" in pane and "not stored" not in pane
            assert "Source:     signed mail" in pane


class TestTrustRoot:
    async def test_t_when_already_trusted_says_why(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Signed by someone new")
            await pilot.press("t")
            await pilot.pause()
            assert isinstance(app.screen, MailboxScreen)
            (note,) = [n for n in app._notifications if n.title == "Nothing to trust"]
            assert "already leads to a root you trust" in note.message

    async def test_t_on_unsigned_mail_says_why(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Plain mail with two attachments")
            await pilot.press("t")
            await pilot.pause()
            assert isinstance(app.screen, MailboxScreen)
            (note,) = [n for n in app._notifications if n.title == "Nothing to trust"]
            assert "no signature chain" in note.message
            await pilot.press("ctrl+k")
            await pilot.pause()
            (note,) = [n for n in app._notifications if n.title == "Cannot import"]
            assert "not signed" in note.message

    async def test_t_without_the_root_says_what_is_missing(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Signed, but by an untrusted root")  # root not carried
            await pilot.press("t")
            await pilot.pause()
            assert isinstance(app.screen, MailboxScreen)
            (note,) = [n for n in app._notifications if n.title == "Nothing to trust"]
            assert "Totally Legit Root CA" in note.message and "missing" in note.message


class TestPassphrase:
    async def test_wrong_then_right_passphrase_decrypts(self, demo_home: Home) -> None:
        from smimetui.tui.screens.passphrase import PassphraseScreen

        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.screen.query_one(MessageList)
            position = next(
                p
                for p in range(len(lst.index))
                if lst.index.summary(p).subject.startswith("Encrypted to you (AES-GCM")
            )
            lst.cursor = position
            for _ in range(20):
                await pilot.pause(0.1)
                if isinstance(app.screen, PassphraseScreen):
                    break
            assert isinstance(app.screen, PassphraseScreen)
            await pilot.press(*"wrong", "enter")
            for _ in range(40):
                await pilot.pause(0.1)
                if isinstance(app.screen, PassphraseScreen) and app.screen.attempt == 2:
                    break
            assert isinstance(app.screen, PassphraseScreen) and app.screen.attempt == 2
            assert "Wrong passphrase" in screen_text(app)
            await pilot.press(*"demo", "enter")
            await settle(pilot)
            assert isinstance(app.screen, MailboxScreen)
            assert "The new door code is 0815" in widget_text(app, ".body-text")

    async def test_cancel_shows_error_not_plaintext(self, demo_home: Home) -> None:
        from smimetui.tui.screens.passphrase import PassphraseScreen

        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            lst = app.screen.query_one(MessageList)
            lst.cursor = next(
                p
                for p in range(len(lst.index))
                if lst.index.summary(p).subject.startswith("Encrypted to you (AES-CBC")
            )
            for _ in range(20):
                await pilot.pause(0.1)
                if isinstance(app.screen, PassphraseScreen):
                    break
            await pilot.press("escape")
            await settle(pilot)
            assert "door code is 4711" not in widget_text(app, ".body-text")
            assert "door code is 4711" not in screen_text(app)


class TestScreens:
    async def test_help_lists_binding_ids(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            from textual.widgets import DataTable

            table = app.screen.query_one(DataTable)
            ids = {table.get_row_at(i)[3] for i in range(table.row_count)}
            assert {"import-certificate", "reply-all", "security", "quit"} <= ids

    async def test_keys_remapped_from_config(self, demo_home: Home) -> None:
        app = make_app(demo_home, UiSettings(keymap={"security": "x"}))
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Good signature from a contact")
            pane = app.screen.query_one(SecurityPane)
            await pilot.press("s")
            assert not pane.display
            await pilot.press("x")
            assert pane.display

    async def test_first_run_without_accounts(self, home: Home) -> None:
        app = make_app(home)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, FirstRunScreen)
            text = screen_text(app)
            assert "smimetui account add" in text and "smimetui --demo" in text

    async def test_themes_registered_and_switchable(self, demo_home: Home) -> None:
        app = make_app(demo_home, UiSettings(theme="high-contrast"))
        app.theme = "smimetui-high-contrast"
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for name in ("smimetui-dark", "smimetui-light", "smimetui-high-contrast"):
                app.use_theme(name)
                await pilot.pause()
                assert app.theme == name
                assert app.theme_variables["sig-good"]

    async def test_delete_moves_to_trash(self, demo_home: Home) -> None:
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Plain mail with two attachments")
            before = len(app.screen.query_one(MessageList).index)
            await pilot.press("d")
            await settle(pilot)
            assert len(app.screen.query_one(MessageList).index) == before - 1
            trash = app.session.backend.open_folder("Trash")
            assert any(
                trash.summary(i).subject == "Plain mail with two attachments"
                for i in range(len(trash))
            )

    async def test_save_attachments(self, demo_home: Home, tmp_path) -> None:  # type: ignore[no-untyped-def]
        app = make_app(demo_home)
        async with app.run_test(size=SIZE) as pilot:
            await open_subject(pilot, "Plain mail with two attachments")
            await pilot.press("w")  # a list: save all, or one of them
            await pilot.pause()
            await pilot.press("down", "down", "enter")  # the second attachment only
            await settle(pilot)
            downloads = tmp_path / "downloads"
            assert sorted(p.name for p in downloads.iterdir()) == ["budget.csv"]
            await pilot.press("w", "enter")  # the first entry saves all
            await settle(pilot)
        saved = sorted(p.name for p in downloads.iterdir())
        assert saved == ["budget (2).csv", "budget.csv", "minutes.txt"]
