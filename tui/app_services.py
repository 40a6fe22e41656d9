"""What screens and their components ask of the app, as a typed interface.

``SmimeTuiApp`` implements it (mypy checks that at the end of ``tui/app.py``);
``mail_app(node)`` gives a node's app as a ``MailApp``, so that calling the app needs no
``type: ignore``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.message_pump import MessagePump

    from smimetui.core.read.report import SecurityReport


class MailApp(Protocol):
    def show_error(self, err: BaseException) -> None: ...

    def watch_folder(self, folder: str, target: MessagePump) -> None: ...

    def open_draft(self, report: SecurityReport, uid: int) -> None: ...

    def open_compose_for(self, mode: str, report: SecurityReport) -> None: ...

    def action_compose_new(self) -> None: ...

    def action_switch_account(self) -> None: ...


def mail_app(node: DOMNode) -> MailApp:
    return cast("MailApp", node.app)
