"""What an import found in another program's store, before anything is written.

Sources fill an :class:`Inventory`; the CLI prints it (``--dry-run``) or hands it to
:func:`smimetui.core.migrate.store.store_inventory`.  Private keys are not part of it: each
:class:`FoundId` carries an ``unlock`` callable that extracts the key with the secret the user
gives (the NSS primary password, a gpgsm or NeoMutt key passphrase).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.cms.keytypes import PrivateKey
from smimetui.core.pki.contacts import cert_addresses, is_ca
from smimetui.core.settings.home import Home


def sha256(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def is_ca_cert(cert: x509.Certificate) -> bool:
    return is_ca(der(cert))


def display_name(cert: x509.Certificate) -> str:
    return CertInfo.from_der(der(cert)).display_name


@dataclass(frozen=True, slots=True)
class UnlockedKey:
    """A private key taken out of the other program, with any chain that came with it."""

    key: PrivateKey
    chain: tuple[x509.Certificate, ...] = ()


Unlock = Callable[[bytes | None], UnlockedKey]


@dataclass(frozen=True, slots=True)
class FoundId:
    """A certificate whose private key the other program holds."""

    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    unlock: Unlock  # KeyUnlockError when the secret is wrong or missing
    secret_name: str  # "the NSS primary password of …", for prompts and errors

    @property
    def label(self) -> str:
        addresses = cert_addresses(self.cert)
        return addresses[0] if addresses else display_name(self.cert)


@dataclass(frozen=True, slots=True)
class FoundContact:
    """Someone else's certificate, with the addresses the source filed it under."""

    cert: x509.Certificate
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FoundRoot:
    """A CA certificate the source trusted (``offered``) or merely held, and why."""

    cert: x509.Certificate
    offered: bool
    why: str  # a sentence: why it is offered, or why not


@dataclass(slots=True)
class Inventory:
    source: str  # "thunderbird", "gpgsm", "neomutt": also the contacts' source
    location: str  # the profile or folder read
    ids: list[FoundId] = field(default_factory=list)
    contacts: list[FoundContact] = field(default_factory=list)
    chain_cas: list[x509.Certificate] = field(default_factory=list)  # kept to build chains
    roots: list[FoundRoot] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # sentences


def chain_for(
    cert: x509.Certificate, pool: Iterable[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    """Issuers of ``cert`` found in ``pool``, by name, nearest first (roots included)."""
    by_subject: dict[bytes, list[x509.Certificate]] = {}
    for candidate in pool:
        if is_ca_cert(candidate):
            by_subject.setdefault(candidate.subject.public_bytes(), []).append(candidate)
    chain: list[x509.Certificate] = []
    seen = {sha256(cert)}
    current = cert
    while len(chain) < 10 and current.issuer != current.subject:
        issuers = [
            c for c in by_subject.get(current.issuer.public_bytes(), []) if sha256(c) not in seen
        ]
        if not issuers:
            break
        current = issuers[0]
        chain.append(current)
        seen.add(sha256(current))
    return tuple(chain)


def sort_certificates(
    certs: Sequence[x509.Certificate], own: set[str]
) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
    """(CA certificates, other people's end-entity certificates), skipping ``own`` ones."""
    cas = [c for c in certs if is_ca_cert(c)]
    people = [c for c in certs if not is_ca_cert(c) and sha256(c) not in own]
    return cas, people


def read_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in PEM ``data`` (text around them allowed), or one DER certificate;
    ValueError when there is none."""
    if b"-----BEGIN" in data:
        return list(x509.load_pem_x509_certificates(data))
    return [x509.load_der_x509_certificate(data)]


def system_fingerprints(home: Home) -> frozenset[str]:
    """SHA-256 of every root in the system CA store smimetui already trusts."""
    # lazy: pyhanko's validator only when a chain is checked
    from smimetui.core.pki.trust import TrustStore

    return frozenset(
        hashlib.sha256(c.dump()).hexdigest() for c in TrustStore(home).system_anchors()
    )


ALREADY_TRUSTED = "it is in the system's CA store, which smimetui already trusts."
