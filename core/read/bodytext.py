"""Turn the content entity of a message into displayed text segments and attachments.

Security layers (signatures and encryption at the root) have already been peeled off by
:mod:`smimetui.core.read.inspect`.  What is left is walked here: text parts become segments,
HTML is converted to text in core (inscriptis; nothing remote is ever fetched), everything else is
an attachment.  A ``multipart/signed`` found *below* the root is handed to ``on_signed`` so that its
text becomes a segment marked signed and the signature is reported as partial.  Encrypted parts
below the root are never decrypted here (EFAIL): they are listed as attachments.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from smimetui.core.read.links import Link, number_anchors, references
from smimetui.core.read.mimewalk import Entity
from smimetui.core.read.report import Attachment, TextSegment
from smimetui.core.sanitize import clean_filename, clean_text

PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")
PKCS7_SIG = ("application/pkcs7-signature", "application/x-pkcs7-signature")

# on_signed(entity) -> True when the caller took care of the signed part's signature
SignedHook = Callable[[Entity, "BodyCollector"], None]


def decode_text(entity: Entity) -> str:
    data = entity.decoded()
    charset = (entity.param("charset") or "utf-8").strip().strip('"').lower()
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    if charset in ("us-ascii", "ascii"):
        charset = "utf-8"  # mislabelled 8-bit text is common; utf-8 with replacement is kinder
    return data.decode(charset, errors="replace")


def html_to_text(html: str) -> str:
    return html_with_links(html, 0)[0]


def html_with_links(html: str, start: int) -> tuple[str, list[Link]]:
    """Text of ``html`` with each link numbered from ``start + 1`` and listed below the text."""
    from inscriptis.html_engine import Inscriptis  # lazy: lxml is heavy to import
    from lxml.html import document_fromstring

    if not html.strip():
        return "", []
    try:
        tree = document_fromstring(html.strip())
        found = number_anchors(tree, start)
        text: str = Inscriptis(tree).get_text()  # inscriptis is untyped
    except Exception:  # hostile HTML: lxml and inscriptis raise many kinds
        return html, []  # shown literally (sanitised) rather than lost
    return text.rstrip("\n") + references(found), found


@dataclass(slots=True)
class BodyCollector:
    on_signed: SignedHook | None = None
    segments: list[TextSegment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)  # numbered links of HTML parts
    was_html: bool = False
    signed: bool = False  # the segments being collected now are covered by a signature
    hide_legacy_display: bool = False  # protected headers are shown: drop their legacy copies

    @property
    def text(self) -> str:
        return "".join(seg.text for seg in self.segments)

    def add_text(self, text: str) -> None:
        text = clean_text(text)
        if not text:
            return
        if self.segments and not self.segments[-1].text.endswith("\n"):
            text = "\n" + text
        if self.segments and self.segments[-1].signed == self.signed:
            last = self.segments.pop()
            text = last.text + text
        self.segments.append(TextSegment(text=text, signed=self.signed))

    def add_attachment(self, entity: Entity, default_name: str) -> None:
        data = entity.decoded()
        name = clean_filename(entity.filename or default_name)
        self.attachments.append(
            Attachment(filename=name, content_type=entity.content_type, size=len(data), data=data)
        )

    def collect(self, entity: Entity) -> None:
        ctype = entity.content_type
        if self.hide_legacy_display and is_legacy_display_part(entity):
            return
        if ctype == "multipart/signed" and self.on_signed is not None:
            self.on_signed(entity, self)
        elif ctype == "multipart/alternative":
            best = _best_alternative(entity)
            if best is not None:
                self.collect(best)
        elif entity.is_multipart:
            for child in entity.children:
                self.collect(child)
        elif ctype in PKCS7_MIME or (entity.filename or "").lower().endswith(".p7m"):
            self.add_attachment(entity, "smime.p7m")
            self.problems.append(
                "This message has an encrypted or signed S/MIME part inside other content. "
                "It was not opened automatically, because mixing it with the other parts could "
                "leak its text (EFAIL); save the attachment and open it on its own."
            )
        elif ctype in PKCS7_SIG:
            self.add_attachment(entity, "smime.p7s")
        elif entity.disposition == "attachment":
            self.add_attachment(entity, "attachment")
        elif ctype == "text/plain" or (ctype.startswith("text/") and ctype != "text/html"):
            self.add_text(self._without_legacy_display(entity, decode_text(entity)))
        elif ctype == "text/html":
            self.was_html = True
            html = self._without_legacy_display(entity, decode_text(entity))
            text, found = html_with_links(html, len(self.links))
            self.links.extend(found)
            self.add_text(text)
        elif ctype == "message/rfc822":
            self.add_attachment(entity, "message.eml")
        else:
            self.add_attachment(entity, "attachment")

    def _without_legacy_display(self, entity: Entity, text: str) -> str:
        if not self.hide_legacy_display or entity.param("hp-legacy-display") != "1":
            return text
        return strip_legacy_display(text, html=entity.content_type == "text/html")


def is_legacy_display_part(entity: Entity) -> bool:
    """The v1 Legacy Display part (draft-autocrypt-lamps-protected-headers): a
    ``text/rfc822-headers; protected-headers="v1"`` part that repeats the protected headers
    for mail programs that do not read them."""
    return (
        entity.content_type == "text/rfc822-headers"
        and (entity.param("protected-headers") or "").lower() == "v1"
    )


_HTML_LEGACY = re.compile(
    r"<div\s+class=[\"']?header-protection-legacy-display[\"']?\s*>.*?</div>", re.I | re.S
)


def strip_legacy_display(text: str, *, html: bool) -> str:
    """Remove RFC 9788's Legacy Display Element from a part marked ``hp-legacy-display="1"``:
    in text/plain the header lines up to and including the first blank line, in text/html the
    ``header-protection-legacy-display`` div."""
    if html:
        return _HTML_LEGACY.sub("", text, count=1)
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if not line.strip():
            return "".join(lines[index + 1 :])
        if ":" not in line and not line[:1].isspace():  # (a folded line goes on)
            return text  # not a block of header lines: leave the text alone
    return text


def _best_alternative(entity: Entity) -> Entity | None:
    children = [c for c in entity.children if c.disposition != "attachment"]
    for wanted in ("text/plain", "multipart/related", "text/html"):
        for child in children:
            if child.content_type == wanted:
                return child
    return children[-1] if children else None
