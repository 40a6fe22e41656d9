"""App-level events: facts that a worker reports back to the UI, named in the past tense.

Workers run in threads and must never touch widgets; they ``post_message`` one of these (which is
thread-safe) and the screen that owns the widgets handles it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from smimetui.core.backends.base import Folder, FolderIndex
from smimetui.core.smime.report import SecurityReport


@dataclass
class FoldersLoaded(Message):
    folders: list[Folder]


@dataclass
class FolderOpened(Message):
    folder: str
    index: FolderIndex


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
class MessageLoaded(Message):
    """A message was fetched and inspected (decrypted, verified) for display."""

    folder: str
    uid: int
    raw: bytes
    report: SecurityReport


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
    dest: str  # display name of the destination ("Trash" for deletes)


@dataclass
class MessageSent(Message):
    summary: str


@dataclass
class DraftSaved(Message):
    folder: str
    encrypted: bool


@dataclass
class RecipientsChecked(Message):
    """Per-recipient certificate availability, one line per recipient, for the compose pane."""

    lines: tuple[tuple[str, bool], ...]  # (text, usable)
    generation: int


@dataclass
class SearchFinished(Message):
    folder: str
    text: str
    uids: list[int]
