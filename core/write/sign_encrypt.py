"""Turn a message the user wrote into the S/MIME message that goes out.

* The body becomes the Cryptographic Payload: 7-bit safe (8-bit text re-encoded as
  quoted-printable, other 8-bit parts as base64) with canonical CRLF line ends, because a
  signature is over exact bytes and mail transport may rewrite anything else.
* Header protection (RFC 9788): the real From/To/Cc/Subject/Date/Message-ID (every non-structural
  field except Bcc) travel inside the payload, whose Content-Type carries ``hp="clear"`` (signed
  only) or ``hp="cipher"`` (encrypted). Encrypted mail shows ``Subject: [...]`` outside and the
  payload lists what the outside showed in ``HP-Outer`` fields.
* Sign, then encrypt when both are on; Bcc never appears in any header.
* Bcc with encryption: the RecipientInfos of a ciphertext name every recipient (issuer and
  serial), so one ciphertext for To, Cc and Bcc would show the Bcc recipients to everyone.  The
  copy for To/Cc is encrypted to them and you only; each Bcc recipient gets the same signed
  content separately encrypted to them and you (its own envelope, RCPT TO that address only).
"""

from __future__ import annotations

import email
import quopri
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import encoders
from email import policy as email_policy
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.utils import formataddr, formatdate, getaddresses, make_msgid
from io import BytesIO

from smimetui.core.cms.encrypt import EncryptionChoice, Preference, Recipient, encrypt
from smimetui.core.cms.sign import SigningKey, SignOptions, build_signed_data
from smimetui.core.cms.wrap import multipart_signed, pkcs7_mime
from smimetui.core.errors import MimeError, RecipientCertificateError

CRLF = b"\r\n"
OBSCURED_SUBJECT = "[...]"
# Fields that describe the MIME structure or the transport: never copied into the payload.
_STRUCTURAL = ("content-", "mime-version")
_TRACE = {"received", "return-path", "dkim-signature", "authentication-results", "delivered-to"}
_HIDDEN = {"bcc", "resent-bcc"}
# RFC 9788 hcp_baseline: these are left out of the outside of encrypted mail.
_REMOVED_WHEN_ENCRYPTED = {"keywords", "comments"}
_GEN_POLICY = email_policy.compat32.clone(linesep="\r\n", max_line_length=78)


@dataclass(frozen=True, slots=True)
class HeaderField:
    name: str
    raw: bytes  # everything after the colon, continuation lines joined with CRLF

    @property
    def key(self) -> str:
        return self.name.lower()

    def line(self) -> bytes:
        return self.name.encode("ascii") + b":" + self.raw + CRLF

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace").replace("\r\n", "").strip()


@dataclass(frozen=True, slots=True)
class Draft:
    """A message as the user wrote it: header fields in order and the MIME body."""

    fields: tuple[HeaderField, ...]
    raw: bytes  # the whole message with CRLF line ends; the body is parsed when composing

    def parse(self) -> Message:
        """A fresh parsed (compat32) copy, free to modify."""
        return email.message_from_bytes(self.raw, policy=email_policy.compat32)

    def values(self, name: str) -> list[str]:
        return [f.text for f in self.fields if f.key == name.lower()]

    def addresses(self, *names: str) -> list[str]:
        pairs = getaddresses([v for n in names for v in self.values(n)])
        return [addr for _, addr in pairs if addr]


@dataclass(frozen=True, slots=True)
class ComposeOptions:
    sign: bool = True
    encrypt: bool = False
    opaque: bool = False  # application/pkcs7-mime signed-data instead of multipart/signed
    protect_headers: bool = True
    sign_options: SignOptions = field(default_factory=SignOptions)
    preference: Preference = Preference.AUTO


@dataclass(frozen=True, slots=True)
class Copy:
    """One message that goes out: its bytes and its envelope recipients (SMTP RCPT TO)."""

    data: bytes
    envelope_to: tuple[str, ...]
    encryption: EncryptionChoice | None


@dataclass(frozen=True, slots=True)
class Composed:
    data: bytes  # the message, ready to send (CRLF line ends); also the Sent copy
    signed: bool
    encryption: EncryptionChoice | None
    # Who gets ``data``: every To/Cc/Bcc address; when encrypted, To/Cc only (and yourself
    # if you put your own address in Bcc), because each Bcc recipient gets a copy of its own.
    envelope_to: tuple[str, ...]
    bcc_copies: tuple[Copy, ...] = ()

    @property
    def recipients(self) -> tuple[str, ...]:
        """Every address the message goes to, Bcc included (for telling the user)."""
        return self.envelope_to + tuple(a for c in self.bcc_copies for a in c.envelope_to)


def _normalise(raw: bytes) -> bytes:
    return re.sub(rb"\r?\n|\r", b"\r\n", raw)


def parse_draft(raw: bytes) -> Draft:
    """Split ``raw`` into header fields (kept byte for byte) and a parsed body."""
    data = _normalise(raw)
    head = data.partition(b"\r\n\r\n")[0]
    fields: list[HeaderField] = []
    for line in head.split(CRLF):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            last = fields[-1]
            fields[-1] = HeaderField(last.name, last.raw + CRLF + line)
            continue
        name, colon, value = line.partition(b":")
        if not colon or not re.fullmatch(rb"[!-9;-~]+", name):
            raise MimeError(
                "The message to send has a malformed header line; "
                "check that it starts with headers such as From: and To:, then an empty line."
            )
        fields.append(HeaderField(name.decode("ascii"), value))
    if not any(f.key == "from" for f in fields):
        raise MimeError("The message to send has no From: header, so there is no sender.")
    return Draft(tuple(fields), data)


def _needs_qp(text: bytes) -> bool:
    lines = text.split(b"\n")
    return any(
        len(line) > 998 or line.startswith(b"From ") or line.rstrip(b"\r") != line.rstrip()
        for line in lines
    )


def _seven_bit(part: Message) -> None:
    """Re-encode a leaf whose body would not survive 7-bit transport unchanged."""
    cte = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    if cte in ("base64", "quoted-printable"):
        return
    body = part.get_payload(decode=True)
    if not isinstance(body, bytes):
        return
    eight_bit = any(b > 127 for b in body) or b"\0" in body
    is_text = part.get_content_maintype() == "text"
    if not eight_bit and not (is_text and _needs_qp(body)):
        return
    del part["Content-Transfer-Encoding"]
    if is_text:
        if part.get_param("charset") is None:
            part.set_param("charset", "utf-8")
        encoded = quopri.encodestring(body.replace(b"\r\n", b"\n"), quotetabs=False)
        # "From " at a line start gets mangled by mbox-style transports (RFC 2045 §6.7).
        encoded = re.sub(rb"(?m)^From ", b"=46rom ", encoded)
        part.set_payload(encoded.decode("ascii"))
        part["Content-Transfer-Encoding"] = "quoted-printable"
    else:
        part.set_payload(body)
        encoders.encode_base64(part)


def _simple_entity(draft: Draft, header_lines: Sequence[bytes], hp: str | None) -> bytes | None:
    """Fast path for the common case: one plain-text part that is already 7-bit safe."""
    content = [f for f in draft.fields if f.key.startswith("content-")]
    ctype = next((f for f in content if f.key == "content-type"), None)
    if ctype is not None and not ctype.text.lower().startswith("text/"):
        return None
    cte = next((f.text.lower() for f in content if f.key == "content-transfer-encoding"), "7bit")
    body = draft.raw.partition(b"\r\n\r\n")[2]
    if cte not in ("7bit", "8bit") or not body.isascii() or _needs_qp(body):
        return None
    lines = [f.line() for f in content if f.key != "content-type"]
    type_raw = ctype.raw.rstrip() if ctype is not None else b" text/plain; charset=us-ascii"
    if hp is not None:
        type_raw += b'; hp="' + hp.encode() + b'"'
    lines.append(b"Content-Type:" + type_raw + CRLF)
    return b"".join(header_lines) + b"".join(lines) + CRLF + body


def _payload_entity(draft: Draft, header_lines: Sequence[bytes], hp: str | None) -> bytes:
    """The Cryptographic Payload: protected header lines, then the re-encoded MIME body."""
    simple = _simple_entity(draft, header_lines, hp)
    if simple is not None:
        return simple
    msg = draft.parse()
    for name in list(dict.fromkeys(k.lower() for k in msg)):
        if not name.startswith("content-"):
            del msg[name]
    if msg.get("Content-Type") is None:
        msg["Content-Type"] = "text/plain"
    for part in msg.walk():
        if not part.is_multipart():
            _seven_bit(part)
    if hp is not None:
        msg.set_param("hp", hp)
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_GEN_POLICY).flatten(msg)
    return b"".join(header_lines) + _normalise(out.getvalue())


_ADDRESS_FIELDS = {"from", "to", "cc", "bcc", "reply-to", "sender"}


def _ascii_field(f: HeaderField) -> HeaderField:
    """RFC 2047-encode a field the user wrote with raw 8-bit text (not every server takes it)."""
    if f.raw.isascii():
        return f
    text = f.text
    if f.key in _ADDRESS_FIELDS:
        pairs = getaddresses([text])
        return HeaderField(f.name, b" " + ", ".join(formataddr(p, "utf-8") for p in pairs).encode())
    encoded = Header(text, "utf-8", header_name=f.name).encode(linesep="\r\n")
    return HeaderField(f.name, b" " + encoded.encode("ascii"))


def _complete(draft: Draft) -> Draft:
    """Add Date and Message-ID when the user left them out: a sent message needs both."""
    draft = Draft(tuple(_ascii_field(f) for f in draft.fields), draft.raw)
    extra: list[HeaderField] = []
    if not draft.values("date"):
        extra.append(HeaderField("Date", b" " + formatdate(usegmt=True).encode()))
    if not draft.values("message-id"):
        sender = (draft.addresses("from") or ["localhost"])[0]
        domain = sender.rpartition("@")[2] or "localhost"
        extra.append(HeaderField("Message-ID", b" " + make_msgid(domain=domain).encode()))
    return Draft(draft.fields + tuple(extra), draft.raw) if extra else draft


def _outer_fields(draft: Draft, encrypted: bool) -> list[HeaderField]:
    outer: list[HeaderField] = []
    for f in draft.fields:
        if f.key.startswith(_STRUCTURAL) or f.key in _HIDDEN:
            continue
        if encrypted and f.key in _REMOVED_WHEN_ENCRYPTED:
            continue
        if encrypted and f.key == "subject":
            f = HeaderField(f.name, b" " + OBSCURED_SUBJECT.encode())
        outer.append(f)
    return outer


def _protected_lines(draft: Draft, outer: Sequence[HeaderField], encrypted: bool) -> list[bytes]:
    lines = [
        f.line()
        for f in draft.fields
        if not f.key.startswith(_STRUCTURAL) and f.key not in _HIDDEN | _TRACE
    ]
    if encrypted:
        # RFC 9788 §2.2: what the outside showed, so a reader can tell what was obscured.
        lines += [
            b"HP-Outer: " + f.name.encode() + b":" + f.raw + CRLF
            for f in outer
            if f.key not in _TRACE
        ]
    return lines


def compose(
    raw: bytes,
    *,
    signer: SigningKey | None = None,
    recipients: Sequence[Recipient] = (),
    options: ComposeOptions | None = None,
) -> Composed:
    """Sign and/or encrypt the message ``raw`` (RFC 5322 bytes) for sending.

    ``recipients`` must already include yourself (so the Sent copy stays readable); choosing
    their certificates is :mod:`recipients`' job.
    """
    opts = options or ComposeOptions()
    if opts.sign and signer is None:
        raise ValueError("signing needs a SigningKey")
    if opts.encrypt and not recipients:
        raise ValueError("encryption needs recipients")
    draft = _complete(parse_draft(raw))
    outer = _outer_fields(draft, opts.encrypt)
    hp = None
    protected: list[bytes] = []
    if opts.protect_headers:
        hp = "cipher" if opts.encrypt else "clear"
        protected = _protected_lines(draft, outer, opts.encrypt)
    entity = _payload_entity(draft, protected, hp)
    if opts.sign:
        assert signer is not None
        if opts.opaque:
            der = build_signed_data(entity, signer, detached=False, options=opts.sign_options)
            entity = pkcs7_mime(der, "signed-data")
        else:
            entity = multipart_signed(entity, signer, opts.sign_options)
    head = b"".join(f.line() for f in outer) + b"MIME-Version: 1.0\r\n"
    envelope_to = tuple(dict.fromkeys(draft.addresses("to", "cc", "bcc")))
    if not opts.encrypt:
        return Composed(head + entity, opts.sign, None, envelope_to)
    hidden = _bcc_only(draft)
    main = [r for r in recipients if r.is_self or r.label.lower() not in hidden]
    result = encrypt(entity, main, preference=opts.preference)
    once = {a.lower(): a for a in envelope_to if a.lower() in hidden}  # one copy per address
    copies = tuple(
        _bcc_copy(head, entity, address, recipients, opts.preference) for address in once.values()
    )
    shown = tuple(a for a in envelope_to if a.lower() not in hidden)
    data = head + pkcs7_mime(result.der, result.choice.smime_type)
    return Composed(data, opts.sign, result.choice, shown, copies)


def bcc_sentence(copies: Sequence[Copy]) -> str:
    """What the user is told about the Bcc copies of encrypted mail."""
    who = ", ".join(a for c in copies for a in c.envelope_to)
    return (
        f"Bcc: {who} got a separately encrypted copy each; the copy for To and Cc names only "
        "them and you."
    )


def _bcc_only(draft: Draft) -> set[str]:
    """Bcc addresses (lower case) that are neither in To/Cc nor the sender."""
    seen = {a.lower() for a in draft.addresses("from", "to", "cc")}
    return {a.lower() for a in draft.addresses("bcc")} - seen


def _bcc_copy(
    head: bytes,
    entity: bytes,
    address: str,
    recipients: Sequence[Recipient],
    preference: Preference,
) -> Copy:
    """The signed content encrypted to one Bcc recipient and yourself only."""
    theirs = [r for r in recipients if not r.is_self and r.label.lower() == address.lower()]
    if not theirs:
        raise RecipientCertificateError(
            f"There is no certificate for the Bcc recipient {address}, so the separately "
            "encrypted copy for them cannot be made."
        )
    mine = [r for r in recipients if r.is_self]
    result = encrypt(entity, theirs + mine, preference=preference)
    return Copy(head + pkcs7_mime(result.der, result.choice.smime_type), (address,), result.choice)
