"""The message pane: headers, the security status bar, the body and the attachments.

Untrusted text only ever goes through ``Content(text)``: a subject of ``[@click=app.quit]`` is
shown as those characters.  For a partial signature, the signed part sits inside a bordered box
labelled by us, so unsigned text around it can never pass for signed text.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from smimetui.core.read.report import SecurityReport, TextSegment
from smimetui.tui.widgets.security_pane import SecurityStatus


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} B"


def header_lines(report: SecurityReport) -> list[tuple[str, str]]:
    rows = [("From", report.from_display or report.from_addr or "(no sender)")]
    if report.reply_to:
        rows.append(("Reply-To", report.reply_to))
    rows.append(("To", report.to or "(none)"))
    if report.cc:
        rows.append(("Cc", report.cc))
    if report.date:
        rows.append(("Date", report.date))
    rows.append(("Subject", report.subject or "(no subject)"))
    return rows


class MessageHeaders(Static):
    def show(self, report: SecurityReport) -> None:
        lines = [
            Content.assemble((f"{name:>8}: ", "bold"), value)
            for name, value in header_lines(report)
        ]
        self.update(Content("\n").join(lines))


class MessageBody(VerticalScroll):
    """Body text; for partial signatures, signed runs inside a labelled border."""

    def show(self, report: SecurityReport) -> None:
        self.remove_children()
        segments = report.segments or (TextSegment(report.text, False),)
        partial = any(seg.signed for seg in segments) and not all(seg.signed for seg in segments)
        widgets: list[Static] = []
        for seg in segments:
            if not seg.text.strip("\n") and len(segments) > 1:
                continue
            body = Static(Content(seg.text), classes="body-text", markup=False)
            if partial and seg.signed:
                body.add_class("signed-part")
                body.border_title = "▼ signed part begins"
                body.border_subtitle = "▲ signed part ends"
            elif partial:
                body.add_class("unsigned-part")
                body.border_title = "not signed"
            widgets.append(body)
        if report.was_html:
            widgets.insert(
                0, Static("(converted from HTML; no remote content loaded)", classes="note")
            )
        self.mount_all(widgets)
        self.scroll_home(animate=False)


class AttachmentBar(Static):
    def show(self, report: SecurityReport) -> None:
        if not report.attachments:
            self.display = False
            return
        self.display = True
        names = "  ".join(
            f"@ {a.filename} ({a.content_type}, {human_size(a.size)})" for a in report.attachments
        )
        self.update(Content(f"Attachments: {names}   (w saves them)"))


class MessageView(Vertical):
    """Headers, status, body, attachments; ``show(report)`` fills them in."""

    def compose(self) -> ComposeResult:
        yield MessageHeaders(id="message-headers")
        yield SecurityStatus(id="security-status")
        yield MessageBody(id="message-body")
        yield AttachmentBar(id="attachments")

    def show(self, report: SecurityReport) -> None:
        self.query_one(MessageHeaders).show(report)
        self.query_one(SecurityStatus).show(report)
        self.query_one(MessageBody).show(report)
        self.query_one(AttachmentBar).show(report)

    def show_pending(self, text: str) -> None:
        self.query_one(MessageHeaders).update("")
        self.query_one(SecurityStatus).show(None, pending=text)
        self.query_one(MessageBody).remove_children()
        self.query_one(AttachmentBar).display = False
