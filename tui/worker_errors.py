"""Thread workers and the one handler for their failures.

``Worker.StateChanged`` does not bubble, so each node that starts workers forwards it here: the
mailbox and compose screens call ``show_worker_error`` from their own ``on_worker_state_changed``
(their components start workers on the screen, see ``in_thread``); the app and the contacts
screen inherit ``WorkerErrors``.  All of them end in ``SmimeTuiApp.show_error`` (a notification
with the error's title and sentence, markup off; a modal too when the error has details).

``WorkerErrors`` is a plain class, listed after the Textual base (``class X(Screen[None],
WorkerErrors)``): Textual takes CSS type names from the first base only, so a ``DOMNode`` mixin
in front hid the default styles of App and Screen (text drawn in its own background colour).
Textual dispatches ``on_worker_state_changed`` by name through the whole MRO, so a plain class
still receives it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.worker import Worker, WorkerState

from smimetui.core.errors import SmimeTuiError

if TYPE_CHECKING:
    from textual.dom import DOMNode


def error_text(err: BaseException) -> tuple[str, str]:
    """(title, sentence) for a notification; unexpected errors still get a sentence."""
    if isinstance(err, SmimeTuiError):
        return err.title, err.message
    return "Unexpected error", f"{type(err).__name__}: {err}. Please report this as a bug."


def show_worker_error(node: DOMNode, event: Worker.StateChanged) -> None:
    """A worker of ``node`` failed: its error goes to the app's one error path."""
    if event.state is WorkerState.ERROR and event.worker.error is not None:
        show_error = getattr(node.app, "show_error", None)
        if show_error is not None:
            show_error(event.worker.error)


def in_thread(
    node: DOMNode,
    work: Callable[[], None],
    *,
    group: str,
    description: str,
    exclusive: bool = True,
) -> Worker[None]:
    """Run blocking ``work`` in a thread worker of ``node`` (what ``@work(thread=True,
    exit_on_error=False)`` does for a method of a DOM node), for components that are plain
    objects: the worker belongs to ``node``, so ``exclusive`` cancels the group's older worker
    there and a failure reaches ``node``'s ``on_worker_state_changed``."""
    return node.run_worker(
        work,
        name=group,
        group=group,
        description=description,
        exclusive=exclusive,
        exit_on_error=False,
        thread=True,
    )


class WorkerErrors:
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            app = getattr(self, "app", None)
            show_error = getattr(app, "show_error", None)
            if show_error is not None:
                show_error(event.worker.error)
