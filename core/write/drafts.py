"""Drafts in the account's Drafts folder: stored encrypted to yourself when the message is to be
encrypted, replaced on each save, dropped once the message was sent.

Blocking (crypto, the mail store): call from workers.
"""

from __future__ import annotations

from smimetui.core.mail.base import DELETED, DRAFT, SEEN, FolderRole
from smimetui.core.write.form import OutgoingMail, to_rfc5322
from smimetui.core.write.outbox import folder_for
from smimetui.core.write.send import Writer, self_recipient
from smimetui.core.write.sign_encrypt import ComposeOptions, compose


def drafts_folder(writer: Writer) -> str:
    return folder_for(writer.account, writer.store(), FolderRole.DRAFTS)


def save_draft(
    writer: Writer, mail: OutgoingMail, previous: int | None, *, encrypt: bool | None = None
) -> tuple[str, int | None]:
    """Store the draft, replacing ``previous``; returns (folder, uid of the new draft).

    It is encrypted to yourself when the message is to be encrypted, or when ``encrypt`` says so.
    """
    raw = to_rfc5322(mail)
    if mail.encrypt if encrypt is None else encrypt:
        options = ComposeOptions(sign=False, encrypt=True, protect_headers=True)
        raw = compose(raw, recipients=[self_recipient(writer)], options=options).data
    folder = drafts_folder(writer)
    backend = writer.store()
    with writer.lock:
        uid = backend.append(folder, raw, [DRAFT, SEEN])
        if previous is not None:
            backend.set_flags(folder, [previous], add=[DELETED])
            backend.expunge(folder)
    return folder, uid


def discard_draft(writer: Writer, uid: int) -> None:
    """Remove a draft (it was sent)."""
    folder = drafts_folder(writer)
    backend = writer.store()
    with writer.lock:
        backend.set_flags(folder, [uid], add=[DELETED])
        backend.expunge(folder)
