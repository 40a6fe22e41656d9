"""MailSession over the demo home's real Maildir and keystore: reports verified once, locked
messages asked for again, moves and trusted roots, one passphrase cache across accounts and
sends, and the questions that wait for the front end."""

from __future__ import annotations

import threading

import pytest

from smimetui.core.errors import SmimeTuiError
from smimetui.core.mail.base import SecurityHint
from smimetui.core.read.report import EncryptionStatus
from smimetui.core.session.questions import Prompts, Questions
from smimetui.core.settings.accounts import get_account
from smimetui.core.settings.home import Home
from smimetui.core.write.send import send_message

from .conftest import RIGHT, User, session_of, uid_of

SIGNED = "Good signature from a contact"
ENCRYPTED = "Encrypted to you (AES-GCM"


class TestReading:
    def test_a_verified_report_is_kept_and_not_verified_again(self, demo: Home) -> None:
        session = session_of(demo, User())
        uid = uid_of(session, SIGNED)
        raw, report = session.open_message("INBOX", uid)
        assert report.signature is not None and b"Subject: Good signature from a contact" in raw
        assert session.reports.get("INBOX", uid) is report
        again_raw, again = session.open_message("INBOX", uid)
        assert again is report and again_raw == raw  # the original bytes, every time

    def test_wrong_then_right_passphrase_decrypts(self, demo: Home) -> None:
        user = User(b"wrong", RIGHT)
        session = session_of(demo, user)
        _, report = session.open_message("INBOX", uid_of(session, ENCRYPTED))
        assert report.encryption is not None
        assert report.encryption.status is EncryptionStatus.DECRYPTED
        assert "door code is 0815" in report.text
        assert [attempt for _, attempt in user.asked] == [1, 2]

    def test_a_cancelled_prompt_leaves_it_locked_and_opening_again_asks(self, demo: Home) -> None:
        user = User(None, RIGHT)
        session = session_of(demo, user)
        uid = uid_of(session, ENCRYPTED)
        _, locked = session.open_message("INBOX", uid)
        assert locked.encryption is not None
        assert locked.encryption.status is EncryptionStatus.LOCKED
        assert session.reports.get("INBOX", uid) is None  # not remembered as locked
        _, opened = session.open_message("INBOX", uid)
        assert "door code is 0815" in opened.text and len(user.asked) == 2

    def test_badges_verify_signed_rows_only_and_never_ask(self, demo: Home) -> None:
        user = User()
        session = session_of(demo, user)
        signed, encrypted = uid_of(session, SIGNED), uid_of(session, ENCRYPTED)
        badge = session.verify_for_badge("INBOX", signed, SecurityHint.SIGNED)
        assert badge is not None and badge.signature is not None
        assert session.reports.get("INBOX", signed) is badge
        assert session.verify_for_badge("INBOX", signed, SecurityHint.SIGNED) is None  # known
        assert session.verify_for_badge("INBOX", encrypted, SecurityHint.ENCRYPTED) is None
        assert user.asked == []

    def test_moved_messages_and_a_trusted_root_are_verified_again(self, demo: Home) -> None:
        session = session_of(demo, User())
        first, second = uid_of(session, SIGNED), uid_of(session, "Good signature (opaque")
        _, report = session.open_message("INBOX", first)
        session.open_message("INBOX", second)
        trash = session.delete("INBOX", [first])
        assert trash and session.reports.get("INBOX", first) is None
        assert session.reports.get("INBOX", second) is not None
        assert report.signature is not None and report.signature.chain_path
        said = session.trust_root(report.signature.chain_path[-1].cert)
        assert said.startswith("Trusted ") and said.endswith(" as a root.")
        assert len(session.reports) == 0


class TestOnePassphraseCache:
    def test_switching_accounts_keeps_ids_unlocked(self, demo: Home) -> None:
        user = User(RIGHT)
        first = session_of(demo, user)
        first.open_message("INBOX", uid_of(first, ENCRYPTED))
        second = session_of(demo, user)
        second.share_passphrases(first)
        _, report = second.open_message("INBOX", uid_of(second, ENCRYPTED))
        assert "door code is 0815" in report.text and len(user.asked) == 1

    def test_the_writer_sends_with_the_sessions_passphrases(self, demo: Home) -> None:
        user = User(RIGHT)
        session = session_of(demo, user)
        raw = b"From: robin@example.org\r\nTo: alice@example.org\r\nSubject: Hi\r\n\r\nHi\r\n"
        for _ in range(2):
            done = send_message(session.writer(), raw, sign=True, encrypt=False)
            assert done.composed.signed and done.via == "the local Outbox folder"
        assert len(user.asked) == 1  # the second send and reading ask nothing
        assert len(session.open_folder("Outbox")) == 2
        session.open_message("INBOX", uid_of(session, ENCRYPTED))
        assert len(user.asked) == 1


class TestQuestions:
    def test_a_login_waits_until_the_front_end_can_ask(self, demo: Home) -> None:
        account = get_account(demo, "demo")
        questions = Questions()
        heard: list[tuple[str, str]] = []
        answers: list[str] = []
        ask = questions.password_prompt(account, cancelled="the account stays offline")
        thread = threading.Thread(target=lambda: answers.append(ask("Password for robin")))
        thread.start()
        thread.join(0.3)
        assert thread.is_alive()  # no dialog can be shown yet: it waits, it does not fail

        def dialog(name: str, sentence: str) -> str:
            heard.append((name, sentence))
            return "secret"

        questions.prompts = Prompts(password=dialog)
        questions.ui_ready.set()
        thread.join(5)
        assert answers == ["secret"] and heard == [("demo", "Password for robin")]

    def test_a_cancelled_login_is_a_sentence(self, demo: Home) -> None:
        questions = Questions(Prompts(password=lambda name, sentence: None))
        questions.ui_ready.set()
        ask = questions.password_prompt(get_account(demo, "demo"), cancelled="nothing was sent")
        with pytest.raises(SmimeTuiError, match="^No password was given; nothing was sent.$"):
            ask("Password for robin")

    def test_without_a_dialog_nothing_is_answered(self, demo: Home) -> None:
        questions = Questions()
        questions.ui_ready.set()
        assert questions.sign_in(get_account(demo, "demo"), "no sign-in is saved") is False
        assert questions.passphrase("robin@example.org", 1) is None
        assert questions.pin("card", "", 1) is None


def test_a_session_is_built_around_its_account(demo: Home) -> None:
    session = session_of(demo, User())
    assert session.own_address.address == "robin@example.org"
    assert [f.name for f in session.list_folders()].count("INBOX") == 1
