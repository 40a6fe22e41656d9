"""Which IMAP folder is Sent, Drafts, Trash, Junk, Archive.

RFC 6154 SPECIAL-USE flags (``\\Trash`` in LIST) decide first.  Only for a role that no folder
carries a flag for, a folder whose last name part is a well-known name ("Trash", "Deleted
Items", ...) takes it: the last part after the server's own hierarchy delimiter, so that
Courier's ``INBOX.Trash`` is the Trash folder.  A name match is taken only at the top level or
right below INBOX (Courier, Cyrus without altnamespace), never deeper (``Projects/Trash`` is a
project's folder), and the first listed wins when several match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from smimetui.core.mail.base import ROLE_NAMES, FolderRole

ROLE_FLAGS = {
    b"\\sent": FolderRole.SENT,
    b"\\drafts": FolderRole.DRAFTS,
    b"\\trash": FolderRole.TRASH,
    b"\\junk": FolderRole.JUNK,
    b"\\archive": FolderRole.ARCHIVE,
    b"\\all": FolderRole.ARCHIVE,
}

# (name, LIST flags, delimiter) as the server listed them; the delimiter is None for a flat
# namespace (LIST answers NIL).
Listed = tuple[str, Sequence[bytes], str | None]


def delimiter_text(delim: bytes | str | None) -> str | None:
    """The hierarchy delimiter as text (imapclient gives bytes; ``str(b".")`` is "b'.'")."""
    if isinstance(delim, bytes):
        return delim.decode("ascii", "replace") or None
    return delim or None


def role_by_flags(name: str, flags: Iterable[bytes]) -> FolderRole | None:
    if name.upper() == "INBOX":
        return FolderRole.INBOX
    for flag in flags:
        role = ROLE_FLAGS.get(flag.lower())
        if role is not None:
            return role
    return None


def role_by_name(name: str, delimiter: str | None) -> FolderRole | None:
    parts = name.split(delimiter) if delimiter else [name]
    if len(parts) == 2 and parts[0].upper() == "INBOX":
        parts = parts[1:]  # INBOX.Trash (Courier), INBOX/Trash
    if len(parts) != 1:
        return None
    return ROLE_NAMES.get(parts[0].lower())


def assign_roles(listed: Sequence[Listed]) -> list[FolderRole | None]:
    """The role of each listed folder, in order; each role goes to one folder at most."""
    roles = [role_by_flags(name, flags) for name, flags, _ in listed]
    taken = {r for r in roles if r is not None}
    for i, (name, _, delimiter) in enumerate(listed):
        if roles[i] is not None:
            continue
        role = role_by_name(name, delimiter)
        if role is not None and role not in taken:
            roles[i] = role
            taken.add(role)
    return roles
