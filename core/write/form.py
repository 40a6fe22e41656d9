"""The compose form as a value: what the user wrote, replies and forwards, attachments, and the
RFC 5322 draft it becomes.  Replies and forwards quote only the displayed text of the report
(what the user saw), never raw MIME.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path

from smimetui.core.errors import InputError
from smimetui.core.read.report import Attachment, SecurityReport


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    from_header: str
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    sign: bool = True
    encrypt: bool = False
    in_reply_to: str = ""
    references: str = ""
    attachments: tuple[Attachment, ...] = ()
    reply_to_encrypted: bool = False  # replying to encrypted mail: unencrypted needs a yes

    @property
    def recipients(self) -> list[str]:
        pairs = getaddresses([self.to, self.cc, self.bcc])
        return list(dict.fromkeys(addr for _, addr in pairs if addr))


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.rstrip("\n").split("\n"))


def _prefixed(prefix: str, subject: str) -> str:
    return subject if subject.lower().startswith(prefix.lower()) else f"{prefix} {subject}"


def reply_to(
    report: SecurityReport, me: str, from_header: str, *, to_all: bool, sign: bool
) -> OutgoingMail:
    """A reply quoting only what was displayed; encrypted originals start encrypted."""
    target = report.reply_to or report.from_display or report.from_addr
    cc = ""
    if to_all:
        mine = me.lower()
        others = [
            f"{name} <{addr}>" if name else addr
            for name, addr in getaddresses([report.to, report.cc])
            if addr and addr.lower() != mine and addr.lower() != report.from_addr.lower()
        ]
        cc = ", ".join(dict.fromkeys(others))
    who = report.from_display or report.from_addr
    body = f"\n\n{who} wrote ({report.date}):\n{_quote(report.text)}\n" if report.text else ""
    mid = report.message_id
    refs = " ".join(x for x in (report.references, mid) if x)
    encrypted = report.encryption is not None
    return OutgoingMail(
        from_header=from_header,
        to=target,
        cc=cc,
        subject=_prefixed("Re:", report.subject),
        body=body,
        sign=sign or report.signature is not None,
        encrypt=encrypted,
        in_reply_to=mid,
        references=refs,
        reply_to_encrypted=encrypted,
    )


def forward(report: SecurityReport, from_header: str, *, sign: bool) -> OutgoingMail:
    header = (
        "\n\n---------- Forwarded message ----------\n"
        f"From: {report.from_display}\nDate: {report.date}\nSubject: {report.subject}\n"
        f"To: {report.to}\n\n"
    )
    encrypted = report.encryption is not None
    return OutgoingMail(
        from_header=from_header,
        subject=_prefixed("Fwd:", report.subject),
        body=header + report.text,
        sign=sign,
        encrypt=encrypted,
        attachments=report.attachments,
        reply_to_encrypted=encrypted,
    )


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


def attach_file(mail: OutgoingMail, path: str) -> OutgoingMail:
    file = Path(path).expanduser()
    try:
        data = file.read_bytes()
    except OSError as err:
        raise InputError(
            f"{file} cannot be attached: {err.strerror}.", title="Cannot attach"
        ) from err
    ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    item = Attachment(file.name, ctype, len(data), data)
    return replace(mail, attachments=(*mail.attachments, item))


def to_rfc5322(mail: OutgoingMail, *, now: dt.datetime | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = mail.from_header
    for name, value in (("To", mail.to), ("Cc", mail.cc), ("Bcc", mail.bcc)):
        if value.strip():
            msg[name] = value
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = make_msgid(domain=mail.from_header.rpartition("@")[2].strip(">") or None)
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        msg["References"] = mail.references
    msg.set_content(mail.body)
    for item in mail.attachments:
        maintype, _, subtype = item.content_type.partition("/")
        msg.add_attachment(
            item.data, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename
        )
    return msg.as_bytes()
