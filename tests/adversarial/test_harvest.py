"""Certificates harvested from mail: a stranger must not plant a key for a contact.

Anyone can make a certificate with anyone's address in it; a client that learns certificates
from every signed mail lets an attacker replace the key that the user's next encrypted mail to
that contact goes to.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.contacts import Contacts
from smimetui.core.pki.makecerts import Issued
from smimetui.core.read.harvest import harvest
from smimetui.core.read.inspect import inspect_message
from smimetui.core.settings.home import Home
from tests.adversarial.helpers import write
from tests.support import crafted as mail
from tests.support.pki import FixturePKI

TEXT = mail.entity("My new certificate is attached to this signature.\n")


def _mail(signer: Issued, *chain: Issued, sender: str = "alice@example.org") -> bytes:
    return mail.message(mail.signed(TEXT, mail.key_of(signer, *chain)), sender=sender)


def _certs(book: Contacts, address: str) -> list[str]:
    info = book.address(address)
    return [c.sha256 for c in info.certificates] if info else []


@pytest.fixture
def book(home: Home) -> Contacts:
    return Contacts(home)


def test_harvest_refuses_untrusted_signature(fixture_pki: FixturePKI, ctx, book) -> None:
    # Naive: rogue Alice's self-made chain signs a perfectly valid signature with From: Alice;
    # the client stores "Alice's new certificate" and encrypts to the attacker from now on.
    report = inspect_message(_mail(fixture_pki.rogue_alice, fixture_pki.rogue_root), ctx)
    assert report.signature is not None and report.signature.from_match  # math and From fine
    assert harvest(book, report) == []
    assert _certs(book, "alice@example.org") == []


def test_harvest_refuses_signer_not_matching_from(fixture_pki, ctx, book) -> None:
    # Naive: Bob's certificate is stored under the From address (Alice) of a mail Bob signed.
    report = inspect_message(_mail(fixture_pki.bob, fixture_pki.intermediate), ctx)
    assert harvest(book, report) == []
    assert _certs(book, "alice@example.org") == [] and _certs(book, "bob@example.org") == []


def test_harvest_refuses_bad_signature(fixture_pki, ctx, book) -> None:
    raw = _mail(fixture_pki.alice, fixture_pki.intermediate).replace(b"My new", b"My old")
    report = inspect_message(raw, ctx)
    assert harvest(book, report) == []
    assert _certs(book, "alice@example.org") == []


def test_harvest_refuses_partial_signature(fixture_pki, ctx, book) -> None:
    body = mail.multipart(
        "mixed",
        [mail.entity("unsigned"), mail.signed(TEXT, mail.key_of(fixture_pki.alice))],
        "p",
    )
    report = inspect_message(mail.message(body), ctx)
    assert harvest(book, report) == []


def test_harvest_accepts_good_trusted_matching(fixture_pki, ctx, book) -> None:
    # The one case that teaches: good, trusted, matching From, whole message.
    report = inspect_message(_mail(fixture_pki.alice, fixture_pki.intermediate), ctx)
    assert harvest(book, report) == []  # nothing to confirm: a first certificate
    assert _certs(book, "alice@example.org") == [mail.asn1(fixture_pki.alice).sha256.hex()]


def test_replacement_certificate_needs_confirmation_with_both_fingerprints(
    fixture_pki: FixturePKI, ctx, book
) -> None:
    # Naive: a new certificate (new key) for a known contact silently replaces the old one.
    first = inspect_message(_mail(fixture_pki.alice, fixture_pki.intermediate), ctx)
    harvest(book, first)
    new_alice = pki.make_leaf(fixture_pki.intermediate, "alice@example.org")
    report = inspect_message(_mail(new_alice, fixture_pki.intermediate), ctx)
    (change,) = harvest(book, report)
    old_sha = mail.asn1(fixture_pki.alice).sha256.hex()
    new_sha = mail.asn1(new_alice).sha256.hex()
    assert change.old_fingerprints == (old_sha,) and change.new_fingerprint == new_sha
    text = change.describe()
    assert old_sha in text and new_sha in text  # both, in full
    pending = [c for c in book.address("alice@example.org").certificates if c.pending]
    assert [c.sha256 for c in pending] == [new_sha]


def test_contacts_import_of_untrusted_signed_eml_refused(
    fixture_pki: FixturePKI, cli_home: Home, tmp_path: Path, capsys
) -> None:
    # Naive: `contacts import mail.eml` stores whatever certificate signed it.
    path = write(tmp_path, "rogue.eml", _mail(fixture_pki.rogue_alice, fixture_pki.rogue_root))
    assert main(["contacts", "import", str(path)]) == 2
    assert "trust" in capsys.readouterr().err
    assert _certs(Contacts(cli_home), "alice@example.org") == []


def test_contacts_import_replacement_refused_without_yes(
    fixture_pki: FixturePKI, cli_home: Home, tmp_path: Path, capsys
) -> None:
    good = write(tmp_path, "a.eml", _mail(fixture_pki.alice, fixture_pki.intermediate))
    assert main(["contacts", "import", str(good)]) == 0
    new_alice = pki.make_leaf(fixture_pki.intermediate, "alice@example.org")
    newer = write(tmp_path, "b.eml", _mail(new_alice, fixture_pki.intermediate))
    capsys.readouterr()
    assert main(["contacts", "import", str(newer)]) == 2  # not interactive: refused
    err = capsys.readouterr().err
    assert mail.asn1(fixture_pki.alice).sha256.hex() in err
    assert mail.asn1(new_alice).sha256.hex() in err
    assert _certs(Contacts(cli_home), "alice@example.org") == [
        mail.asn1(fixture_pki.alice).sha256.hex()
    ]


# -- reading is not harvesting: one explicit call (core/read/harvest) ---------------------------
def test_looking_up_the_signer_writes_nothing(fixture_pki: FixturePKI, ctx, home: Home) -> None:
    from smimetui.core.read.harvest import signer_record

    report = inspect_message(_mail(fixture_pki.alice, fixture_pki.intermediate), ctx)
    record = signer_record(home, report)
    assert record is not None and not record.in_contacts and not record.harvested
    assert _certs(Contacts(home), "alice@example.org") == []  # a lookup stores nothing


def test_learning_needs_a_known_contact(fixture_pki: FixturePKI, ctx, home: Home) -> None:
    from smimetui.core.read.harvest import learn_from_message, signer_record

    report = inspect_message(_mail(fixture_pki.alice, fixture_pki.intermediate), ctx)
    assert learn_from_message(home, report) is False  # a stranger's certificate: ctrl+k asks
    assert _certs(Contacts(home), "alice@example.org") == []
    Contacts(home).add_certificate(fixture_pki.alice.cert, source="file", accepted=True)
    assert learn_from_message(home, report) is True
    record = signer_record(home, report, learnt=True)
    assert record is not None and record.in_contacts and record.source == "file"
    assert record.harvested


def test_learning_refuses_what_harvest_refuses(fixture_pki: FixturePKI, ctx, home: Home) -> None:
    from smimetui.core.read.harvest import learn_from_message

    Contacts(home).add_certificate(fixture_pki.alice.cert, source="file", accepted=True)
    raw = _mail(fixture_pki.alice, fixture_pki.intermediate).replace(b"My new", b"My old")
    assert learn_from_message(home, inspect_message(raw, ctx)) is False  # a bad signature
