"""Outgoing mail for the compose screen: the form as a value, reply/forward, build, send.

Blocking work (unlocking the signing key, encryption, SMTP, the mail store) happens in the
functions at the bottom, called from workers.  Replies and forwards quote only the displayed
text of the report (what the user saw), never raw MIME.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from dataclasses import dataclass, replace
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Any

from smimetui.core.errors import (
    IdentityError,
    InputError,
    NoPassphraseError,
    RecipientCertificateError,
)
from smimetui.core.smime.report import Attachment, SecurityReport


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


@dataclass(frozen=True, slots=True)
class RecipientLine:
    address: str
    ok: bool
    reason: str = ""

    @property
    def text(self) -> str:
        return (
            f"✓ {self.address}: {self.reason or 'certificate available'}"
            if self.ok
            else f"✗ {self.address}: {self.reason}"
        )


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


# -- blocking work (workers only) --------------------------------------------------------------
@dataclass
class WriteContext:
    """What the write path needs from the session: the account's bindings and the session's
    one passphrase cache.  Choosing IDs and recipients is core's (``outgoing.prepare``).

    The account may bind a signing ID and an encryption ID (``signing_id`` / ``encryption_id``,
    fingerprint prefixes; they may differ); without a binding the newest valid ID for the From
    address that can do the job is used.
    """

    session: Any

    def binding(self, purpose: str) -> str:
        setting = "signing_id" if purpose == "sign" else "encryption_id"
        return str(getattr(self.session.account, setting, "") or "")

    def identity(self, purpose: str = "sign") -> Any:
        """The digital ID for ``purpose`` ("sign" or "encrypt"); IdentityError if there is none."""
        from smimetui.core.smime.keystore import Keystore
        from smimetui.core.smime.outgoing import bound_identity

        return bound_identity(
            Keystore(self.session.home),
            self.binding(purpose),
            self.session.identity.address,
            purpose=purpose,
        )

    @property
    def include_certs(self) -> bool:
        return bool(getattr(self.session.account, "include_certs", True))


def _validator(session: Any) -> Any:
    from smimetui.core.smime.trust import ChainValidator, TrustStore

    return ChainValidator(TrustStore(session.home))


def recipient_lines(session: Any, addresses: list[str]) -> list[RecipientLine]:
    from smimetui.core.contacts import Contacts
    from smimetui.core.smime.recipients import choose_recipients

    book = Contacts(session.home)
    validator = _validator(session)
    me = session.identity.address.lower()
    lines = []
    for address in addresses:
        if address.lower() == me:
            lines.append(_self_line(WriteContext(session), address))
            continue
        try:
            choose_recipients([address], book, validator=validator)
            lines.append(RecipientLine(address, True))
        except RecipientCertificateError as err:
            reason = err.message.split(f"{address.lower()}: ", 1)[-1].rstrip(".")
            lines.append(RecipientLine(address, False, reason))
    return lines


def _self_line(ctx: WriteContext, address: str) -> RecipientLine:
    """You are a recipient: your own encryption ID serves (as for the copy to yourself)."""
    try:
        ctx.identity("encrypt")
    except IdentityError as err:
        return RecipientLine(address, False, err.message.rstrip("."))
    return RecipientLine(address, True, "your own digital ID")


def self_recipient(ctx: WriteContext) -> Any:
    from smimetui.core.smime.encrypt import Recipient

    ident = ctx.identity("encrypt")
    return Recipient("yourself", ident.load_cert(), is_self=True)


def build(ctx: WriteContext, mail: OutgoingMail) -> Any:
    """The finished message (signed and/or encrypted as asked), through core's one write path
    (``outgoing.prepare``, as ``smimetui sign/encrypt/send``); raises naming every problem."""
    from smimetui.core.smime.compose import ComposeOptions
    from smimetui.core.smime.sign import SignOptions

    if not mail.recipients:
        raise InputError("Add at least one recipient in To, Cc or Bcc.", title="No recipients")
    options = ComposeOptions(sign_options=SignOptions(include_certs=ctx.include_certs))
    try:
        return _prepare(ctx, mail, options)
    except NoPassphraseError as err:
        raise NoPassphraseError(
            "Not sent: your digital ID stayed locked (no passphrase was given). Send again "
            "(ctrl+g) to be asked, or turn signing off (ctrl+s).",
            title="Not sent",
        ) from err


def _prepare(ctx: WriteContext, mail: OutgoingMail, options: Any) -> Any:
    from smimetui.core.smime.outgoing import Outgoing, prepare

    return prepare(
        ctx.session.home,
        to_rfc5322(mail),
        Outgoing(sign=mail.sign, encrypt=mail.encrypt, options=options),
        passphrases=ctx.session.passphrases,
        validator=_validator(ctx.session),
        signing_id=ctx.binding("sign"),
        encryption_id=ctx.binding("encrypt"),
    )


def send(ctx: WriteContext, mail: OutgoingMail) -> str:
    from smimetui.core.outbox import LocalOutbox, send_and_save

    composed = build(ctx, mail)
    session = ctx.session
    if session.demo or not getattr(session.account, "smtp_host", ""):
        sender: Any = LocalOutbox(session.backend)
        where = "the local Outbox folder"
    else:
        from smimetui.core.backends.factory import open_sender

        sender = open_sender(session.account)
        where = session.account.smtp_host
    from smimetui.core.errors import PartlySentError

    partly = ""
    with session._lock:
        try:
            send_and_save(
                session.account,
                session.backend,
                sender,
                composed.data,
                composed.envelope_to,
                bcc_copies=composed.bcc_copies,
            )
        except PartlySentError as err:  # it went out: closing the screen keeps it from going twice
            partly = " " + err.one_line()
    how = " and ".join(w for w, on in (("signed", mail.sign), ("encrypted", mail.encrypt)) if on)
    summary = (
        f"Sent {how or 'unsigned, unencrypted'} to {', '.join(composed.recipients)} via {where}."
    )
    if composed.bcc_copies:
        from smimetui.core.smime.compose import bcc_sentence

        summary += " " + bcc_sentence(composed.bcc_copies)
    return summary + partly
