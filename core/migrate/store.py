"""Store an :class:`Inventory` through the keystore's and the address book's public APIs.

Digital IDs go into the keystore (the key encrypted with the passphrase the user chose), other
people's certificates into the address book with the source's name, CA certificates into the
address book's chain store.  Roots are written to ``offered-roots/<sha256>.pem`` in the home so
that ``smimetui trust add`` can take them: an import never trusts a root.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from smimetui.core.errors import ContactsError
from smimetui.core.migrate.inventory import FoundId, Inventory, UnlockedKey, display_name, sha256
from smimetui.core.pki.contacts import CertificateChange, Contacts
from smimetui.core.pki.keystore import DigitalId, Keystore
from smimetui.core.settings.home import Home

OFFERED_ROOTS = "offered-roots"


def root_file(home: Home, cert: x509.Certificate) -> Path:
    """Where an offered root is (or would be) written for ``smimetui trust add``."""
    return home.data_dir / OFFERED_ROOTS / f"{sha256(cert)}.pem"


@dataclass(frozen=True, slots=True)
class Stored:
    ids: tuple[DigitalId, ...]
    contacts: tuple[tuple[tuple[str, ...], str], ...]  # (addresses, sha256) stored
    refused: tuple[str, ...]  # sentences: changed certificates not taken, contacts not stored


def _write_root(home: Home, cert: x509.Certificate) -> None:
    target = root_file(home, cert)
    home.ensure(target.parent)
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    os.chmod(tmp, 0o600)  # an older file of that name kept its mode
    tmp.replace(target)


def _store_contacts(
    book: Contacts, inventory: Inventory, *, confirm_changes: bool
) -> tuple[list[tuple[tuple[str, ...], str]], list[str]]:
    stored: list[tuple[tuple[str, ...], str]] = []
    refused: list[str] = []
    for found in inventory.contacts:
        taken = list(found.addresses)
        try:
            changes: list[CertificateChange] = book.add_certificate(
                found.cert,
                source=inventory.source,
                name=display_name(found.cert),
                addresses=found.addresses,
                accepted=True,  # the user kept it in their other mail program
            )
        except ContactsError as err:
            refused.append(err.one_line())
            continue
        for change in changes:
            if confirm_changes:
                book.confirm(change)
            else:
                book.reject(change)
                taken = [a for a in taken if a != change.address]
                refused.append(change.describe() + " Not imported; run again with --yes to accept.")
        if taken:
            stored.append((tuple(taken), sha256(found.cert)))
    return stored, refused


def store_inventory(
    home: Home,
    inventory: Inventory,
    keys: Sequence[tuple[FoundId, UnlockedKey]],
    passphrase: bytes | None,
    *,
    confirm_changes: bool = False,
) -> Stored:
    """Write everything in ``inventory``; ``keys`` are the unlocked IDs (stored under
    ``passphrase``, which must not be empty when there are any)."""
    store = Keystore(home)
    ids = []
    for found, unlocked in keys:
        chain = {sha256(c): c for c in (*found.chain, *unlocked.chain)}
        chain.pop(sha256(found.cert), None)
        ids.append(store.add(found.cert, unlocked.key, list(chain.values()), passphrase or b""))
    book = Contacts(home)
    for ca in inventory.chain_cas:
        book.add_intermediate(ca)  # helps build chains; never trusted because of this
    contacts, refused = _store_contacts(book, inventory, confirm_changes=confirm_changes)
    for root in inventory.roots:
        book.add_intermediate(root.cert)
        if root.offered:
            _write_root(home, root.cert)
    return Stored(tuple(ids), tuple(contacts), tuple(refused))
