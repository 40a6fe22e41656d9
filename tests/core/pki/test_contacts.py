"""The address book: certificates with sources, capabilities (RFC 8551 §2.5), changed certs."""

from __future__ import annotations

import datetime as dt

import pytest

from smimetui.core.errors import ContactsError
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.contacts import SOURCE_FILE, SOURCE_MAIL, Contacts

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class TestCertificates:
    def test_add_and_show(self, home, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        book = Contacts(home)
        assert book.add_certificate(fixture_pki.bob.cert, source=SOURCE_FILE, name="Bob") == []
        contact = book.contact("BOB@example.org")
        assert contact is not None and contact.name == "Bob"
        (addr,) = contact.addresses
        assert addr.address == "bob@example.org"
        assert addr.capabilities is None
        (cert,) = addr.certificates
        assert cert.source == SOURCE_FILE and not cert.pending

    def test_seen_again_updates_last_seen(self, home, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        book = Contacts(home)
        book.add_certificate(fixture_pki.bob.cert, source=SOURCE_FILE, seen=T0)
        later = T0 + dt.timedelta(days=3)
        assert book.add_certificate(fixture_pki.bob.cert, source=SOURCE_MAIL, seen=later) == []
        (cert,) = book.address("bob@example.org").certificates  # type: ignore[union-attr]
        assert (cert.first_seen, cert.last_seen) == (T0, later)

    def test_changed_key_and_issuer_needs_confirmation(self, home, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        book = Contacts(home)
        book.add_certificate(fixture_pki.alice.cert, source=SOURCE_FILE)
        (change,) = book.add_certificate(fixture_pki.rogue_alice.cert, source=SOURCE_MAIL)
        assert change.new_key and change.new_issuer
        assert change.old_fingerprints[0] in [
            c.sha256
            for c in book.address("alice@example.org").certificates  # type: ignore[union-attr]
        ]
        assert "changed" in change.describe() and change.new_fingerprint[:16] in change.describe()
        pending = [c for c in book.address("alice@example.org").certificates if c.pending]  # type: ignore[union-attr]
        assert [c.sha256 for c in pending] == [change.new_fingerprint]
        assert book.pending_changes("alice@example.org") == [change]
        book.confirm(change)
        assert not any(c.pending for c in book.address("alice@example.org").certificates)  # type: ignore[union-attr]

    def test_rejected_change_is_forgotten(self, home, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        book = Contacts(home)
        book.add_certificate(fixture_pki.alice.cert, source=SOURCE_FILE)
        (change,) = book.add_certificate(fixture_pki.rogue_alice.cert, source=SOURCE_MAIL)
        book.reject(change)
        assert len(book.address("alice@example.org").certificates) == 1  # type: ignore[union-attr]

    def test_reissue_same_key_same_issuer_is_not_a_change(self, home, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        book = Contacts(home)
        book.add_certificate(fixture_pki.alice.cert, source=SOURCE_FILE)
        again = pki.make_leaf(
            fixture_pki.intermediate, "alice@example.org", key=fixture_pki.alice.key
        )
        assert book.add_certificate(again.cert, source=SOURCE_MAIL) == []

    def test_new_key_same_issuer_is_a_change(self, home, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        book = Contacts(home)
        book.add_certificate(fixture_pki.alice.cert, source=SOURCE_FILE)
        renewed = pki.make_leaf(fixture_pki.intermediate, "alice@example.org")
        (change,) = book.add_certificate(renewed.cert, source=SOURCE_MAIL)
        assert change.new_key and not change.new_issuer

    def test_certificate_without_address_is_refused(self, home, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        with pytest.raises(ContactsError, match="no email address"):
            Contacts(home).add_certificate(fixture_pki.root.cert, source=SOURCE_FILE)

    def test_remove(self, home, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        book = Contacts(home)
        book.add_certificate(fixture_pki.bob.cert, source=SOURCE_FILE)
        assert book.remove("bob@example.org")
        assert book.contact("bob@example.org") is None and book.list() == []
        assert not book.remove("bob@example.org")

    def test_override_must_be_a_known_certificate(self, home, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        book = Contacts(home)
        book.add_certificate(fixture_pki.bob.cert, source=SOURCE_FILE)
        with pytest.raises(ContactsError):
            book.set_override("bob@example.org", "00" * 32)
        with pytest.raises(ContactsError):
            book.set_override("nobody@example.org", None)


class TestCapabilities:
    def test_only_newer_good_signatures_update(self, home) -> None:  # type: ignore[no-untyped-def]
        book = Contacts(home)
        assert book.record_capabilities(
            "bob@example.org", ["aes256-gcm"], "ab", T0, signature_good=True
        )
        older = T0 - dt.timedelta(days=1)
        assert not book.record_capabilities(
            "bob@example.org", ["aes128-cbc"], None, older, signature_good=True
        )
        newer = T0 + dt.timedelta(days=1)
        assert not book.record_capabilities(
            "bob@example.org", ["des"], None, newer, signature_good=False
        )
        info = book.address("bob@example.org")
        assert (
            info is not None
            and info.capabilities == ("aes256-gcm",)
            and info.encryption_pref == "ab"
        )
        assert book.record_capabilities(
            "bob@example.org", ["aes256-cbc"], None, newer, signature_good=True
        )
        assert book.address("bob@example.org").capabilities == ("aes256-cbc",)  # type: ignore[union-attr]

    def test_list_json(self, home, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        book = Contacts(home)
        book.add_certificate(fixture_pki.bob.cert, source=SOURCE_FILE, name="Bob")
        book.add_certificate(fixture_pki.alice.cert, source=SOURCE_FILE)
        data = [c.to_json() for c in book.list()]
        assert [d["addresses"][0]["address"] for d in data] == [
            "alice@example.org",
            "bob@example.org",
        ]
        assert data[1]["addresses"][0]["certificates"][0]["source"] == "file"
