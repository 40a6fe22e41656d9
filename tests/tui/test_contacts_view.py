"""Where certificates come from (issue 7) and what signed mail teaches (RFC 8551 §2.5)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import DataTable

from smimetui.core.pki.contacts import Contacts
from smimetui.core.read import certificate_import as certimport
from smimetui.core.settings.home import Home
from smimetui.tui.screens.contacts import ContactsScreen
from smimetui.tui.widgets.security_pane import SecurityPane

from .helpers import SIZE, make_app, open_subject, settle, widget_text


async def test_pane_shows_source_and_known_contacts_are_harvested(demo_home: Home) -> None:
    book = Contacts(demo_home)
    assert book.address("alice@example.org").capabilities is None  # type: ignore[union-attr]
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await open_subject(pilot, "Good signature from a contact")
        await pilot.press("s")
        text = widget_text(app, "#security-signature")
        assert "Contacts:   stored for alice@example.org" in text
        assert "Source:     file" in text and "Seen:       first " in text
        assert "Learnt:" in text
        learnt = book.address("alice@example.org")
        assert learnt is not None and learnt.capabilities  # harvested from the signature
        await open_subject(pilot, "Signed by someone new")
        assert "not stored for dan@example.com (ctrl+k adds it" in widget_text(
            app, "#security-signature"
        )
        assert book.address("dan@example.com") is None  # never imported silently


async def test_contacts_screen_lists_certificates_with_source(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)
        rows = {r.address: r for r in app.screen.rows}
        alice = rows["alice@example.org"]
        assert alice.source == "file" and alice.state == "accepted" and len(alice.sha256) == 64
        assert app.screen.query_one(DataTable).row_count == len(app.screen.rows) >= 3
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ContactsScreen)


async def test_pane_lists_every_problem(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        await open_subject(pilot, "Good signature from a contact")
        report = app.screen.report
        assert report is not None
        problems = ("First problem.", "The display name contains another address.", "Third.")
        app.screen.query_one(SecurityPane).show(replace(report, problems=problems))
        text = widget_text(app, "#security-verdict")
        assert all(f"• {p}" in text for p in problems)


def test_import_rule_is_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    # The ctrl+k wording defers to the contacts' rule (the one `contacts import` applies).
    monkeypatch.setattr(certimport, "why_not_harvestable", lambda report: "core said no")
    assert certimport.why_not_importable(None) == "Not imported: core said no."  # type: ignore[arg-type]
