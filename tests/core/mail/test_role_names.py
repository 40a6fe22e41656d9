"""One table of well-known folder names: IMAP (without SPECIAL-USE) and Maildir agree on every
name, including the ones only one of them knew before ("Sent Mail", "Archives")."""

from __future__ import annotations

from pathlib import Path

import pytest

from smimetui.core.mail.base import ROLE_NAMES, FolderRole
from smimetui.core.mail.imap.roles import assign_roles, role_by_name
from smimetui.core.mail.maildir.backend import MaildirBackend


def _title(name: str) -> str:
    return " ".join(word.capitalize() for word in name.split(" "))


@pytest.mark.parametrize("name", sorted(ROLE_NAMES))
def test_imap_and_maildir_give_a_name_the_same_role(name: str, tmp_path: Path) -> None:
    folder = _title(name)  # as a server or a mail program would spell it
    backend = MaildirBackend(tmp_path / "Mail", create=True)
    backend.create_folder(folder)
    roles = {f.name: f.role for f in backend.list_folders()}
    assert roles[folder] is ROLE_NAMES[name]
    assert role_by_name(folder, "/") is ROLE_NAMES[name]
    assert role_by_name(f"INBOX.{folder}", ".") is ROLE_NAMES[name]  # Courier's namespace


def test_a_flag_still_wins_over_a_name() -> None:
    listed = [("Archives", [], "/"), ("All Mail", [b"\\All"], "/")]
    assert assign_roles(listed) == [None, FolderRole.ARCHIVE]


def test_unknown_names_have_no_role(tmp_path: Path) -> None:
    backend = MaildirBackend(tmp_path / "Mail", create=True)
    backend.create_folder("Sent Stuff")
    assert {f.name: f.role for f in backend.list_folders()}["Sent Stuff"] is None
    assert role_by_name("Projects/Trash", "/") is None  # deeper than the top: a project's folder
