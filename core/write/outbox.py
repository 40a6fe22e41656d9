"""Send a finished message and keep it: the Sent copy on success, a draft on failure.

The bytes saved to Sent are exactly the bytes that went to the SMTP server (line endings made
CRLF once, before both), so a signature in the Sent copy verifies just as the recipients' does.
When sending fails, the message goes to Drafts and the error says so: nothing the user wrote is
lost.  Encrypted drafts are whatever the write path produced (encrypted to self).

Encrypted mail with Bcc goes out as several copies (see ``compose``): the To/Cc copy first, then
each Bcc recipient's own copy.  The To/Cc copy is the one saved to Sent; a Bcc copy that fails
after others went out is named in the error, the rest still go out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from smimetui.core.errors import BackendError, PartlySentError, SendError, SmimeTuiError
from smimetui.core.mail.base import DRAFT, SEEN, FolderRole, MailBackend
from smimetui.core.mail.smtp import crlf
from smimetui.core.settings.accounts import Account
from smimetui.core.write.sign_encrypt import Copy


class Sender(Protocol):
    def send(self, raw: bytes, mail_from: str, rcpt_to: Sequence[str]) -> None: ...


def folder_for(account: Account, backend: MailBackend, role: FolderRole) -> str:
    """The account's override, else the folder with the role, else the usual name."""
    override = {FolderRole.SENT: account.sent_folder, FolderRole.DRAFTS: account.drafts_folder}
    if override.get(role):
        return override[role]
    return backend.folder_for_role(role) or role.value.capitalize()


def send_and_save(
    account: Account,
    backend: MailBackend,
    sender: Sender,
    raw: bytes,
    recipients: Sequence[str],
    *,
    bcc_copies: Sequence[Copy] = (),
) -> None:
    """Send ``raw`` to ``recipients`` (and each Bcc copy to its recipient) from the account's
    address, then file ``raw`` as the Sent copy."""
    wire = crlf(raw)
    pending = [(wire, tuple(recipients))] if recipients or not bcc_copies else []
    pending += [(crlf(c.data), c.envelope_to) for c in bcc_copies]
    failed: list[tuple[str, SendError]] = []
    for number, (data, rcpt_to) in enumerate(pending):
        try:
            sender.send(data, account.email, rcpt_to)
        except SendError as err:
            if number == 0:  # nothing went out yet: keep it all as a draft
                raise _kept_as_draft(account, backend, wire, err) from err
            failed.append((", ".join(rcpt_to), err))
    _save_sent(account, backend, wire)
    if failed:
        who, first = failed[0]
        others = f" (and {len(failed) - 1} more Bcc copies)" if len(failed) > 1 else ""
        raise PartlySentError(
            f"The message was sent and saved, but the separate copy for the Bcc recipient {who}"
            f"{others} could not be sent: {first.one_line()}"
        )


def _save_sent(account: Account, backend: MailBackend, wire: bytes) -> None:
    sent = folder_for(account, backend, FolderRole.SENT)
    try:
        backend.append(sent, wire, [SEEN])
    except SmimeTuiError as err:
        raise BackendError(
            f"The message was sent, but the copy could not be saved to {sent!r}: {err.one_line()}",
            title="Sent, not saved",
        ) from err


def _kept_as_draft(
    account: Account, backend: MailBackend, wire: bytes, err: SendError
) -> SendError:
    drafts = folder_for(account, backend, FolderRole.DRAFTS)
    reason = err.one_line().rstrip(".")
    try:
        backend.append(drafts, wire, [DRAFT])
    except SmimeTuiError as save_err:
        return SendError(
            f"{reason}. The draft could not be saved to {drafts!r} either "
            f"({save_err.one_line().rstrip('.')}); the message is still open, do not close it.",
            title=err.title,
        )
    return SendError(
        f"{reason}. The message was kept as a draft in {drafts!r}.",
        title=err.title,
    )


class LocalOutbox:
    """A sender for the demo and offline use: 'sending' delivers into a local Outbox folder.

    Each message is stored with its envelope in ``X-Smimetui-Envelope-*`` lines prepended to a
    copy, so a test or the user can see where it would have gone.
    """

    def __init__(self, backend: MailBackend, folder: str = "Outbox") -> None:
        self.backend = backend
        self.folder = folder

    def send(self, raw: bytes, mail_from: str, rcpt_to: Sequence[str]) -> None:
        if not rcpt_to:
            raise SendError("The message has no recipients; add at least one To, Cc or Bcc.")
        envelope = f"X-Smimetui-Envelope-From: {mail_from}\r\n"
        envelope += "".join(f"X-Smimetui-Envelope-To: {r}\r\n" for r in rcpt_to)
        try:
            self.backend.append(self.folder, envelope.encode("utf-8") + raw, [])
        except SmimeTuiError as err:
            reason = err.one_line()
            raise SendError(f"The local outbox could not take the message: {reason}") from err
