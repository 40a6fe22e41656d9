"""Digital IDs on tokens: certificates whose private key is on the token, named
``token:NAME/<SHA-256 of the certificate>`` (a prefix of 8 or more hex digits is enough).

Found afresh on each use; without a PIN most tokens hide their private keys, so a certificate
with an ID (CKA_ID) on a token that needs a login counts as an ID whose key is "behind the PIN".
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import pkcs11
from cryptography import x509
from pkcs11 import Attribute, CertificateType, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11e

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.cms.keytypes import PrivateKey
from smimetui.core.errors import CertificateError, ConfigError, IdentityError
from smimetui.core.pki.keystore import _usages
from smimetui.core.pki.tokens import errors, session
from smimetui.core.pki.tokens.keys import token_key
from smimetui.core.pki.tokens.pin import ChainedPins
from smimetui.core.pki.tokens.registry import TokenModule, get_module, list_modules
from smimetui.core.settings.home import Home

PREFIX = "token:"
KEY_ON_TOKEN, KEY_BEHIND_PIN, NO_KEY = "on the token", "behind the PIN", "none"


@dataclass(frozen=True, slots=True)
class TokenCert:
    module: TokenModule
    token_label: str
    serial: str
    ckaid: bytes
    label: str
    cert: x509.Certificate
    info: CertInfo
    key: str  # KEY_ON_TOKEN, KEY_BEHIND_PIN or NO_KEY
    can_sign: bool
    can_encrypt: bool

    @property
    def reference(self) -> str:
        return f"{PREFIX}{self.module.name}/{self.info.sha256}"

    @property
    def short_reference(self) -> str:
        return f"{PREFIX}{self.module.name}/{self.info.sha256[:12]}"

    @property
    def has_key(self) -> bool:
        return self.key != NO_KEY

    @property
    def label_text(self) -> str:
        return self.info.email[0] if self.info.email else self.info.display_name


@dataclass(frozen=True, slots=True)
class TokenView:
    module: TokenModule
    slot: str
    label: str
    serial: str
    manufacturer: str
    model: str
    pin: str  # what the token says about its PIN: "", "few tries left", "locked", ...
    certs: tuple[TokenCert, ...]


def is_reference(value: str) -> bool:
    return value.startswith(PREFIX)


def parse_reference(value: str) -> tuple[str, str]:
    """(token name, fingerprint prefix) of ``token:NAME/FINGERPRINT``."""
    name, sep, fingerprint = value.removeprefix(PREFIX).partition("/")
    fingerprint = fingerprint.strip().lower().replace(":", "")
    if (
        not sep
        or not name
        or len(fingerprint) < 8
        or any(c not in "0123456789abcdef" for c in fingerprint)
    ):
        raise IdentityError(
            f"{value} is not a token ID: write token:NAME/FINGERPRINT (at least 8 hex digits of "
            "the certificate's SHA-256, as `smimetui token list` shows)."
        )
    return name, fingerprint


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _text(value: bytes | str) -> str:
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    return "".join(c for c in value if c.isprintable()).strip()


def _pin_state(flags: TokenFlag) -> str:
    if flags & TokenFlag.USER_PIN_LOCKED:
        return "locked"
    if not flags & TokenFlag.USER_PIN_INITIALIZED and flags & TokenFlag.LOGIN_REQUIRED:
        return "no PIN set"
    return session.pin_hint(flags)


def _certs(module: TokenModule, token: pkcs11.Token, opened: pkcs11.Session) -> list[TokenCert]:
    serial = session.serial_of(token)
    flags = TokenFlag(token.flags)
    behind = bool(flags & TokenFlag.LOGIN_REQUIRED) and session.logged_in(module, serial) is None
    keys = {
        bytes(obj[Attribute.ID])
        for obj in opened.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})
    }
    found: list[TokenCert] = []
    for obj in opened.get_objects(
        {
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        }
    ):
        try:
            der = bytes(obj[Attribute.VALUE])
            cert = x509.load_der_x509_certificate(der)
            info = CertInfo.from_der(der)
            ckaid = bytes(obj[Attribute.ID])
        except (ValueError, CertificateError, p11e.PKCS11Error):
            continue  # an object we cannot read is no ID
        # A CA certificate on the card (its issuer, for the chain) is never one of your IDs.
        maybe = behind and ckaid and not _is_ca(cert)
        key = KEY_ON_TOKEN if ckaid in keys else KEY_BEHIND_PIN if maybe else NO_KEY
        can_sign, can_encrypt = _usages(cert)
        found.append(
            TokenCert(
                module,
                _text(token.label),
                serial,
                ckaid,
                _text(obj[Attribute.LABEL]),
                cert,
                info,
                key,
                can_sign,
                can_encrypt,
            )
        )
    return found


def scan(module: TokenModule) -> list[TokenView]:
    """The tokens of ``module`` now, with their certificates (no PIN asked)."""
    with session.lock():
        return _scan(module)


def _scan(module: TokenModule) -> list[TokenView]:
    session.refresh_if_idle(module)
    views: list[TokenView] = []
    for slot, token in session.tokens(module):
        serial = session.serial_of(token)
        mine = session.logged_in(module, serial)
        try:
            opened = mine or token.open()
        except session.REMOVED:
            continue
        except p11e.PKCS11Error as err:
            raise errors.failed(module.name, "open a session", err) from err
        try:
            certs = _certs(module, token, opened)
        except session.REMOVED:
            continue
        finally:
            if mine is None:
                with contextlib.suppress(p11e.PKCS11Error):
                    opened.close()
        views.append(
            TokenView(
                module,
                _text(slot.slot_description),
                _text(token.label),
                serial,
                _text(token.manufacturer_id),
                _text(token.model),
                _pin_state(TokenFlag(token.flags)),
                tuple(certs),
            )
        )
    return views


def log_in(module: TokenModule, pins: ChainedPins) -> None:
    """Log in to every token of ``module`` now (``token list --pin-file``: private keys show)."""
    for _slot, token in session.tokens(module):
        session.session_for(session.KeyRef(module, session.serial_of(token), b"", pins))


def token_ids(home: Home) -> tuple[list[TokenCert], list[str]]:
    """Every ID on every registered token, and one sentence per module that could not be read
    (a missing module must not hide the keystore IDs)."""
    ids: list[TokenCert] = []
    problems: list[str] = []
    for module in list_modules(home):
        try:
            views = scan(module)
        except errors.TokenError as err:
            problems.append(err.one_line())
            continue
        ids += [c for view in views for c in view.certs if c.has_key]
    return ids, problems


def find_id(home: Home, reference: str) -> tuple[TokenCert, tuple[x509.Certificate, ...]]:
    """The ID ``reference`` names, and the CA certificates on the same token (cards often
    carry their issuer: the chain that travels with a signature)."""
    name, fingerprint = parse_reference(reference)
    module = get_module(home, name)
    views = scan(module)
    matches = [
        (view, c)
        for view in views
        for c in view.certs
        if c.has_key and c.info.sha256.startswith(fingerprint)
    ]
    if len({c.info.sha256 for _, c in matches}) > 1:
        raise IdentityError(f"{reference} matches several certificates; give more hex digits.")
    if not matches:
        raise errors.TokenError(
            f"No certificate with a private key matching {reference} is on a token of {name} "
            "now; insert the card (or check `smimetui token list`)."
        )
    view, found = matches[0]
    chain = tuple(c.cert for c in view.certs if not c.has_key and _is_ca(c.cert))
    return found, chain


def private_key(found: TokenCert, pins: ChainedPins) -> PrivateKey:
    """The token key for ``found``, logged in now (the PIN is asked here, once per token)."""
    ref = session.KeyRef(found.module, found.serial, found.ckaid, pins)
    session.session_for(ref)
    return token_key(ref, found.cert.public_key())


@dataclass(frozen=True, slots=True)
class TokenCandidate:
    """A decryption KeyCandidate: the certificate at once, the PIN only when it matches."""

    found: TokenCert
    pins: ChainedPins

    @property
    def cert(self) -> x509.Certificate:
        return self.found.cert

    def private_key(self) -> PrivateKey:
        return private_key(self.found, self.pins)


def candidates(home: Home, pins: ChainedPins) -> list[TokenCandidate]:
    """Every token ID that can decrypt; modules that cannot be read are left out silently here
    (a message for a keystore ID must still open)."""
    try:
        found, _problems = token_ids(home)
    except ConfigError:
        return []
    return [TokenCandidate(c, pins) for c in found if c.can_encrypt]


def bound(
    home: Home, reference: str, *, purpose: str
) -> tuple[TokenCert, tuple[x509.Certificate, ...]]:
    """The token ID an account binds for ``purpose`` ("sign" or "encrypt"), with its chain."""
    found, chain = find_id(home, reference)
    able = found.can_sign if purpose == "sign" else found.can_encrypt
    if not able:
        raise IdentityError(
            f"The token ID {found.short_reference} cannot "
            f"{'sign' if purpose == 'sign' else 'receive encrypted mail'} (its key usage says "
            "so); bind the other certificate on the card."
        )
    return found, chain
