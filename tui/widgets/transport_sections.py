"""The security pane's Authentication and Delivery sections: what your server said about
the sender (Authentication-Results) and the path the message took (Received).

The words come from core (``transportwords``, the same lines as the CLI); they are shown
through ``Content``, never as markup.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from smimetui.core.read.report import SecurityReport
from smimetui.core.read.transportwords import authentication_lines, delivery_lines


def dmarc_note(report: SecurityReport) -> str:
    """For the status bar: your server's DMARC result, when it gave one."""
    auth = report.authentication
    dmarc = auth.result_of("dmarc") if auth is not None and auth.found else None
    return f"  · DMARC at your server: {dmarc.result}" if dmarc is not None else ""


def fill_transport(
    auth_widget: Static, delivery_widget: Static, report: SecurityReport | None
) -> None:
    auth = report.authentication if report else None
    auth_widget.update(Content("\n".join(authentication_lines(auth))) if auth else "")
    auth_widget.display = auth is not None
    for cls in ("-good", "-bad"):
        auth_widget.remove_class(cls)
    if auth is not None and (dmarc := auth.result_of("dmarc")) is not None:
        auth_widget.add_class("-good" if dmarc.result == "pass" else "-bad")
    delivery = report.delivery if report else None
    links = [link.reference for link in report.links if link.flagged] if report else []
    lines = delivery_lines(delivery) if delivery else []
    if links:
        lines += ["Links that show one host and go to another"] + [f"  {ln}" for ln in links]
    delivery_widget.update(Content("\n".join(lines)))
    delivery_widget.display = bool(lines)
