"""NeoMutt's S/MIME folder, as its ``smime_keys`` script lays it out (``~/.smime`` on Debian).

``keys/`` holds private keys (PEM, usually encrypted with a passphrase) and ``certificates/`` the
certificates, each file named ``<openssl subject hash>.<n>``.  Each folder has a ``.index`` whose
lines read ``mailbox hash label issuer_hash trust purpose``; ``issuer_hash`` names the file of
intermediates smime_keys stored beside a certificate.  A key becomes a digital ID; every other
indexed certificate becomes a contact under the mailboxes its index lines give.  Roots added with
``smime_keys add_root`` are appended to ``ca-certificates.crt`` or ``ca-bundle.crt`` in the folder
(Debian's ``smime_ca_location``); those not in the system store are offered for ``trust add``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from smimetui.core.errors import InputError, KeyUnlockError
from smimetui.core.migrate.inventory import (
    FoundContact,
    FoundId,
    FoundRoot,
    Inventory,
    Unlock,
    UnlockedKey,
    chain_for,
    is_ca_cert,
    read_certificates,
    sha256,
    system_fingerprints,
)
from smimetui.core.pki.contacts import cert_addresses, normalise

if TYPE_CHECKING:
    from smimetui.core.settings.home import Home

DEFAULT = Path("~/.smime")
BUNDLES = ("ca-certificates.crt", "ca-bundle.crt")
_HASH = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")
_KEY_TYPES = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)


@dataclass(frozen=True, slots=True)
class IndexLine:
    mailbox: str
    hash: str
    issuer_hash: str | None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(f"{path} cannot be read: {err.strerror or err}.") from err


def read_index(folder: Path) -> list[IndexLine]:
    """The lines of ``folder/.index`` (a missing index is an empty one)."""
    path = folder / ".index"
    if not path.exists():
        return []
    lines = []
    for number, text in enumerate(_read(path).decode("utf-8", "replace").splitlines(), 1):
        fields = text.split()
        if not fields:
            continue
        if len(fields) < 2 or not _HASH.match(fields[1]):
            raise InputError(f"Line {number} of {path} is not a smime_keys index line.")
        issuer = fields[3] if len(fields) > 3 and _HASH.match(fields[3]) else None
        lines.append(IndexLine(normalise(fields[0]), fields[1], issuer))
    return lines


def _certs(path: Path) -> list[x509.Certificate]:
    try:
        return read_certificates(_read(path))
    except ValueError as err:
        raise InputError(f"{path} holds no readable certificate.") from err


def _unlock(path: Path, label: str) -> Unlock:
    def unlock(secret: bytes | None) -> UnlockedKey:
        data = _read(path)
        try:
            key = serialization.load_pem_private_key(data, secret or None)
        except TypeError as err:  # encrypted, and no passphrase given (or the reverse)
            if secret:
                key = serialization.load_pem_private_key(data, None)
            else:
                raise KeyUnlockError(
                    f"The NeoMutt key of {label} is protected by a passphrase; give it to "
                    "import the key."
                ) from err
        except ValueError as err:
            if b"PRIVATE KEY" not in data:
                raise InputError(f"{path} is not a PEM private key.") from err
            raise KeyUnlockError(
                f"The passphrase for the NeoMutt key of {label} is wrong."
            ) from err
        if not isinstance(key, _KEY_TYPES):
            raise InputError(f"{path} holds a key type S/MIME cannot use.")
        return UnlockedKey(key)

    return unlock


@contextmanager
def open_store(given: str | None, home: Home) -> Iterator[Inventory]:
    """The inventory of the NeoMutt folder ``given`` (default ``~/.smime``)."""
    yield scan(locate(given), system_fingerprints(home))


def locate(given: str | None) -> Path:
    folder = Path(given).expanduser() if given else DEFAULT.expanduser()
    if not (folder / "keys").is_dir() and not (folder / "certificates").is_dir():
        raise InputError(
            f"{folder} is not a NeoMutt S/MIME folder: it has neither keys/ nor certificates/ "
            "(as `smime_keys init` makes them)."
        )
    return folder


def _first(path: Path, inventory: Inventory) -> x509.Certificate | None:
    """The certificate in ``path``; None (and the reason in the summary) when unreadable."""
    try:
        return _certs(path)[0]
    except InputError as err:
        inventory.skipped.append(f"Left out: {err.one_line()}")
        return None


def scan(folder: Path, system: frozenset[str]) -> Inventory:
    """Read ``folder`` (nothing is written)."""
    inventory = Inventory("neomutt", str(folder))
    certs_dir, keys_dir = folder / "certificates", folder / "keys"
    cert_lines = read_index(certs_dir)
    key_lines = read_index(keys_dir)
    pool: dict[str, x509.Certificate] = {}
    for issuer_hash in {line.issuer_hash for line in cert_lines if line.issuer_hash}:
        if (certs_dir / issuer_hash).exists():
            for ca in _certs(certs_dir / issuer_hash):
                pool[sha256(ca)] = ca
    own = {k.hash for k in key_lines}
    _contacts(certs_dir, [c for c in cert_lines if c.hash not in own], pool, inventory)
    for line in {k.hash: k for k in key_lines}.values():
        cert = _first(certs_dir / line.hash, inventory)
        if cert is None:
            continue
        inventory.ids.append(
            FoundId(
                cert,
                chain_for(cert, pool.values()),
                _unlock(keys_dir / line.hash, line.mailbox),
                f"the passphrase of the NeoMutt key of {line.mailbox}",
            )
        )
    roots = _roots(folder, system, inventory)
    inventory.chain_cas.extend(c for s, c in pool.items() if s not in roots)
    return inventory


def _contacts(
    certs_dir: Path,
    lines: list[IndexLine],
    pool: dict[str, x509.Certificate],
    inventory: Inventory,
) -> None:
    """Other people's certificates, each under the mailboxes its index lines give."""
    mailboxes: dict[str, list[str]] = {}
    for line in lines:
        mailboxes.setdefault(line.hash, []).append(line.mailbox)
    for name, boxes in mailboxes.items():
        cert = _first(certs_dir / name, inventory)
        if cert is None:
            continue
        if is_ca_cert(cert):
            pool[sha256(cert)] = cert
            continue
        named = cert_addresses(cert)
        kept = tuple(b for b in dict.fromkeys(boxes) if b in named)
        for box in dict.fromkeys(boxes):
            if box not in named:
                inventory.skipped.append(
                    f"The certificate {name} is filed under {box} but is for "
                    f"{', '.join(named) or 'no address'}, so it is not stored for {box}."
                )
        if kept:
            inventory.contacts.append(FoundContact(cert, kept))


def _roots(folder: Path, system: frozenset[str], inventory: Inventory) -> set[str]:
    seen: set[str] = set()
    in_system = 0
    for name in BUNDLES:
        path = folder / name
        if not path.exists():
            continue
        for cert in _certs(path):
            sha = sha256(cert)
            if sha in seen:
                continue
            seen.add(sha)
            if sha in system:
                in_system += 1  # a copy of the system store: nothing to offer
                continue
            inventory.roots.append(
                FoundRoot(cert, True, f"NeoMutt trusted it ({name} in {folder}).")
            )
    if in_system:
        inventory.skipped.append(
            f"{in_system} root{'s' if in_system != 1 else ''} in NeoMutt's CA file "
            "are in the system's CA store, which smimetui already trusts."
        )
    return seen
