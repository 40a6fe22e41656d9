"""FolderOpening: the first folder opened in a thread before the app runs, then taken over."""

from __future__ import annotations

import threading

import pytest

from smimetui.core.errors import ConnectionLostError
from smimetui.core.mail.base import ListIndex, Progress
from smimetui.core.session.folder_opening import FolderOpening


class ColdOpen:
    """Stands for ``backend.open_folder`` on a cold folder: one batch, then the rest."""

    def __init__(self) -> None:
        self.first_batch = threading.Event()
        self.rest = threading.Event()

    def __call__(self, folder: str, progress: Progress) -> ListIndex:
        progress(500, 1000)
        self.first_batch.set()  # progress returned: the sync goes on with the rest
        progress(1000, 1000)
        self.rest.set()
        return ListIndex([])


def test_the_rest_of_a_cold_folder_waits_for_the_app() -> None:
    cold = ColdOpen()
    opening = FolderOpening("INBOX", cold).start()
    # The first batch is in; until the app takes the opening over, the sync waits (parsing
    # the rest would take the CPU the app needs to start).
    assert not cold.first_batch.wait(0.3)
    heard: list[tuple[int, int]] = []
    index = opening.result(lambda done, total: heard.append((done, total)))
    assert cold.rest.is_set() and len(index) == 0
    assert heard == [(500, 1000), (1000, 1000)]  # the first batch replayed, then the rest live


def test_an_error_reaches_whoever_takes_the_result() -> None:
    def broken(folder: str, progress: Progress) -> ListIndex:
        raise ConnectionLostError("The connection to the server was lost.")

    opening = FolderOpening("INBOX", broken).start()
    with pytest.raises(ConnectionLostError):
        opening.result(None)
