"""The one protocol every mail store implements (IMAP, Maildir), and its value objects.

The TUI and the CLI are written against :class:`MailBackend` only.  Messages are addressed by
``(folder, uid)``; ``fetch_raw`` returns the original bytes because S/MIME verification needs them
exactly as they were sent.  Summaries for large folders come through :class:`FolderIndex`, which
decodes rows lazily so that a 100,000-message folder costs a few hundred bytes per message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol, runtime_checkable

# IMAP system flags, also used by the Maildir backend (mapped to the filename info letters).
SEEN = "\\Seen"
FLAGGED = "\\Flagged"
ANSWERED = "\\Answered"
DELETED = "\\Deleted"
DRAFT = "\\Draft"


class FolderRole(Enum):
    INBOX = "inbox"
    SENT = "sent"
    DRAFTS = "drafts"
    TRASH = "trash"
    JUNK = "junk"
    ARCHIVE = "archive"


# Well-known folder names (compared in lower case) for a folder whose role no server flag says:
# one table for IMAP (``imap_roles``, after RFC 6154 SPECIAL-USE) and Maildir.
ROLE_NAMES: dict[str, FolderRole] = {
    "sent": FolderRole.SENT,
    "sent items": FolderRole.SENT,
    "sent messages": FolderRole.SENT,
    "sent mail": FolderRole.SENT,
    "drafts": FolderRole.DRAFTS,
    "trash": FolderRole.TRASH,
    "deleted items": FolderRole.TRASH,
    "deleted messages": FolderRole.TRASH,
    "junk": FolderRole.JUNK,
    "spam": FolderRole.JUNK,
    "archive": FolderRole.ARCHIVE,
    "archives": FolderRole.ARCHIVE,
}


class SecurityHint(Enum):
    """What the message structure says, before any verification (for the list's badge)."""

    NONE = "none"
    SIGNED = "signed"
    ENCRYPTED = "encrypted"


@dataclass(frozen=True, slots=True)
class Folder:
    name: str  # the store's own name (IMAP mailbox name), used in calls
    display: str  # sanitised, for showing
    delimiter: str = "/"
    role: FolderRole | None = None
    unread: int | None = None
    total: int | None = None
    selectable: bool = True


@dataclass(frozen=True, slots=True)
class Summary:
    """One row of the message list; every string is sanitised."""

    uid: int
    date: datetime | None
    sender: str  # display name and address as shown in the list
    sender_addr: str  # addr-spec
    subject: str
    flags: frozenset[str]
    size: int = 0
    security: SecurityHint = SecurityHint.NONE
    has_attachments: bool = False
    message_id: str = ""
    in_reply_to: str = ""
    to: str = ""

    @property
    def seen(self) -> bool:
        return SEEN in self.flags

    @property
    def flagged(self) -> bool:
        return FLAGGED in self.flags


@runtime_checkable
class FolderIndex(Protocol):
    """A folder's message list in display order (position 0 is the first row)."""

    def __len__(self) -> int: ...

    def summary(self, position: int) -> Summary: ...

    def uid_at(self, position: int) -> int: ...

    def position_of(self, uid: int) -> int | None: ...


class ListIndex:
    """A FolderIndex over an in-memory list (Maildir, small folders, tests)."""

    def __init__(self, summaries: Sequence[Summary]) -> None:
        self._rows = list(summaries)
        self._pos = {s.uid: i for i, s in enumerate(self._rows)}

    def __len__(self) -> int:
        return len(self._rows)

    def summary(self, position: int) -> Summary:
        return self._rows[position]

    def uid_at(self, position: int) -> int:
        return self._rows[position].uid

    def position_of(self, uid: int) -> int | None:
        return self._pos.get(uid)


Progress = Callable[[int, int], None]  # (done, total)


@runtime_checkable
class MailBackend(Protocol):
    """A mail store.  Methods block (network, disk): the TUI calls them from workers only.

    Errors are :class:`smimetui.core.errors.BackendError` subclasses with sentences a user can
    act on.  Implementations must tolerate calls from one worker thread at a time.
    """

    def list_folders(self) -> list[Folder]: ...

    def open_folder(self, folder: str, progress: Progress | None = None) -> FolderIndex:
        """The folder's summaries, newest first (from the cache at once where there is one)."""
        ...

    def fetch_raw(self, folder: str, uid: int) -> bytes: ...

    def set_flags(
        self, folder: str, uids: Iterable[int], add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None: ...

    def copy(self, folder: str, uids: Iterable[int], dest: str) -> None: ...

    def move(self, folder: str, uids: Iterable[int], dest: str) -> None: ...

    def delete(self, folder: str, uids: Iterable[int], *, permanently: bool = False) -> str | None:
        """Move to the Trash folder and return its name; in Trash already, or with
        ``permanently``, flag deleted and expunge and return None.  Without a Trash folder,
        raise :class:`~smimetui.core.errors.NoTrashError` rather than remove anything for good
        (the caller asks, then calls again with ``permanently=True``)."""
        ...

    def expunge(self, folder: str) -> None: ...

    def append(self, folder: str, raw: bytes, flags: Iterable[str] = ()) -> int | None: ...

    def search(self, folder: str, text: str) -> list[int]:
        """UIDs of messages whose headers or body contain ``text``."""
        ...

    def folder_for_role(self, role: FolderRole) -> str | None: ...

    def close(self) -> None: ...
