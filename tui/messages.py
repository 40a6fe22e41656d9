"""App-level events: facts that a worker reports back to the UI, named in the past tense.

Workers run in threads and must never touch widgets; they ``post_message`` one of these (which is
thread-safe) and the screen that owns the widgets handles it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from smimetui.core.mail.base import Folder, FolderIndex
from smimetui.core.read.harvest import SignerRecord
from smimetui.core.read.report import SecurityReport

if TYPE_CHECKING:
    from smimetui.core.directory.lookup import Found
    from smimetui.core.pki.contacts import CertificateChange


@dataclass
class FoldersLoaded(Message):
    folders: list[Folder]


@dataclass
class FolderOpened(Message):
    folder: str
    index: FolderIndex


@dataclass
class FolderFilling(Message):
    """Rows to show before the folder is up to date: what the cache holds (at once), or a
    cold sync's rows so far, newest first (after each batch).

    ``shown``, when given, is set once the rows are on screen (the sync waits for it after its
    first batch, so that parsing the rest does not compete with drawing the first rows)."""

    folder: str
    index: FolderIndex
    shown: threading.Event | None = None

    def can_replace(self, message: Message) -> bool:
        # Bursty too: a newer index holds everything an older one does.
        return isinstance(message, FolderFilling) and message.folder == self.folder


@dataclass
class FolderProgressed(Message):
    """A long folder sync moved on: ``done`` of ``total`` messages."""

    folder: str
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        # Bursty progress: only the newest one matters.
        return isinstance(message, FolderProgressed) and message.folder == self.folder


@dataclass
class MailChanged(Message):
    """The server reported new, expunged or changed messages in ``folder`` (IMAP IDLE)."""

    folder: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, MailChanged) and message.folder == self.folder


@dataclass
class MessageLoaded(Message):
    """A message was fetched and inspected (decrypted, verified) for display."""

    folder: str
    uid: int
    raw: bytes
    report: SecurityReport
    signer: SignerRecord | None = None  # the signer's certificate in the contacts


@dataclass
class SecurityInspected(Message):
    """Background verification of a list row finished (for the badge only)."""

    folder: str
    uid: int
    report: SecurityReport


@dataclass
class CertificateImported(Message):
    """A sender's certificate was stored; ``summary`` says what, in words."""

    summary: str


@dataclass
class RootTrusted(Message):
    summary: str


@dataclass
class MessagesMoved(Message):
    folder: str
    uids: tuple[int, ...]
    dest: str  # display name of the destination (the Trash folder's for deletes)
    for_good: bool = False  # deleted, not moved: expunged in Trash or confirmed without one


@dataclass
class MessageSent(Message):
    summary: str


@dataclass
class DraftSaved(Message):
    folder: str
    encrypted: bool
    edits: int = 0  # the compose form's edit count that was saved
    close: bool = False  # the screen closes now (saved on leaving)


@dataclass
class DraftOpened(Message):
    """A stored draft was read back (decrypted if needed) to continue writing it."""

    folder: str
    uid: int
    report: SecurityReport


@dataclass
class RecipientsChecked(Message):
    """Per-recipient certificate availability, one line per recipient, for the compose pane."""

    lines: tuple[tuple[str, bool], ...]  # (text, usable)
    generation: int
    missing: tuple[str, ...] = ()  # recipients without a usable certificate


@dataclass
class DirectoryLookedUp(Message):
    """Certificate directories answered for recipients without a usable certificate."""

    found: dict[str, list[Found]]  # per address, usable first (empty: no entry)


@dataclass
class DirectoryImported(Message):
    """Usable directory certificates were stored; ``changes`` wait for the user's yes."""

    summary: str
    changes: list[CertificateChange]


@dataclass
class SearchFinished(Message):
    folder: str
    text: str
    uids: list[int]
