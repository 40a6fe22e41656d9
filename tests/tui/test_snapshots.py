"""Snapshots of the key screens: one per security state, some in the light/high-contrast themes.

Deterministic: the demo's dates, validity periods and signing times are fixed, no clock is on
screen, and no screen shown here displays key material (fingerprints differ per generation).
Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable

import pytest

from smimetui.core.pki import contacts
from smimetui.core.settings.home import Home

from .helpers import SIZE, make_app, open_subject, settle

CASES = [
    ("good", "Good signature from a contact", True, "smimetui-dark"),
    ("good_high_contrast", "Good signature from a contact", True, "smimetui-high-contrast"),
    ("untrusted_root", "Signed, but by an untrusted root", True, "smimetui-dark"),
    ("expired", "Signed with an expired certificate", True, "smimetui-light"),
    ("tampered", "Tampered", False, "smimetui-dark"),
    ("mismatch", "From does not match", True, "smimetui-light"),
    ("partial", "Partially signed", False, "smimetui-dark"),
    ("hostile", "Hostile text shown literally", False, "smimetui-dark"),
]


SEEN = dt.datetime(2025, 3, 9, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fixed_seen(demo_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """The security pane shows when a contact's certificate was first and last seen."""
    monkeypatch.setattr(contacts, "_now", lambda: SEEN)
    with sqlite3.connect(demo_home.contacts_db) as db:
        db.execute("UPDATE certificates SET first_seen = ?, last_seen = ?", (SEEN.isoformat(),) * 2)
    db.close()


@pytest.mark.parametrize(("name", "subject", "pane", "theme"), CASES, ids=[c[0] for c in CASES])
def test_security_state(
    snap_compare: Callable[..., bool],
    demo_home: Home,
    name: str,
    subject: str,
    pane: bool,
    theme: str,
) -> None:
    app = make_app(demo_home)
    app.theme = theme

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_subject(pilot, subject)
        if pane:
            await pilot.press("s")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
