"""Which certificate each recipient gets, and an error naming every recipient without one."""

from __future__ import annotations

import datetime as dt

import pytest

from smimetui.core.errors import RecipientCertificateError
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.contacts import SOURCE_FILE, SOURCE_MAIL, Contacts
from smimetui.core.write.recipients import choose_recipients


def _book(home, fixture_pki, *issued, accepted: bool = False) -> Contacts:  # type: ignore[no-untyped-def]
    book = Contacts(home)
    book.add_intermediate(fixture_pki.intermediate.cert)
    for i in issued:
        book.add_certificate(i.cert, source=SOURCE_FILE, accepted=accepted)
    return book


class TestChoose:
    def test_trusted_certificates_chosen(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        book = _book(home, fixture_pki, fixture_pki.alice, fixture_pki.bob)
        book.record_capabilities(
            "bob@example.org", ["aes256-gcm"], None, dt.datetime.now(dt.UTC), signature_good=True
        )
        alice, bob = choose_recipients(
            ["Alice@Example.org", "bob@example.org"], book, validator=validator
        )
        assert alice.cert == fixture_pki.alice.cert and alice.capabilities is None
        assert bob.cert == fixture_pki.bob.cert and bob.capabilities == ("aes256-gcm",)

    def test_newest_first(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        now = pki.utcnow()
        newer = pki.make_leaf(
            fixture_pki.intermediate,
            "alice@example.org",
            key=fixture_pki.alice.key,
            not_before=now - dt.timedelta(hours=1),
        )
        book = _book(home, fixture_pki, fixture_pki.alice)
        book.add_certificate(newer.cert, source=SOURCE_MAIL)
        (alice,) = choose_recipients(["alice@example.org"], book, validator=validator)
        assert alice.cert == newer.cert

    def test_override_wins(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        now = pki.utcnow()
        newer = pki.make_leaf(
            fixture_pki.intermediate,
            "alice@example.org",
            key=fixture_pki.alice.key,
            not_before=now - dt.timedelta(hours=1),
        )
        book = _book(home, fixture_pki, fixture_pki.alice)
        book.add_certificate(newer.cert, source=SOURCE_MAIL)
        from smimetui.core.pki.contacts import fingerprint

        book.set_override("alice@example.org", fingerprint(fixture_pki.alice.cert))
        (alice,) = choose_recipients(["alice@example.org"], book, validator=validator)
        assert alice.cert == fixture_pki.alice.cert

    def test_untrusted_but_accepted(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        book = _book(home, fixture_pki, fixture_pki.self_signed, accepted=True)
        (sam,) = choose_recipients(["sam@example.net"], book, validator=validator)
        assert sam.cert == fixture_pki.self_signed.cert


class TestRefusals:
    def _reason(self, book, address, validator) -> str:  # type: ignore[no-untyped-def]
        with pytest.raises(RecipientCertificateError) as err:
            choose_recipients([address], book, validator=validator)
        assert address in str(err.value)
        return str(err.value)

    def test_unknown_recipient(self, home, validator) -> None:  # type: ignore[no-untyped-def]
        assert "not in your contacts" in self._reason(Contacts(home), "zed@example.org", validator)

    def test_expired(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        assert "expired on" in self._reason(
            _book(home, fixture_pki, fixture_pki.carol_expired), "carol@example.org", validator
        )

    def test_not_yet_valid(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        assert "not valid until" in self._reason(
            _book(home, fixture_pki, fixture_pki.erin_not_yet_valid), "erin@example.org", validator
        )

    def test_wrong_eku(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        assert "emailProtection" in self._reason(
            _book(home, fixture_pki, fixture_pki.dave_wrong_eku), "dave@example.org", validator
        )

    def test_signing_only_key_usage(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        signer = pki.make_leaf(fixture_pki.intermediate, "sig@example.org", usage="sign")
        assert "keyEncipherment" in self._reason(
            _book(home, fixture_pki, signer), "sig@example.org", validator
        )

    def test_untrusted_and_not_accepted(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        reason = self._reason(
            _book(home, fixture_pki, fixture_pki.self_signed), "sam@example.net", validator
        )
        assert "not trusted" in reason and "accepted" in reason

    def test_changed_certificate_waits(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        book = _book(home, fixture_pki, fixture_pki.alice)
        book.add_certificate(fixture_pki.rogue_alice.cert, source=SOURCE_MAIL, accepted=True)
        # The old one still works; remove it and only the pending one remains.
        (alice,) = choose_recipients(["alice@example.org"], book, validator=validator)
        assert alice.cert == fixture_pki.alice.cert
        from smimetui.core.pki.contacts import fingerprint

        book.set_override("alice@example.org", fingerprint(fixture_pki.rogue_alice.cert))
        assert "waits for your confirmation" in self._reason(book, "alice@example.org", validator)

    def test_every_failing_recipient_is_named(self, home, fixture_pki, validator) -> None:  # type: ignore[no-untyped-def]
        book = _book(home, fixture_pki, fixture_pki.alice, fixture_pki.carol_expired)
        with pytest.raises(RecipientCertificateError) as err:
            choose_recipients(
                ["alice@example.org", "carol@example.org", "zed@example.org"],
                book,
                validator=validator,
            )
        text = str(err.value)
        assert "carol@example.org" in text and "zed@example.org" in text
        assert "alice@example.org" not in text
