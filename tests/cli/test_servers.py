"""``smimetui folders|list|show|sync|delete`` on Dovecot, Cyrus and Courier: what the user reads.

Courier sends no UIDNEXT in SELECT and has no SPECIAL-USE: its ``sync`` once reported 50 new
messages as "50 removed, 88 flag changes", and its INBOX.Trash had no role."""

from __future__ import annotations

import json
import random

import pytest

from smimetui.cli.main import main
from smimetui.core.settings.home import Home
from tests.support.keyring import MemoryKeyring, memory_keyring  # noqa: F401
from tests.support.messages import make_message
from tests.support.servers.imap import SERVERS, MailUser, other_client, server_flags

pytestmark = [pytest.mark.dovecot, pytest.mark.servers(*SERVERS)]


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    got = main(list(argv))
    out, err = capsys.readouterr()
    assert got == code, err
    return out if code == 0 else err


def add_account(
    capsys: pytest.CaptureFixture[str],
    user: MailUser,
    keys: MemoryKeyring,
) -> None:
    run(capsys, "account", "add", "work", "--email", f"{user.name}@example.org",
        "--imap-host", "127.0.0.1", "--imap-port", str(user.server.imap_port),
        "--imap-security", "none", "--username", user.name)  # fmt: skip
    keys.set_password("smimetui", "account:work", user.password)


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
    add_account(capsys, mail_user, memory_keyring)
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


def test_delete_says_where_it_went(
    home: Home,
    mail_user: MailUser,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    add_account(capsys, mail_user, memory_keyring)
    append(mail_user, 3)
    trash = mail_user.box("Trash")
    assert run(capsys, "delete", "2") == f"Moved 1 message(s) from INBOX to {trash}.\n"
    assert run(capsys, "delete", "1", "--folder", trash) == (
        f"Deleted 1 message(s) from {trash} for good.\n"
    )
    assert sorted(server_flags(mail_user)) == [1, 3]
    assert server_flags(mail_user, trash) == {}


@pytest.mark.servers("cyrus", "courier")
def test_delete_without_trash_deletes_nothing_unless_permanently(
    home: Home,
    user_without_trash: MailUser,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    add_account(capsys, user_without_trash, memory_keyring)
    append(user_without_trash, 2)
    err = run(capsys, "delete", "1", code=2)
    assert err.count("\n") == 1 and "no Trash folder" in err and "--permanently" in err
    assert sorted(server_flags(user_without_trash)) == [1, 2]
    out = run(capsys, "delete", "1", "--permanently")
    assert out == "Deleted 1 message(s) from INBOX for good.\n"
    assert sorted(server_flags(user_without_trash)) == [2]
