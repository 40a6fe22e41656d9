"""Issue 10 §3: the contacts screen shows whole columns, and `contacts show` names the
certificate (not only its issuer)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from smimetui.cli.main import main
from smimetui.core.settings.home import Home
from smimetui.tui.screens.contacts import ContactsScreen

from .helpers import make_app, screen_text, settle


@pytest.mark.parametrize("size", [(80, 24), (140, 40)])
async def test_contacts_columns_are_not_cut(demo_home: Home, size: tuple[int, int]) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, ContactsScreen)
        table = app.screen.query_one(DataTable)
        widths = [column.width for column in table.columns.values()]
        assert widths[1] >= len("alice@example.org") and widths[2] >= len("Alice Liddell")
        text = screen_text(app)
        assert "Alice Liddell  alice@example.org  Alice Liddell" in text


def test_contacts_show_prints_the_certificate_name(
    demo_home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--home", str(demo_home.data_dir), "contacts", "show", "bob@example.org"]) == 0
    out = capsys.readouterr().out
    (line,) = [ln for ln in out.splitlines() if "issued by" in ln]
    assert "Bob Builder  issued by" in line and "Demo Issuing CA" in line
