"""The life cycle of a digital ID: create (self-signed or CSR), install the CA's certificate,
export the certificate or a PKCS#12 backup.

A key made for a CSR waits, encrypted with the passphrase chosen at creation, in
``keystore/.pending/`` (the keystore lists only finished IDs) until ``install_certificate``
receives the certificate whose public key matches; then it becomes an ordinary ID.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.errors import IdentityError, InputError, KeyUnlockError
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.keystore import DigitalId, Keystore
from smimetui.core.pki.passphrase import PassphraseSource, attempts
from smimetui.core.settings.home import private_file

NEW_KEY_KINDS = ("rsa3072", "rsa4096", "p256", "p384")
PENDING_DIR = ".pending"


@dataclass(frozen=True, slots=True)
class PendingRequest:
    csr_pem: bytes
    key_id: str  # sha256 of the public key, names the waiting key


def _spki_id(public_key: PublicKeyTypes) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def _pending(store: Keystore) -> Path:
    return store.home.ensure(store.home.ensure(store.root) / PENDING_DIR)


def new_identity(
    store: Keystore,
    email: str,
    name: str,
    *,
    key_kind: str,
    passphrase: bytes,
    self_signed: bool,
) -> DigitalId | PendingRequest:
    """A new key, encrypted at rest, with a self-signed certificate or a CSR for a CA."""
    if key_kind not in NEW_KEY_KINDS:
        raise InputError(f"Choose a key type among {', '.join(NEW_KEY_KINDS)}.")
    if "@" not in email:
        raise InputError(f"{email!r} is not an email address.")
    if not passphrase:
        raise IdentityError("A passphrase is needed: keys are never stored unencrypted.")
    key = pki.new_key(key_kind)
    if self_signed:
        issued = pki.make_leaf(None, email, common_name=name, key=key, usage="both")
        return store.add(issued.cert, key, [], passphrase)
    csr = pki.make_csr(key, email, name)
    key_id = _spki_id(key.public_key())
    folder = _pending(store)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    path = folder / f"{key_id}.key"
    private_file(path).write_bytes(encrypted)
    private_file(folder / f"{key_id}.json").write_text(json.dumps({"email": email, "name": name}))
    return PendingRequest(csr.public_bytes(serialization.Encoding.PEM), key_id)


def read_certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates from PEM, DER, or a PKCS#7 bundle (as CAs return them)."""
    try:
        if b"-----BEGIN PKCS7" in data:
            return list(pkcs7.load_pem_pkcs7_certificates(data))
        if b"-----BEGIN CERTIFICATE" in data:
            return list(x509.load_pem_x509_certificates(data))
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError:
            return list(pkcs7.load_der_pkcs7_certificates(data))
    except ValueError as err:
        raise InputError(f"No certificate could be read from the file ({err}).") from err


def install_certificate(store: Keystore, data: bytes, passphrases: PassphraseSource) -> DigitalId:
    """Complete a CSR: pair the CA's certificate with the key waiting for it."""
    certs = read_certificates(data)
    folder = store.root / PENDING_DIR
    for cert in certs:
        key_id = _spki_id(cert.public_key())
        key_path = folder / f"{key_id}.key"
        if not key_path.exists():
            continue
        chain = [c for c in certs if c is not cert]
        pem = key_path.read_bytes()
        for passphrase, _origin in attempts(passphrases, _placeholder(cert)):
            try:
                key = serialization.load_pem_private_key(pem, passphrase)
            except (ValueError, TypeError):
                continue
            ident = store.add(cert, key, chain, passphrase)
            key_path.unlink()
            (folder / f"{key_id}.json").unlink(missing_ok=True)
            return ident
        raise KeyUnlockError(
            "The passphrase chosen when the request was made is needed to install the "
            "certificate; give it with --passphrase-file F."
        )
    raise IdentityError(
        "None of the certificates in the file belongs to a key made with `smimetui id new "
        "--csr`; check that this is the certificate the CA issued for your request."
    )


def _placeholder(cert: x509.Certificate) -> DigitalId:
    """A DigitalId-shaped value naming the waiting key for passphrase prompts."""
    info = CertInfo.from_der(cert.public_bytes(serialization.Encoding.DER))
    return DigitalId(
        id=info.sha256,
        emails=info.email,
        cert=info,
        chain=(),
        added=info.not_before,
        can_sign=True,
        can_encrypt=True,
    )


def export_certificate(ident: DigitalId) -> bytes:
    """Your certificate and its intermediates, PEM: what correspondents import."""
    certs = [ident.load_cert()] + [x509.load_der_x509_certificate(c.der) for c in ident.chain]
    keep = [c for c in certs[1:] if c.issuer != c.subject]  # roots: recipients bring their own
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [certs[0], *keep])


def export_pkcs12(
    store: Keystore, ident: DigitalId, passphrases: PassphraseSource, protect: bytes
) -> bytes:
    """A passphrase-protected PKCS#12 backup of the ID with its chain."""
    if not protect:
        raise IdentityError("A backup needs a passphrase: a .p12 is never written unprotected.")
    key = store.unlock_with(ident, passphrases)
    cas = [x509.load_der_x509_certificate(c.der) for c in ident.chain]
    return pkcs12.serialize_key_and_certificates(
        ident.label.encode(),
        key,
        ident.load_cert(),
        cas or None,
        serialization.BestAvailableEncryption(protect),
    )
