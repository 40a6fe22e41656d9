"""GnuPG's S/MIME side (gpgsm): the keybox, the agent's secret keys and ``trustlist.txt``.

gpgsm itself does the reading: ``--export --armor`` for every certificate, ``--list-secret-keys
--with-colons`` for the certificates whose key the agent holds, and ``--export-secret-key-p12``
for each such key (the key's passphrase goes to gpgsm on a pipe through ``--passphrase-fd`` with
loopback pinentry; gpgsm protects the PKCS#12 with the same passphrase).  Roots listed in the
home's ``trustlist.txt`` for X.509 (flag ``S``) are offered for ``trust add``; others are kept
only to build chains.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes

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
from smimetui.core.migrate.tools import last_line, require, run_tool
from smimetui.core.pki.contacts import cert_addresses
from smimetui.core.pki.keystore import Keystore

if TYPE_CHECKING:
    from smimetui.core.settings.home import Home

_FPR = re.compile(r"^fpr:(?:[^:]*:){8}([0-9A-F]{40}):")


def _sha1(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # gpgsm names certificates by SHA-1


class _Gpgsm:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.program = require("gpgsm", "gpgsm")
        self.env = {**os.environ, "GNUPGHOME": str(home), "LC_ALL": "C"}

    def run(
        self, *args: str, secret: bytes | None = None, what: str, may_be_empty: bool = False
    ) -> bytes:
        extra = (
            ["--pinentry-mode", "loopback", "--passphrase-fd", "@FD0@"]
            if secret is not None
            else []
        )
        result = run_tool(
            [self.program, "--batch", "--status-fd", "2", *extra, *args],
            secrets=[secret] if secret is not None else [],
            env=self.env,
        )
        bad = "[GNUPG:] BAD_PASSPHRASE" in result.stderr
        if bad or (secret is not None and result.returncode == 0 and not result.stdout):
            raise KeyUnlockError("bad passphrase")  # an empty one is refused without a word
        if result.returncode != 0 or not (result.stdout or may_be_empty):
            reason = last_line(
                "\n".join(x for x in result.stderr.splitlines() if not x.startswith("[GNUPG:]"))
            )
            raise InputError(f"gpgsm could not {what} in {self.home}: {reason}.")
        return result.stdout


def locate(given: str | None) -> Path:
    folder = Path(given or os.environ.get("GNUPGHOME") or "~/.gnupg").expanduser()
    if not folder.is_dir():
        raise InputError(f"There is no GnuPG home at {folder}.")
    if not (folder / "pubring.kbx").exists():
        raise InputError(
            f"{folder} has no gpgsm keybox (pubring.kbx), so there is nothing to import."
        )
    return folder


def _trustlist(folder: Path) -> dict[str, bool]:
    """SHA-1 fingerprint -> trusted for X.509 (False: marked ``!``, not trusted)."""
    path = folder / "trustlist.txt"
    if not path.exists():
        return {}
    try:
        text = path.read_text("utf-8", "replace")
    except OSError as err:
        raise InputError(f"{path} cannot be read: {err.strerror or err}.") from err
    listed: dict[str, bool] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        distrusted = line.startswith("!")
        fields = line.lstrip("!").split()
        fpr = fields[0].replace(":", "").upper()
        if "P" in fields[1:2]:
            continue  # an OpenPGP key, not an X.509 root
        listed[fpr] = not distrusted
    return listed


def _unlock(gpgsm: _Gpgsm, keystore: Keystore, fpr: str, label: str) -> Unlock:
    def unlock(secret: bytes | None) -> UnlockedKey:
        given = secret or b""
        try:
            p12 = gpgsm.run(
                "--export-secret-key-p12", fpr, secret=given, what=f"export the key of {label}"
            )
        except KeyUnlockError as err:
            if secret:
                raise KeyUnlockError(
                    f"The passphrase for the gpgsm key of {label} is wrong."
                ) from err
            raise KeyUnlockError(
                f"The gpgsm key of {label} is protected by a passphrase; give it to import the key."
            ) from err
        opened = keystore.open_pkcs12(p12, given or None, name=f"the gpgsm export of {label}")
        return UnlockedKey(opened.key, opened.chain)

    return unlock


@contextmanager
def open_store(given: str | None, home: Home) -> Iterator[Inventory]:
    """The inventory of the GnuPG home ``given`` (default $GNUPGHOME, else ~/.gnupg)."""
    yield scan(locate(given), system_fingerprints(home), Keystore(home))


def scan(folder: Path, system: frozenset[str], keystore: Keystore) -> Inventory:
    """Read the home with gpgsm (its keybox and agent are only read)."""
    gpgsm = _Gpgsm(folder)
    inventory = Inventory("gpgsm", str(folder))
    exported = gpgsm.run("--armor", "--export", what="export the certificates", may_be_empty=True)
    try:
        certs = read_certificates(exported) if exported.strip() else []
    except ValueError as err:
        raise InputError(f"gpgsm exported no readable certificate from {folder}.") from err
    listing = gpgsm.run(
        "--with-colons", "--list-secret-keys", what="list the secret keys", may_be_empty=True
    )
    secret = {
        m.group(1) for m in map(_FPR.match, listing.decode("utf-8", "replace").splitlines()) if m
    }
    cas = [c for c in certs if is_ca_cert(c)]
    for cert in certs:
        if is_ca_cert(cert):
            continue
        label = (cert_addresses(cert) or (display_name(cert),))[0]
        if _sha1(cert) in secret:
            inventory.ids.append(
                FoundId(
                    cert,
                    chain_for(cert, cas),
                    _unlock(gpgsm, keystore, _sha1(cert), label),
                    f"the passphrase of the gpgsm key of {label}",
                )
            )
        elif cert_addresses(cert):
            inventory.contacts.append(FoundContact(cert, cert_addresses(cert)))
        else:
            inventory.skipped.append(
                f"The certificate of {label} names no email address, so it cannot be a contact."
            )
    _sort_cas(cas, _trustlist(folder), system, inventory)
    return inventory


def _sort_cas(
    cas: list[x509.Certificate],
    listed: dict[str, bool],
    system: frozenset[str],
    inventory: Inventory,
) -> None:
    for ca in cas:
        trusted = listed.get(_sha1(ca))
        if trusted and sha256(ca) in system:
            inventory.roots.append(FoundRoot(ca, False, f"gpgsm trusted it, and {ALREADY_TRUSTED}"))
        elif trusted:
            inventory.roots.append(FoundRoot(ca, True, "gpgsm trusted it (trustlist.txt)."))
        elif trusted is False:
            inventory.roots.append(
                FoundRoot(ca, False, "trustlist.txt marks it as not trusted; kept for chains only.")
            )
        elif ca.issuer == ca.subject:
            inventory.roots.append(
                FoundRoot(
                    ca,
                    False,
                    "gpgsm did not trust it (not in trustlist.txt); kept for chains only.",
                )
            )
        else:
            inventory.chain_cas.append(ca)
