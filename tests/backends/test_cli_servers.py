"""``smimetui folders|list|show|sync`` on Dovecot, Cyrus and Courier: what the user reads.

Courier sends no UIDNEXT in SELECT and has no SPECIAL-USE: its ``sync`` once reported 50 new
messages as "50 removed, 88 flag changes", and its INBOX.Trash had no role."""

from __future__ import annotations

import json
import random

import pytest

from smimetui.core.cli.main import main
from smimetui.core.home import Home
from tests.backends_local.test_factory import MemoryKeyring, memory_keyring  # noqa: F401

from .conftest import SERVERS, MailUser
from .messages import make_message
from .test_imap import other_client

pytestmark = [pytest.mark.dovecot, pytest.mark.servers(*SERVERS)]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def append(user: MailUser, count: int, first: int = 0) -> None:
    other = other_client(user)
    try:
        for i in range(first, first + count):
            other.append("INBOX", make_message(random.Random(i), i))
    finally:
        other.logout()


def test_folders_list_show_sync(
    home: Home,
    mail_user: MailUser,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    run(capsys, "account", "add", "work", "--email", f"{mail_user.name}@example.org",
        "--imap-host", "127.0.0.1", "--imap-port", str(mail_user.server.imap_port),
        "--imap-security", "none", "--username", mail_user.name)  # fmt: skip
    memory_keyring.set_password("smimetui", "account:work", mail_user.password)
    roles = {f["name"]: f["role"] for f in json.loads(run(capsys, "folders", "--json"))}
    assert roles[mail_user.box("Trash")] == "trash" and roles[mail_user.box("Sent")] == "sent"
    append(mail_user, 20)
    assert "INBOX: 20 messages" in run(capsys, "sync")
    append(mail_user, 50, first=20)
    assert "INBOX: 70 messages (50 new)" in run(capsys, "sync").splitlines()
    for _ in range(2):
        assert "INBOX: 70 messages, up to date" in run(capsys, "sync").splitlines()
    rows = json.loads(run(capsys, "list", "INBOX", "--json", "--limit", "2"))
    assert [r["uid"] for r in rows] == [70, 69]
    assert rows[0]["subject"].endswith("#69")
    shown = json.loads(run(capsys, "show", "70", "--json"))
    assert shown  # the same report as inspect; verified elsewhere
