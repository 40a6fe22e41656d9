"""The address book: contacts, their addresses and their certificates, in SQLite in the home.

Every certificate keeps where it came from ("signed mail", "file", "directory <url>") and when it
was first and last seen.  What a correspondent's mail program reads (SMIMECapabilities) and
which certificate they want mail encrypted to (SMIMEEncryptionKeyPreference) are harvested from
their signed mail, and only replaced by a good signature with a newer signingTime (RFC 8551
§2.5).  A changed certificate for a known address (new key or new issuer) is stored as pending
and comes back as a :class:`CertificateChange` the user must confirm: never accepted silently.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from smimetui.core.cms.certinfo import CertInfo, cert_emails
from smimetui.core.errors import ContactsError
from smimetui.core.settings.home import Home, private_file

SOURCE_MAIL = "signed mail"
SOURCE_FILE = "file"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS addresses (
    address TEXT PRIMARY KEY,            -- lower case
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    capabilities TEXT,                   -- JSON list of capability names, NULL = unknown
    encryption_pref TEXT,                -- sha256 of the certificate they prefer
    capabilities_time TEXT,              -- signingTime of the signature they came from
    override TEXT                        -- sha256 the user chose for encryption
);
CREATE TABLE IF NOT EXISTS certificates (
    address TEXT NOT NULL REFERENCES addresses(address) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    der BLOB NOT NULL,
    source TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0, -- the user said to use it even if not trusted
    pending INTEGER NOT NULL DEFAULT 0,  -- a changed certificate waiting for confirmation
    PRIMARY KEY (address, sha256)
);
CREATE TABLE IF NOT EXISTS intermediates (  -- CA certificates seen with contacts' certificates
    sha256 TEXT PRIMARY KEY,
    der BLOB NOT NULL
);
"""


def normalise(address: str) -> str:
    return address.strip().lower()


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def cert_addresses(cert: x509.Certificate) -> tuple[str, ...]:
    der = cert.public_bytes(serialization.Encoding.DER)
    return tuple(normalise(a) for a in cert_emails(asn1_x509.Certificate.load(der)))


def is_ca(der: bytes) -> bool:
    try:
        return bool(asn1_x509.Certificate.load(der).ca)
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        return False


@dataclass(frozen=True, slots=True)
class ContactCert:
    address: str
    sha256: str
    der: bytes
    source: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    accepted: bool
    pending: bool

    def load(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.der)

    @property
    def info(self) -> CertInfo:
        return CertInfo.from_der(self.der)


@dataclass(frozen=True, slots=True)
class AddressInfo:
    address: str
    certificates: tuple[ContactCert, ...]
    capabilities: tuple[str, ...] | None  # None: their mail program never told us
    encryption_pref: str | None
    capabilities_time: dt.datetime | None
    override: str | None


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    addresses: tuple[AddressInfo, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "addresses": [
                {
                    "address": a.address,
                    "capabilities": list(a.capabilities) if a.capabilities is not None else None,
                    "encryption_preference": a.encryption_pref,
                    "override": a.override,
                    "certificates": [
                        {
                            **c.info.to_json(),
                            "source": c.source,
                            "first_seen": c.first_seen.isoformat(),
                            "last_seen": c.last_seen.isoformat(),
                            "accepted": c.accepted,
                            "pending": c.pending,
                        }
                        for c in a.certificates
                    ],
                }
                for a in self.addresses
            ],
        }


@dataclass(frozen=True, slots=True)
class CertificateChange:
    """A new certificate for a known address that differs in key or issuer: needs a yes."""

    address: str
    old_fingerprints: tuple[str, ...]
    new_fingerprint: str
    new_key: bool
    new_issuer: bool

    def describe(self) -> str:
        what = " and ".join(
            w for w, on in (("a new key", self.new_key), ("a new issuer", self.new_issuer)) if on
        )
        old = ", ".join(self.old_fingerprints)  # in full: a prefix can be matched by a forgery
        return (
            f"The certificate for {self.address} changed ({what}): known SHA-256 {old}, "
            f"new SHA-256 {self.new_fingerprint}. Accept it only if you have confirmed the "
            "change with them."
        )


class Contacts:
    """The SQLite address book of one home.  Each call opens a short transaction."""

    def __init__(self, home: Home) -> None:
        self.path = home.contacts_db
        home.ensure(self.path.parent)
        private_file(self.path)  # SQLite would create it (and its journals) with the umask
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as err:
            raise ContactsError(f"The address book {self.path} cannot be opened: {err}.") from err
        try:
            db.execute("PRAGMA foreign_keys = ON")
            with db:
                yield db
        except sqlite3.DatabaseError as err:
            raise ContactsError(f"The address book {self.path} is damaged: {err}.") from err
        finally:
            db.close()

    # -- writing ----------------------------------------------------------------------------
    def _ensure_address(self, db: sqlite3.Connection, address: str, name: str) -> None:
        row = db.execute(
            "SELECT contact_id FROM addresses WHERE address = ?", (address,)
        ).fetchone()
        if row is None:
            contact_id = db.execute("INSERT INTO contacts (name) VALUES (?)", (name,)).lastrowid
            db.execute(
                "INSERT INTO addresses (address, contact_id) VALUES (?, ?)", (address, contact_id)
            )
        elif name:
            db.execute("UPDATE contacts SET name = ? WHERE id = ? AND name = ''", (name, row[0]))

    def add_certificate(
        self,
        cert: x509.Certificate,
        *,
        source: str,
        name: str = "",
        addresses: Sequence[str] | None = None,
        accepted: bool = False,
        seen: dt.datetime | None = None,
    ) -> list[CertificateChange]:
        """Store ``cert`` for each of its addresses; changed certificates come back pending.

        ``addresses`` narrows the addresses it is stored under; a certificate is never stored
        under an address it does not name (rfc822Name, else emailAddress).
        """
        named = cert_addresses(cert)
        if not named:
            raise ContactsError(
                "This certificate names no email address, so it cannot belong to a contact."
            )
        wanted = [normalise(a) for a in addresses] if addresses is not None else list(named)
        targets = [a for a in dict.fromkeys(wanted) if a in named]
        if not targets:
            raise ContactsError(
                f"The certificate is for {', '.join(named)}, not for {', '.join(wanted)}, so it "
                "is not stored for that address."
            )
        when = (seen or _now()).isoformat()
        sha = fingerprint(cert)
        der = cert.public_bytes(serialization.Encoding.DER)
        changes: list[CertificateChange] = []
        with self._db() as db:
            for address in targets:
                self._ensure_address(db, address, name)
                if db.execute(
                    "SELECT 1 FROM certificates WHERE address = ? AND sha256 = ?", (address, sha)
                ).fetchone():
                    db.execute(
                        "UPDATE certificates SET last_seen = MAX(last_seen, ?), "
                        "accepted = MAX(accepted, ?) WHERE address = ? AND sha256 = ?",
                        (when, int(accepted), address, sha),
                    )
                    continue
                change = self._change(db, address, cert)
                db.execute(
                    "INSERT INTO certificates VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (address, sha, der, source, when, when, int(accepted), int(bool(change))),
                )
                if change:
                    changes.append(change)
        return changes

    def _change(
        self, db: sqlite3.Connection, address: str, cert: x509.Certificate
    ) -> CertificateChange | None:
        known = [
            (row[0], x509.load_der_x509_certificate(row[1]))
            for row in db.execute(
                "SELECT sha256, der FROM certificates WHERE address = ? AND pending = 0",
                (address,),
            )
        ]
        if not known:
            return None
        new_key = all(_spki(old) != _spki(cert) for _, old in known)
        new_issuer = all(old.issuer != cert.issuer for _, old in known)
        if not (new_key or new_issuer):
            return None  # a re-issue by the same CA for the same key: the same identity
        return CertificateChange(
            address, tuple(sha for sha, _ in known), fingerprint(cert), new_key, new_issuer
        )

    def add_intermediate(self, cert: x509.Certificate) -> None:
        """Keep a CA certificate that came with a contact's certificate (to build chains later)."""
        der = cert.public_bytes(serialization.Encoding.DER)
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO intermediates VALUES (?, ?)", (fingerprint(cert), der)
            )

    def intermediates(self) -> list[x509.Certificate]:
        with self._db() as db:
            rows = db.execute("SELECT der FROM intermediates").fetchall()
        return [x509.load_der_x509_certificate(r[0]) for r in rows]

    def confirm(self, change: CertificateChange) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE certificates SET pending = 0, accepted = 1 "
                "WHERE address = ? AND sha256 = ?",
                (change.address, change.new_fingerprint),
            )

    def reject(self, change: CertificateChange) -> None:
        with self._db() as db:
            db.execute(
                "DELETE FROM certificates WHERE address = ? AND sha256 = ? AND pending = 1",
                (change.address, change.new_fingerprint),
            )

    # -- from a directory: one entry's certificates for a new address arrive together --------
    def settle(self, change: CertificateChange) -> None:
        """Clear the pending mark without marking the certificate accepted by the user."""
        with self._db() as db:
            db.execute(
                "UPDATE certificates SET pending = 0 WHERE address = ? AND sha256 = ?",
                (change.address, change.new_fingerprint),
            )

    def record_capabilities(
        self,
        address: str,
        capabilities: Sequence[str],
        encryption_pref: str | None,
        signing_time: dt.datetime,
        *,
        signature_good: bool,
    ) -> bool:
        """Store what their mail program reads; only from a good, newer signature (RFC 8551)."""
        if not signature_good:
            return False
        address = normalise(address)
        when = signing_time.astimezone(dt.UTC)
        with self._db() as db:
            self._ensure_address(db, address, "")
            row = db.execute(
                "SELECT capabilities_time FROM addresses WHERE address = ?", (address,)
            ).fetchone()
            if row[0] is not None and dt.datetime.fromisoformat(row[0]) >= when:
                return False
            db.execute(
                "UPDATE addresses SET capabilities = ?, encryption_pref = ?, "
                "capabilities_time = ? WHERE address = ?",
                (json.dumps(list(capabilities)), encryption_pref, when.isoformat(), address),
            )
        return True

    def set_override(self, address: str, sha256: str | None) -> None:
        address = normalise(address)
        info = self.address(address)
        if info is None:
            raise ContactsError(f"{address} is not in your contacts.")
        if sha256 is not None and not any(c.sha256 == sha256 for c in info.certificates):
            raise ContactsError(f"{address} has no certificate with SHA-256 {sha256}.")
        with self._db() as db:
            db.execute("UPDATE addresses SET override = ? WHERE address = ?", (sha256, address))

    def remove(self, address: str) -> bool:
        """Forget an address with its certificates (and the contact when it was the last)."""
        address = normalise(address)
        with self._db() as db:
            row = db.execute(
                "SELECT contact_id FROM addresses WHERE address = ?", (address,)
            ).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM addresses WHERE address = ?", (address,))
            db.execute(
                "DELETE FROM contacts WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM addresses WHERE contact_id = ?)",
                (row[0], row[0]),
            )
        return True

    # -- reading ----------------------------------------------------------------------------
    def address(self, address: str) -> AddressInfo | None:
        address = normalise(address)
        with self._db() as db:
            row = db.execute(
                "SELECT capabilities, encryption_pref, capabilities_time, override "
                "FROM addresses WHERE address = ?",
                (address,),
            ).fetchone()
            if row is None:
                return None
            certs = db.execute(
                "SELECT address, sha256, der, source, first_seen, last_seen, accepted, pending "
                "FROM certificates WHERE address = ? ORDER BY first_seen DESC",
                (address,),
            ).fetchall()
        return AddressInfo(
            address=address,
            certificates=tuple(_cert_row(r) for r in certs),
            capabilities=tuple(json.loads(row[0])) if row[0] is not None else None,
            encryption_pref=row[1],
            capabilities_time=dt.datetime.fromisoformat(row[2]) if row[2] else None,
            override=row[3],
        )

    def contact(self, address: str) -> Contact | None:
        with self._db() as db:
            row = db.execute(
                "SELECT c.id, c.name FROM contacts c JOIN addresses a ON a.contact_id = c.id "
                "WHERE a.address = ?",
                (normalise(address),),
            ).fetchone()
            if row is None:
                return None
            addrs = [
                r[0]
                for r in db.execute(
                    "SELECT address FROM addresses WHERE contact_id = ? ORDER BY address", (row[0],)
                )
            ]
        infos = tuple(i for i in (self.address(a) for a in addrs) if i is not None)
        return Contact(row[1], infos)

    def list(self) -> list[Contact]:
        with self._db() as db:
            firsts = [
                r[0]
                for r in db.execute(
                    "SELECT MIN(address) FROM addresses GROUP BY contact_id ORDER BY MIN(address)"
                )
            ]
        return [c for c in (self.contact(a) for a in firsts) if c is not None]

    def pending_changes(self, address: str) -> builtins.list[CertificateChange]:  # not self.list
        info = self.address(address)
        if info is None:
            return []
        settled = [c for c in info.certificates if not c.pending]
        changes: builtins.list[CertificateChange] = []
        for cert in (c for c in info.certificates if c.pending):
            new = cert.load()
            olds = [c.load() for c in settled]
            changes.append(
                CertificateChange(
                    info.address,
                    tuple(c.sha256 for c in settled),
                    cert.sha256,
                    all(_spki(o) != _spki(new) for o in olds),
                    all(o.issuer != new.issuer for o in olds),
                )
            )
        return changes


def _cert_row(row: tuple[object, ...]) -> ContactCert:
    return ContactCert(
        address=str(row[0]),
        sha256=str(row[1]),
        der=cast(bytes, row[2]),  # sqlite3 returns a BLOB column as bytes
        source=str(row[3]),
        first_seen=dt.datetime.fromisoformat(str(row[4])),
        last_seen=dt.datetime.fromisoformat(str(row[5])),
        accepted=bool(row[6]),
        pending=bool(row[7]),
    )
