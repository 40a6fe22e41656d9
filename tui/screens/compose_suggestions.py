"""Compose: To, Cc and Bcc complete from the contacts (read in a thread worker)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Input

from smimetui.core.settings.home import Home
from smimetui.tui.worker_errors import in_thread


def load_suggestions(screen: Screen[None], home: Home, field_ids: Sequence[str]) -> None:
    """Give the inputs ``field_ids`` of ``screen`` the contacts' addresses as suggestions."""
    work = partial(_load, screen, home, tuple(field_ids))
    in_thread(screen, work, group="contacts", description="contacts")


def _load(screen: Screen[None], home: Home, field_ids: tuple[str, ...]) -> None:
    from smimetui.core.pki.contacts import Contacts

    entries = []
    for contact in Contacts(home).list():
        for info in contact.addresses:
            entries.append(f"{contact.name} <{info.address}>" if contact.name else info.address)
    screen.app.call_from_thread(_set, screen, entries, field_ids)


def _set(screen: Screen[None], entries: list[str], field_ids: tuple[str, ...]) -> None:
    for field_id in field_ids:
        screen.query_one(f"#{field_id}", Input).suggester = SuggestFromList(
            entries, case_sensitive=False
        )
