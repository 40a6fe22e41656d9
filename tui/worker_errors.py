"""The one handler for worker failures, mixed into every node that starts workers.

``Worker.StateChanged`` does not bubble, so each screen that owns workers inherits this handler;
all of them end in ``SmimeTuiApp.show_error`` (a notification with the error's title and
sentence, markup off; a modal too when the error has details).

A plain class, listed after the Textual base (``class X(Screen[None], WorkerErrors)``): Textual
takes CSS type names from the first base only, so a ``DOMNode`` mixin in front hid the default
styles of App and Screen (text drawn in its own background colour). Textual dispatches
``on_worker_state_changed`` by name through the whole MRO, so a plain class still receives it.
"""

from __future__ import annotations

from textual.worker import Worker, WorkerState

from smimetui.core.errors import SmimeTuiError


def error_text(err: BaseException) -> tuple[str, str]:
    """(title, sentence) for a notification; unexpected errors still get a sentence."""
    if isinstance(err, SmimeTuiError):
        return err.title, err.message
    return "Unexpected error", f"{type(err).__name__}: {err}. Please report this as a bug."


class WorkerErrors:
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            app = getattr(self, "app", None)
            show_error = getattr(app, "show_error", None)
            if show_error is not None:
                show_error(event.worker.error)
