"""Folder roles: SPECIAL-USE first, else the name after the server's real delimiter."""

from __future__ import annotations

from smimetui.core.mail.base import FolderRole
from smimetui.core.mail.imap.roles import Listed, assign_roles, delimiter_text


def roles(listed: list[Listed]) -> dict[str, FolderRole | None]:
    return {name: role for (name, _, _), role in zip(listed, assign_roles(listed), strict=True)}


def test_delimiter_from_bytes_is_text() -> None:
    assert delimiter_text(b".") == "."  # str(b".") would be "b'.'"
    assert delimiter_text("/") == "/"
    assert delimiter_text(None) is None and delimiter_text(b"") is None


def test_courier_names_below_inbox() -> None:
    found = roles(
        [
            ("INBOX", [], "."),
            ("INBOX.Trash", [], "."),
            ("INBOX.Sent", [], "."),
            ("INBOX.Projects.Trash", [], "."),  # a project's folder, not the Trash
        ]
    )
    assert found == {
        "INBOX": FolderRole.INBOX,
        "INBOX.Trash": FolderRole.TRASH,
        "INBOX.Sent": FolderRole.SENT,
        "INBOX.Projects.Trash": None,
    }


def test_special_use_wins_over_a_name() -> None:
    found = roles([("Trash", [], "/"), ("Bin", [b"\\Trash"], "/"), ("Deleted Items", [], "/")])
    assert found == {"Trash": None, "Bin": FolderRole.TRASH, "Deleted Items": None}


def test_first_name_match_only_and_no_delimiter() -> None:
    found = roles([("Trash", [], None), ("Deleted Messages", [], None), ("Work/Trash", [], "/")])
    assert found == {"Trash": FolderRole.TRASH, "Deleted Messages": None, "Work/Trash": None}
