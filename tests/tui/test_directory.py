"""Compose looks recipients up in certificate directories (issue 7), against a real slapd."""

from __future__ import annotations

import pytest

from smimetui.core.directory.servers import Directory, add_directory
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.contacts import SOURCE_FILE, Contacts
from smimetui.core.settings.accounts import Account, add_account
from smimetui.core.settings.home import Home
from smimetui.tui.screens.compose import ComposeScreen
from smimetui.tui.screens.confirm import ConfirmScreen
from tests.support.ldap import LdapWorld, corp, ldap_world, trusted_home  # noqa: F401
from tests.support.pki import FixturePKI
from tests.support.servers.ports import free_port

from .helpers import SIZE, make_app, settle, widget_text


def _account(home: Home) -> None:
    maildir = home.data_dir / "Mail"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    add_account(home, Account(name="t", email="robin@example.org", maildir=str(maildir)))


async def _compose_to(app, pilot, to: str) -> ComposeScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ComposeScreen)
    screen.query_one("#compose-to").value = to  # type: ignore[attr-defined]
    await settle(pilot)
    return screen


async def _answer(pilot, key: str) -> ConfirmScreen:  # type: ignore[no-untyped-def]
    for _ in range(30):
        if isinstance(pilot.app.screen, ConfirmScreen):
            break
        await pilot.pause(0.1)
    dialog = pilot.app.screen
    assert isinstance(dialog, ConfirmScreen)
    await pilot.press(key)
    await pilot.pause()
    return dialog


@pytest.mark.slapd
async def test_lookup_offers_and_imports_with_confirmation(
    trusted_home: Home,  # noqa: F811
    corp: Directory,  # noqa: F811
    ldap_world: LdapWorld,  # noqa: F811
    fixture_pki: FixturePKI,
) -> None:
    _account(trusted_home)
    book = Contacts(trusted_home)
    # bob is known with another certificate: the directory's must be confirmed, not swapped in
    # (a certificate that names bob: one for another address is never stored under his)
    other_bob = pki.make_leaf(fixture_pki.intermediate, "bob@example.org", key_kind="p384")
    book.add_certificate(other_bob.cert, source=SOURCE_FILE, addresses=["bob@example.org"])
    app = make_app(trusted_home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _compose_to(app, pilot, "alice@example.org, bob@example.org")
        line = widget_text(app, "#compose-recipients")
        assert f"alice@example.org: 1 usable in directory {ldap_world.slapd.url}" in line
        assert "bob@example.org: 2 usable" in line and "ctrl+l imports" in line
        await pilot.press("ctrl+l")
        dialog = await _answer(pilot, "y")
        assert "✓ usable" in dialog.details and f"from directory {ldap_world.slapd.url}" in (
            dialog.details
        )
        await settle(pilot)
        first = await _answer(pilot, "y")  # bob's first new certificate: both fingerprints
        assert "Known:" in first.details and "New:" in first.details
        await _answer(pilot, "n")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen) and app.screen is screen
        line = widget_text(app, "#compose-recipients")
        assert "✓ alice@example.org: certificate available" in line
        assert "✓ bob@example.org: certificate available" in line
    alice = book.address("alice@example.org")
    assert alice is not None
    assert [c.source for c in alice.certificates] == [f"directory {ldap_world.slapd.url}"]
    bob = book.address("bob@example.org")
    assert bob is not None and sum(not c.pending for c in bob.certificates) == 2


async def test_no_directory_does_nothing_and_failures_notify(demo_home: Home) -> None:
    app = make_app(demo_home)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _compose_to(app, pilot, "stranger@example.net")
        assert screen.directory_found == {} and "Directory:" not in widget_text(
            app, "#compose-recipients"
        )
        assert not app._notifications
        url = f"ldap://127.0.0.1:{free_port()}"
        add_directory(demo_home, Directory(name="down", url=url, base_dn="dc=x", timeout=2.0))
        screen.query_one("#compose-to").value = "other@example.net"  # type: ignore[attr-defined]
        for _ in range(50):  # (a failed worker makes wait_for_complete raise: just wait)
            await pilot.pause(0.1)
            errors = [n for n in app._notifications if n.severity == "error"]
            if errors:
                break
        assert errors and errors[-1].title and url.split("//")[1] in errors[-1].message
        assert isinstance(app.screen, ComposeScreen)
