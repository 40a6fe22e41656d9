"""The user's digital IDs: certificate, chain and private key, the key encrypted at rest.

Each ID lives in ``keystore_dir/<sha256 of the certificate>/``: ``cert.pem``, ``chain.pem``,
``key.pem`` (PKCS#8 encrypted with the best algorithm cryptography offers) and ``meta.json``.
Directories are 0700 and files 0600; a key is never written unencrypted, not even briefly.
Several IDs per address are kept: old keys still decrypt old mail.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.cms.keytypes import PrivateKey
from smimetui.core.errors import IdentityError, InputError, KeyUnlockError, NoPassphraseError
from smimetui.core.pki.p12read import mac_verifies, unreadable_part
from smimetui.core.pki.passphrase import KeyringPassphrase, PassphraseSource, attempts, notify
from smimetui.core.settings.home import Home

_KEY_TYPES = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)
CERT_FILE, CHAIN_FILE, KEY_FILE, META_FILE = "cert.pem", "chain.pem", "key.pem", "meta.json"
NO_EMPTY_PASSPHRASE = (
    "The key needs a passphrase before it is stored: choose a passphrase; "
    "keys are never stored unencrypted."
)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _usages(cert: x509.Certificate) -> tuple[bool, bool]:
    """(can_sign, can_encrypt) from keyUsage and extendedKeyUsage (RFC 8550)."""
    public = cert.public_key()
    can_sign = True
    can_encrypt = isinstance(public, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        can_sign = usage.digital_signature or usage.content_commitment
        can_encrypt = can_encrypt and (
            usage.key_encipherment if isinstance(public, rsa.RSAPublicKey) else usage.key_agreement
        )
    except x509.ExtensionNotFound:
        pass
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if not {
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
            ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
        } & set(eku):
            return False, False
    except x509.ExtensionNotFound:
        pass
    return can_sign, can_encrypt


@dataclass(frozen=True, slots=True)
class DigitalId:
    """One of the user's identities: a certificate whose private key is in the keystore."""

    id: str  # sha256 hex of the certificate DER
    emails: tuple[str, ...]
    cert: CertInfo
    chain: tuple[CertInfo, ...]  # intermediates (and the root if the p12 had it)
    added: dt.datetime
    can_sign: bool
    can_encrypt: bool

    def load_cert(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.cert.der)

    @property
    def label(self) -> str:
        """How to name this ID in a sentence: its address, else its subject."""
        return self.emails[0] if self.emails else self.cert.display_name

    @property
    def short_id(self) -> str:
        return self.id[:12]


@dataclass(frozen=True, slots=True)
class OpenedPkcs12:
    """The contents of a PKCS#12 file, in memory only."""

    cert: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...]
    passphrase: bytes | None  # the one that opened it

    @property
    def label(self) -> str:
        emails = CertInfo.from_der(_der(self.cert)).email
        return emails[0] if emails else self.cert.subject.rfc4514_string()


class StoredKey:
    """A KeyCandidate: the certificate at once, the key only when asked (and then kept)."""

    __slots__ = ("_key", "_lock", "_passphrases", "_store", "cert", "ident")

    def __init__(self, store: Keystore, ident: DigitalId, passphrases: PassphraseSource) -> None:
        self._store = store
        self.ident = ident
        self.cert = ident.load_cert()
        self._passphrases = passphrases
        self._key: PrivateKey | None = None
        # Two workers opening two encrypted messages at once must not ask twice: the second
        # waits for the first unlock and then uses its key.
        self._lock = threading.Lock()

    def private_key(self) -> PrivateKey:
        with self._lock:
            if self._key is None:
                self._key = self._store.unlock_with(self.ident, self._passphrases)
            return self._key


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, created 0600 (never readable by others)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_chain(path: Path) -> list[x509.Certificate]:
    if not path.exists():
        return []
    data = path.read_bytes()
    return x509.load_pem_x509_certificates(data) if data.strip() else []


def _previous_chain(path: Path) -> list[x509.Certificate]:
    try:
        return _read_chain(path)
    except (OSError, ValueError):
        return []  # unreadable: the new chain replaces it


def _pem(certs: Sequence[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _normalise_email(email: str) -> str:
    local, sep, domain = email.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if sep else email.strip()


class Keystore:
    def __init__(self, home: Home) -> None:
        self.home = home
        self.root = home.keystore_dir
        self.skipped: list[Path] = []  # entries that could not be read (kept on disk)

    # -- reading ------------------------------------------------------------------------------
    def _load(self, folder: Path) -> DigitalId:
        cert_der = x509.load_pem_x509_certificate((folder / CERT_FILE).read_bytes())
        chain = _read_chain(folder / CHAIN_FILE)
        meta = json.loads((folder / META_FILE).read_text("utf-8"))
        info = CertInfo.from_der(_der(cert_der))
        can_sign, can_encrypt = _usages(cert_der)
        return DigitalId(
            id=info.sha256,
            emails=info.email,
            cert=info,
            chain=tuple(CertInfo.from_der(_der(c)) for c in chain),
            added=dt.datetime.fromisoformat(meta["added"]),
            can_sign=can_sign,
            can_encrypt=can_encrypt,
        )

    def list(self) -> list[DigitalId]:
        """Every ID, the newest certificate first."""
        self.skipped = []
        if not self.root.is_dir():
            return []
        found: list[DigitalId] = []
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            try:
                found.append(self._load(folder))
            except (OSError, ValueError, KeyError, TypeError):
                self.skipped.append(folder)
        found.sort(key=lambda i: (i.cert.not_before, i.added), reverse=True)
        return found

    def find(self, email: str) -> builtins.list[DigitalId]:
        """IDs whose certificate carries ``email`` (the domain compared case-insensitively)."""
        wanted = _normalise_email(email)
        return [i for i in self.list() if wanted in i.emails]

    def get(self, id_prefix: str) -> DigitalId:
        """The one ID whose fingerprint starts with ``id_prefix`` (or with that address)."""
        wanted = id_prefix.strip().lower()
        if "@" in wanted:
            matches = self.find(id_prefix)
        else:
            matches = [i for i in self.list() if wanted and i.id.startswith(wanted)]
        if not matches:
            raise IdentityError(
                f"No digital ID matches {id_prefix!r}; `smimetui id list` shows the ones you have."
            )
        if len(matches) > 1:
            raise IdentityError(
                f"{id_prefix!r} matches {len(matches)} digital IDs; give more characters of "
                "the ID shown by `smimetui id list`."
            )
        return matches[0]

    # -- writing ------------------------------------------------------------------------------
    def add(
        self,
        cert: x509.Certificate,
        key: PrivateKeyTypes,  # any loaded key: the types S/MIME can use are checked here
        chain: Sequence[x509.Certificate],
        passphrase: bytes,
    ) -> DigitalId:
        """Store ``cert`` with ``key`` encrypted under ``passphrase``; replaces the same ID."""
        if not passphrase:
            raise IdentityError(NO_EMPTY_PASSPHRASE)
        if not isinstance(key, _KEY_TYPES):
            raise InputError(
                "Only RSA, EC (P-256/384/521) and Ed25519 keys can be used for S/MIME."
            )
        if not _same_key(cert, key):
            raise InputError("The private key does not belong to the certificate.")
        ident = hashlib.sha256(_der(cert)).hexdigest()
        folder = self.home.ensure(self.root) / ident
        previous = folder / META_FILE
        added = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if previous.exists():
            with contextlib.suppress(OSError, ValueError, KeyError):
                added = json.loads(previous.read_text("utf-8"))["added"]
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.root, 0o700)
        os.chmod(folder, 0o700)
        encrypted = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
        _write_private(folder / KEY_FILE, encrypted)
        _write_private(folder / CERT_FILE, _pem([cert]))
        # A re-import (new passphrase, renewed chain) keeps intermediates it already had.
        merged = {_der(c): c for c in [*chain, *_previous_chain(folder / CHAIN_FILE)]}
        merged.pop(_der(cert), None)
        _write_private(folder / CHAIN_FILE, _pem(list(merged.values())))
        _write_private(folder / META_FILE, json.dumps({"added": added, "format": 1}).encode())
        return self._load(folder)

    def open_pkcs12(
        self, data: bytes, passphrase: bytes | None, *, name: str = "this PKCS#12 file"
    ) -> OpenedPkcs12:
        """Open a .p12/.pfx without storing anything (to check a passphrase, or preview)."""
        bundle = _open_pkcs12(data, passphrase, name)
        if bundle.key is None:
            raise InputError(
                f"{name} contains no private key; other people's certificates are imported "
                "with `smimetui contacts import`."
            )
        key = bundle.key
        if not isinstance(key, _KEY_TYPES):
            kind = type(key).__name__.removesuffix("PrivateKey")
            raise InputError(
                f"{name} holds a {kind} key; only RSA, EC (P-256/384/521) and Ed25519 "
                "keys can be used for S/MIME."
            )
        certs = [c.certificate for c in ([bundle.cert] if bundle.cert else [])]
        certs += [c.certificate for c in bundle.additional_certs]
        leaf = next((c for c in certs if _same_key(c, key)), None)
        if leaf is None:
            raise InputError(f"{name} has no certificate for its private key.")
        chain = tuple(c for c in certs if c is not leaf)
        return OpenedPkcs12(leaf, key, chain, passphrase)

    def import_pkcs12(
        self,
        data: bytes,
        passphrase: bytes | None,
        *,
        store_passphrase: bytes | None = None,
        name: str = "this PKCS#12 file",
    ) -> DigitalId:
        """Open a .p12/.pfx and store its key (encrypted), certificate and chain.

        The key is stored under ``store_passphrase``, or else under the file's own passphrase;
        an empty one is refused, because keys are never stored unencrypted.
        """
        opened = self.open_pkcs12(data, passphrase, name=name)
        stored = store_passphrase if store_passphrase is not None else passphrase
        if not stored:
            raise IdentityError(NO_EMPTY_PASSPHRASE)
        return self.add(opened.cert, opened.key, opened.chain, stored)

    def remove(self, id_prefix: str) -> DigitalId:
        ident = self.get(id_prefix)
        shutil.rmtree(self.root / ident.id)
        KeyringPassphrase.forget(ident)
        return ident

    # -- keys ---------------------------------------------------------------------------------
    def unlock(self, ident: DigitalId, passphrase: bytes) -> PrivateKey:
        """The private key of ``ident``; KeyUnlockError when ``passphrase`` is wrong."""
        path = self.root / ident.id / KEY_FILE
        try:
            pem = path.read_bytes()
        except OSError as err:
            raise IdentityError(
                f"The key of your digital ID {ident.label} is missing from {path.parent}."
            ) from err
        try:
            key = serialization.load_pem_private_key(pem, passphrase)
        except (ValueError, TypeError) as err:
            raise KeyUnlockError(
                f"The passphrase for your digital ID {ident.label} is wrong."
            ) from err
        if not isinstance(key, _KEY_TYPES):
            raise IdentityError(f"The key of your digital ID {ident.label} is of an unusable type.")
        return key

    def unlock_with(self, ident: DigitalId, passphrases: PassphraseSource) -> PrivateKey:
        """Try each passphrase ``passphrases`` offers, in order."""
        tried: list[str] = []
        for passphrase, origin in attempts(passphrases, ident):
            try:
                key = self.unlock(ident, passphrase)
            except KeyUnlockError:
                notify(passphrases, "rejected", ident, passphrase)
                if origin not in tried:
                    tried.append(origin)
                continue
            notify(passphrases, "accepted", ident, passphrase)
            return key
        if tried:
            where = tried[0] if len(tried) == 1 else ", ".join(tried[:-1]) + " and " + tried[-1]
            raise KeyUnlockError(
                f"The passphrase for your digital ID {ident.label} is wrong (tried {where})."
            )
        raise NoPassphraseError(
            f"Your digital ID {ident.label} is locked and no passphrase was given: use "
            "--passphrase-file F, save it in the keyring (`smimetui id import --keyring`), "
            "or run smimetui in a terminal to be asked."
        )

    def candidates(self, passphrases: PassphraseSource) -> builtins.list[StoredKey]:
        """Every ID as a lazily unlocked key (old ones too: they still decrypt old mail)."""
        return [StoredKey(self, ident, passphrases) for ident in self.list()]


def _same_key(cert: x509.Certificate, key: PrivateKeyTypes) -> bool:
    try:
        public = key.public_key()
        fmt = serialization.PublicFormat.SubjectPublicKeyInfo
        enc = serialization.Encoding.DER
        return bool(public.public_bytes(enc, fmt) == cert.public_key().public_bytes(enc, fmt))
    except (ValueError, TypeError, UnsupportedAlgorithm):  # a key cryptography cannot serialise
        return False


def _open_pkcs12(
    data: bytes, passphrase: bytes | None, name: str
) -> pkcs12.PKCS12KeyAndCertificates:
    # An empty passphrase is written either as none or as "" depending on the tool: try both.
    tries = [passphrase] if passphrase else [None, b""]
    failed: list[tuple[bytes | None, ValueError]] = []
    for attempt in tries:
        try:
            return pkcs12.load_pkcs12(data, attempt)
        except ValueError as err:
            failed.append((attempt, err))
        except UnsupportedAlgorithm as err:  # a cipher or MAC cryptography does not offer
            raise InputError(f"{name} cannot be opened: {err}.") from err
    # cryptography raises ValueError for a wrong passphrase and for contents it cannot read:
    # tell them apart by the structure, then by the file's MAC (keyed by the passphrase).
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        pfx["auth_safe"]["content_type"].native  # noqa: B018 - force the parse
    except Exception as err:  # a damaged file: asn1crypto raises many kinds
        raise InputError(f"{name} is not a PKCS#12 (.p12/.pfx) file.") from err
    for attempt, failure in failed:
        right = mac_verifies(pfx, attempt)
        if right is None:  # no MAC to check: cryptography's words are all there is
            right = "password" not in str(failure).lower()
        if right:
            part = unreadable_part(pfx, attempt) or "a certificate or key"
            opened = "opens with this passphrase" if attempt else "opens"
            raise InputError(
                f"{name} {opened}, but {part} in it cannot be read; smimetui reads RSA, "
                "EC (P-256/384/521) and Ed25519 certificates and keys.",
                title="Unreadable PKCS#12 contents",
            ) from failure
    if not passphrase:
        raise KeyUnlockError(f"{name} is protected by a passphrase; give it to open the file.")
    raise KeyUnlockError(f"The passphrase for {name} is wrong.")
