"""Thunderbird's NSS database (``cert9.db``/``key4.db`` in the profile), read by NSS's own tools.

The two files are copied into a private temporary folder first, so nothing in the profile is
touched, even while Thunderbird runs.  ``certutil -L`` lists the certificates with their trust
flags (SSL, S/MIME, code signing); ``certutil -L -n NICK -a`` gives each one's PEM, and
``pk12util -o`` exports a certificate with its key (the primary password and a one-time export
password reach it through pipes as ``/dev/fd/N``).

- ``u`` (the user's own: NSS holds the key): a digital ID;
- an end-entity certificate with an address: a contact (source ``thunderbird``);
- a CA certificate with ``C`` in the S/MIME column (trusted for email, which only a user does for
  a root outside NSS's built-in list): offered for ``trust add``; other CA certificates are kept
  for building chains.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509

from smimetui.core.errors import InputError, KeyUnlockError
from smimetui.core.migrate.inventory import (
    ALREADY_TRUSTED,
    FoundContact,
    FoundId,
    FoundRoot,
    Inventory,
    Unlock,
    UnlockedKey,
    chain_for,
    display_name,
    is_ca_cert,
    read_certificates,
    sha256,
    system_fingerprints,
)
from smimetui.core.migrate.thunderbird_profile import locate
from smimetui.core.migrate.tools import last_line, require, run_tool
from smimetui.core.pki.contacts import cert_addresses
from smimetui.core.pki.keystore import Keystore

if TYPE_CHECKING:
    from smimetui.core.settings.home import Home

_LINE = re.compile(r"^(?P<nick>.*\S)\s+(?P<trust>[A-Za-z]*,[A-Za-z]*,[A-Za-z]*)\s*$")
_BAD_PASSWORD = "SEC_ERROR_BAD_PASSWORD"


@dataclass(frozen=True, slots=True)
class Entry:
    nickname: str
    ssl: str
    smime: str

    @property
    def own(self) -> bool:
        return "u" in self.ssl + self.smime


class _Nss:
    def __init__(self, copy: Path, profile: Path) -> None:
        self.db = f"sql:{copy}"
        self.copy = copy
        self.profile = profile
        self.certutil = require("certutil", "libnss3-tools")
        self.pk12util = require("pk12util", "libnss3-tools")

    def entries(self) -> list[Entry]:
        result = run_tool([self.certutil, "-L", "-d", self.db])
        if result.returncode != 0:
            raise InputError(
                f"certutil could not read the certificates of {self.profile}: "
                f"{last_line(result.stderr)}."
            )
        found: dict[str, Entry] = {}
        for line in result.stdout.decode("utf-8", "replace").splitlines()[3:]:
            match = _LINE.match(line)
            if match is None:
                continue
            ssl, smime, _ = match["trust"].split(",")
            nick = match["nick"]
            old = found.get(nick)
            if old is not None:  # one nickname, several certificates: keep every flag
                ssl, smime = old.ssl + ssl, old.smime + smime
            found[nick] = Entry(nick, ssl, smime)
        return list(found.values())

    def certificates(self, nickname: str) -> list[x509.Certificate]:
        result = run_tool([self.certutil, "-L", "-d", self.db, "-n", nickname, "-a"])
        try:
            return read_certificates(result.stdout) if result.returncode == 0 else []
        except ValueError:
            return []

    def export(self, nickname: str, label: str, password: bytes | None) -> tuple[bytes, bytes]:
        """The PKCS#12 pk12util writes for ``nickname``, and the one-time password on it."""
        target = self.copy / f"export-{secrets.token_hex(8)}.p12"
        one_time = secrets.token_urlsafe(24).encode()
        args = [self.pk12util, "-o", str(target), "-n", nickname, "-d", self.db]
        result = run_tool(
            [*args, "-k", "/dev/fd/@FD0@", "-w", "/dev/fd/@FD1@"],
            secrets=[password or b"", one_time],
        )
        if _BAD_PASSWORD in result.stderr:
            if password:
                raise KeyUnlockError(
                    f"The NSS primary password of the Thunderbird profile {self.profile} is wrong."
                )
            raise KeyUnlockError(
                f"The Thunderbird profile {self.profile} is protected by a primary password; "
                "give it to import your digital IDs."
            )
        if result.returncode != 0 or not target.exists():
            raise InputError(
                f"pk12util could not export the key of {label}: {last_line(result.stderr)}."
            )
        try:
            return target.read_bytes(), one_time
        finally:
            target.unlink()


def _unlock(
    nss: _Nss, keystore: Keystore, entry: Entry, cert: x509.Certificate, label: str
) -> Unlock:
    def unlock(secret: bytes | None) -> UnlockedKey:
        p12, one_time = nss.export(entry.nickname, label, secret)
        with warnings.catch_warnings():  # NSS writes BER, which cryptography reads with a warning
            warnings.simplefilter("ignore", UserWarning)
            opened = keystore.open_pkcs12(p12, one_time, name=f"the Thunderbird export of {label}")
        if sha256(opened.cert) != sha256(cert):
            raise InputError(f"pk12util exported another certificate than that of {label}.")
        return UnlockedKey(opened.key, opened.chain)

    return unlock


@contextmanager
def open_store(given: str | None, home: Home) -> Iterator[Inventory]:
    """The inventory of a Thunderbird profile, read from a private copy of its database."""
    profile = locate(given)
    with tempfile.TemporaryDirectory(prefix="smimetui-nss-") as tmp:
        copy = Path(tmp)
        for name in ("cert9.db", "key4.db"):
            source = profile / name
            if not source.exists():
                continue
            try:
                shutil.copyfile(source, copy / name)
            except OSError as err:
                raise InputError(f"{source} cannot be read: {err.strerror or err}.") from err
        yield scan(_Nss(copy, profile), system_fingerprints(home), Keystore(home))


def scan(nss: _Nss, system: frozenset[str], keystore: Keystore) -> Inventory:
    inventory = Inventory("thunderbird", str(nss.profile))
    listed: list[tuple[Entry, x509.Certificate]] = []
    for entry in nss.entries():
        certs = nss.certificates(entry.nickname)
        if not certs:
            inventory.skipped.append(f"certutil could not give the certificate {entry.nickname}.")
        listed.extend((entry, cert) for cert in certs)
    cas = [cert for _, cert in listed if is_ca_cert(cert)]
    no_address = 0
    for entry, cert in listed:
        if is_ca_cert(cert):
            _sort_ca(entry, cert, system, inventory)
            continue
        addresses = cert_addresses(cert)
        label = addresses[0] if addresses else display_name(cert)
        if entry.own:
            inventory.ids.append(
                FoundId(
                    cert,
                    chain_for(cert, cas),
                    _unlock(nss, keystore, entry, cert, label),
                    f"the NSS primary password of the Thunderbird profile {nss.profile}",
                )
            )
        elif addresses:
            inventory.contacts.append(FoundContact(cert, addresses))
        else:
            no_address += 1
    if no_address:
        inventory.skipped.append(
            f"{no_address} certificate{'s' if no_address != 1 else ''} without an email address "
            "(for websites, say) cannot belong to contacts."
        )
    return inventory


def _sort_ca(
    entry: Entry, cert: x509.Certificate, system: frozenset[str], inventory: Inventory
) -> None:
    if "C" in entry.smime and sha256(cert) in system:
        inventory.roots.append(
            FoundRoot(cert, False, f"Thunderbird trusted it for email, and {ALREADY_TRUSTED}")
        )
    elif "C" in entry.smime:
        inventory.roots.append(
            FoundRoot(cert, True, "Thunderbird trusted it for email (you added it).")
        )
    elif cert.issuer == cert.subject:
        why = (
            "Thunderbird trusted it for websites only, not for email; kept for chains only."
            if "C" in entry.ssl
            else "Thunderbird did not trust it for email; kept for chains only."
        )
        inventory.roots.append(FoundRoot(cert, False, why))
    else:
        inventory.chain_cas.append(cert)
