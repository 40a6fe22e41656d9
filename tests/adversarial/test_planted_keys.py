"""Planting a key for a contact through the address book.

The attacker holds a valid certificate from a trusted CA for his own address.  RFC 8550 §3:
the address a certificate is for is its rfc822Name subjectAltName (else the emailAddress
attribute), and a sending agent encrypts only to a certificate for the recipient's address.
RFC 8551 §3.8: a certs-only message is a message of its own type, not a part of another one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.demo.messages import certs_only
from smimetui.core.errors import ContactsError, RecipientCertificateError
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.contacts import SOURCE_FILE, SOURCE_MAIL, Contacts
from smimetui.core.pki.makecerts import Issued
from smimetui.core.settings.home import Home
from smimetui.core.write.recipients import choose_recipients
from tests.adversarial.helpers import write
from tests.support import crafted as mail
from tests.support.pki import FixturePKI

CEO = "ceo@example.org"


@pytest.fixture(scope="module")
def mallory(fixture_pki: FixturePKI) -> Issued:
    return pki.make_leaf(fixture_pki.intermediate, "mallory@evil.example", common_name="Mallory")


def _shas(home: Home, address: str) -> list[str]:
    info = Contacts(home).address(address)
    return [c.sha256 for c in info.certificates] if info else []


def _sha(issued: Issued) -> str:
    return mail.asn1(issued).sha256.hex()


class TestStoredOnlyUnderNamedAddresses:
    def test_certificate_not_stored_for_an_address_it_does_not_name(
        self, home: Home, mallory: Issued
    ) -> None:
        with pytest.raises(ContactsError, match="mallory@evil.example"):
            Contacts(home).add_certificate(mallory.cert, source=SOURCE_MAIL, addresses=[CEO])
        assert _shas(home, CEO) == []

    def test_recipient_certificate_for_another_address_never_chosen(
        self, home: Home, fixture_pki: FixturePKI, mallory: Issued
    ) -> None:
        # an address book written before this rule: mallory's certificate filed under ceo@
        book = Contacts(home)
        book.add_certificate(mallory.cert, source=SOURCE_FILE, accepted=True)
        with sqlite3.connect(book.path) as db:
            db.execute("INSERT INTO addresses (address, contact_id) VALUES (?, 1)", (CEO,))
            db.execute("UPDATE certificates SET address = ?", (CEO,))
        with pytest.raises(RecipientCertificateError, match="mallory@evil.example"):
            choose_recipients([CEO], book, validator=None)

    def test_signed_spoof_with_protected_from_stores_nothing_for_ceo(
        self, fixture_pki: FixturePKI, cli_home: Home, tmp_path: Path, mallory: Issued
    ) -> None:
        inner = mail.entity("Hi\n", 'text/plain; hp="clear"', [f"From: {CEO}", "Subject: hi"])
        signed = mail.signed(inner, mail.key_of(mallory, fixture_pki.intermediate))
        path = write(tmp_path, "spoof.eml", mail.message(signed, sender="mallory@evil.example"))
        main(["contacts", "import", str(path)])
        assert _shas(cli_home, CEO) == []


class TestCertsOnlyOnlyAtTheRoot:
    def _attached(self, issued: Issued) -> bytes:
        part = certs_only([issued]).replace(
            b"Content-Type", b"Content-Disposition: attachment\r\nContent-Type", 1
        )
        text = mail.entity("Here is my new certificate.\n")
        return mail.multipart("mixed", [text, part], "mixed-b")

    def test_attached_to_an_unsigned_message(
        self, fixture_pki, cli_home: Home, tmp_path: Path, mallory: Issued, capsys
    ) -> None:
        ceo_cert = pki.make_leaf(None, CEO)  # any certificate naming ceo@
        raw = mail.message(self._attached(ceo_cert), sender=CEO)
        assert main(["contacts", "import", str(write(tmp_path, "a.eml", raw))]) == 2
        assert _shas(cli_home, CEO) == []

    def test_attached_inside_a_good_signed_message(
        self, fixture_pki, cli_home: Home, tmp_path: Path, mallory: Issued, capsys
    ) -> None:
        ceo_cert = pki.make_leaf(None, CEO)
        signed = mail.signed(
            self._attached(ceo_cert), mail.key_of(mallory, fixture_pki.intermediate)
        )
        raw = mail.message(signed, sender="mallory@evil.example")
        assert main(["contacts", "import", str(write(tmp_path, "b.eml", raw))]) == 0
        out = capsys.readouterr().out
        assert _shas(cli_home, CEO) == []
        assert f"mallory@evil.example  SHA-256 {_sha(mallory)}" in out  # what was stored

    def test_certs_only_at_the_root_lists_what_it_stored(
        self, fixture_pki, cli_home: Home, tmp_path: Path, capsys
    ) -> None:
        raw = mail.message(certs_only([fixture_pki.bob]), sender="bob@example.org")
        assert main(["contacts", "import", str(write(tmp_path, "c.eml", raw))]) == 0
        out = capsys.readouterr().out
        assert f"bob@example.org  SHA-256 {_sha(fixture_pki.bob)}" in out
        assert _shas(cli_home, "bob@example.org") == [_sha(fixture_pki.bob)]


class TestCaCertificatesKeptForChains:
    def _alice_without_chain(self, fixture_pki: FixturePKI, home: Home) -> str:
        from smimetui.core.read.inspect import InspectContext, inspect_message

        raw = mail.message(mail.signed(mail.entity("x\n"), mail.key_of(fixture_pki.alice)))
        report = inspect_message(raw, InspectContext.from_home(home, fetch_revocation=False))
        assert report.signature is not None
        return report.signature.chain.value

    def test_ca_only_file_completes_chains(
        self, fixture_pki: FixturePKI, cli_home: Home, tmp_path: Path, capsys
    ) -> None:
        path = write(tmp_path, "inter.pem", fixture_pki.intermediate.cert_pem)
        assert main(["contacts", "import", str(path)]) == 0
        assert _sha(fixture_pki.intermediate) in capsys.readouterr().out
        assert self._alice_without_chain(fixture_pki, cli_home) == "trusted"

    def test_ca_only_file_is_never_a_trust_anchor(
        self, fixture_pki: FixturePKI, home: Home, tmp_path: Path
    ) -> None:
        path = write(tmp_path, "inter.pem", fixture_pki.intermediate.cert_pem)
        assert main(["contacts", "import", str(path)]) == 0
        assert self._alice_without_chain(fixture_pki, home) != "trusted"
