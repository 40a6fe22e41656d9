"""What the mailbox shows: the folder and the open message.

The mailbox screen owns one ``MailboxState`` and hands it to its components (folder view,
reader, search, flags, moves, certificates, attachments): the folder view and the reader write
it, the others read it.  One plain object in place of attributes that mixins shared by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from smimetui.core.read.report import SecurityReport


@dataclass(slots=True)
class MailboxState:
    folder: str | None = None  # the folder opened (or opening)
    report: SecurityReport | None = None  # the open message's, if any
    raw: bytes = b""  # its bytes as they arrived
    report_uid: int | None = None  # its uid in ``folder``

    def open_message(self, report: SecurityReport, raw: bytes, uid: int) -> None:
        self.report, self.raw, self.report_uid = report, raw, uid
