"""Backend/sender construction and the password sources, in their order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from smimetui.core.errors import ConfigError, SecretStoreError
from smimetui.core.mail.factory import PasswordSource, open_backend, open_sender
from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.settings.accounts import Account
from smimetui.core.settings.home import Home
from smimetui.core.write.outbox import send_and_save
from tests.support.keyring import MemoryKeyring
from tests.support.servers.smtp import PASSWORD, USER, SmtpServers

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def no_keyring() -> Iterator[None]:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def imap(**kw: object) -> Account:
    values: dict[str, object] = {
        "name": "work",
        "email": "alice@example.org",
        "imap_host": "imap.example.org",
        "username": USER,
    }
    values.update(kw)
    return Account(**values)  # type: ignore[arg-type]


class TestPasswordSource:
    def test_command_wins(self, memory_keyring: MemoryKeyring) -> None:
        memory_keyring.set_password("smimetui", "account:work", "from-keyring")
        source = PasswordSource(imap(password_command="echo from-command"), lambda _: "asked")
        assert source() == "from-command"

    def test_keyring_before_prompt(self, memory_keyring: MemoryKeyring) -> None:
        memory_keyring.set_password("smimetui", "account:work", "from-keyring")
        assert PasswordSource(imap(), lambda _: "asked")() == "from-keyring"

    def test_prompt_asked_once(self, memory_keyring: MemoryKeyring) -> None:
        questions: list[str] = []
        source = PasswordSource(imap(), lambda q: questions.append(q) or "asked")
        assert source() == source() == "asked"
        assert questions == ["Password for alice at imap.example.org (account work)"]
        source.forget()
        source()
        assert len(questions) == 2

    def test_no_keyring_uses_prompt(self, no_keyring: None) -> None:
        assert PasswordSource(imap(), lambda _: "asked")() == "asked"

    def test_no_keyring_no_prompt_says_so(self, no_keyring: None) -> None:
        with pytest.raises(SecretStoreError, match="no system keyring is available"):
            PasswordSource(imap())()

    def test_nothing_stored(self, memory_keyring: MemoryKeyring) -> None:
        with pytest.raises(SecretStoreError, match="account password work"):
            PasswordSource(imap())()

    def test_empty_answer(self, no_keyring: None) -> None:
        with pytest.raises(SecretStoreError, match="No password was given"):
            PasswordSource(imap(), lambda _: "")()

    def test_failing_command(self, memory_keyring: MemoryKeyring) -> None:
        with pytest.raises(SecretStoreError, match="failed"):
            PasswordSource(imap(password_command="false"))()


class TestOpen:
    def test_local_account(self, home: Home, tmp_path: Path) -> None:
        MaildirBackend(tmp_path / "m", create=True)
        backend = open_backend(Account("l", "l@example.org", maildir=str(tmp_path / "m")), home)
        assert isinstance(backend, MaildirBackend)

    def test_sender_needs_smtp_host(self) -> None:
        with pytest.raises(ConfigError, match="no SMTP server"):
            open_sender(imap())

    def test_sender_with_keyring_password_sends(
        self, memory_keyring: MemoryKeyring, smtp: SmtpServers, tmp_path: Path
    ) -> None:
        memory_keyring.set_password("smimetui", "account:work", PASSWORD)
        account = imap(
            smtp_host="127.0.0.1",
            smtp_port=smtp.starttls,
            smtp_security="starttls",
            ca_file=str(smtp.ca_file),
        )
        backend = MaildirBackend(tmp_path / "m", create=True)
        raw = b"Subject: k\r\n\r\nx\r\n"
        send_and_save(account, backend, open_sender(account), raw, ["b@x.org"])
        assert smtp.recorder.received[0][2] == raw
