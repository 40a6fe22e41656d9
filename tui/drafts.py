"""Drafts: store the compose form (encrypted to yourself when it is to be encrypted), turn a
stored draft back into a form, and drop the draft once the message was sent.

The functions block (crypto, the mail store): call them from workers.
"""

from __future__ import annotations

from typing import Any

from smimetui.core.backends.base import DELETED, DRAFT, SEEN, FolderRole
from smimetui.core.smime.report import SecurityReport
from smimetui.tui.outgoing import OutgoingMail, WriteContext, self_recipient, to_rfc5322


def drafts_folder(session: Any) -> str:
    from smimetui.core.outbox import folder_for

    return folder_for(session.account, session.backend, FolderRole.DRAFTS)


def save_draft(
    ctx: WriteContext, mail: OutgoingMail, previous: int | None, *, encrypt: bool | None = None
) -> tuple[str, int | None]:
    """Store the draft, replacing ``previous``; returns (folder, uid of the new draft).

    It is encrypted to yourself when the message is to be encrypted, or when ``encrypt`` says so.
    """
    from smimetui.core.smime.compose import ComposeOptions, compose

    session = ctx.session
    raw = to_rfc5322(mail)
    if mail.encrypt if encrypt is None else encrypt:
        options = ComposeOptions(sign=False, encrypt=True, protect_headers=True)
        raw = compose(raw, recipients=[self_recipient(ctx)], options=options).data
    folder = drafts_folder(session)
    with session._lock:
        uid = session.backend.append(folder, raw, [DRAFT, SEEN])
        if previous is not None:
            session.backend.set_flags(folder, [previous], add=[DELETED])
            session.backend.expunge(folder)
    return folder, uid


def discard_draft(session: Any, uid: int) -> None:
    """Remove a draft (it was sent)."""
    folder = drafts_folder(session)
    with session._lock:
        session.backend.set_flags(folder, [uid], add=[DELETED])
        session.backend.expunge(folder)


def mail_from_draft(report: SecurityReport, from_header: str, *, sign: bool) -> OutgoingMail:
    """The compose form for a stored draft, as it was displayed (decrypted if it was encrypted).

    An encrypted draft stays encrypted, and switching encryption off asks first, as for a reply
    to encrypted mail.  Bcc is not restored: the report carries no Bcc.
    """
    encrypted = report.encryption is not None
    return OutgoingMail(
        from_header=from_header,
        to=report.to,
        cc=report.cc,
        subject=report.subject,
        body=report.text,
        sign=sign,
        encrypt=encrypted,
        in_reply_to=report.in_reply_to,
        references=report.references,
        attachments=report.attachments,
        reply_to_encrypted=encrypted,
    )
