"""Fixtures for the mail session (core/session): the demo home (a real Maildir, keystore, trust
store and contacts), an empty in-memory keyring, and a user who answers from a list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smimetui.core.demo.home import DEMO_PASSPHRASE, ensure_demo_home
from smimetui.core.session.mail_session import MailSession, open_session
from smimetui.core.session.questions import Prompts
from smimetui.core.settings.accounts import get_account
from smimetui.core.settings.home import Home
from tests.support.keyring import MemoryKeyring, memory_keyring  # noqa: F401

RIGHT = DEMO_PASSPHRASE.encode("utf-8")


class User:
    """Answers passphrase questions from ``answers`` in order (None: cancel), and notes each
    question as (the ID's label, the attempt)."""

    def __init__(self, *answers: bytes | None) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, int]] = []

    def __call__(self, label: str, attempt: int) -> bytes | None:
        self.asked.append((label, attempt))
        return self.answers.pop(0) if self.answers else None


@pytest.fixture
def demo(tmp_path: Path, memory_keyring: MemoryKeyring) -> Iterator[Home]:  # noqa: F811
    """A fresh demo home; the keyring is empty, so passphrases come from the user."""
    home = Home.at(tmp_path / "demo")
    ensure_demo_home(home)
    yield home


def session_of(home: Home, user: User) -> MailSession:
    session = open_session(home, get_account(home, "demo"), demo=True)
    session.questions.prompts = Prompts(passphrase=user)
    session.questions.ui_ready.set()
    return session


def uid_of(session: MailSession, prefix: str, folder: str = "INBOX") -> int:
    index = session.open_folder(folder)
    for position in range(len(index)):
        if index.summary(position).subject.startswith(prefix):
            return index.uid_at(position)
    raise AssertionError(f"no message with subject {prefix!r} in {folder}")
