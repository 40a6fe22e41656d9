"""The one handler for worker failures, mixed into every node that starts workers.

``Worker.StateChanged`` does not bubble, so each screen that owns workers inherits this handler;
all of them end in ``SmimeTuiApp.show_error`` (a notification with the error's title and
sentence, markup off; a modal too when the error has details).
"""

from __future__ import annotations

from textual import on
from textual.dom import DOMNode
from textual.worker import Worker, WorkerState


class WorkerErrors(DOMNode):
    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            show_error = getattr(self.app, "show_error", None)
            if show_error is not None:
                show_error(event.worker.error)
