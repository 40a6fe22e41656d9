"""From a draft to the bytes that go out: pick our identity from From, the recipients' certificates
from the contacts, and compose.  Used by ``smimetui sign/encrypt`` and by the mail sender.

Every problem found (no ID for the sender, a recipient without a usable certificate) is
collected and reported together in one error, so the user fixes everything in one go.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509

from smimetui.core.cms.encrypt import Recipient
from smimetui.core.cms.keytypes import PrivateKey
from smimetui.core.cms.sign import SigningKey
from smimetui.core.errors import IdentityError, RecipientCertificateError, SmimeTuiError
from smimetui.core.pki.contacts import Contacts
from smimetui.core.pki.keystore import DigitalId, Keystore
from smimetui.core.pki.passphrase import (
    ChainedPassphrases,
    FilePassphrase,
    KeyringPassphrase,
    PassphraseSource,
    PromptPassphrase,
)
from smimetui.core.pki.validator import Validator
from smimetui.core.settings.home import Home
from smimetui.core.write.recipients import choose_recipients
from smimetui.core.write.sign_encrypt import Composed, ComposeOptions, compose, parse_draft

if TYPE_CHECKING:
    from smimetui.core.pki.tokens.pin import ChainedPins


def default_passphrases(passphrase_file: str | Path | None = None) -> PassphraseSource:
    sources: list[PassphraseSource] = [FilePassphrase(passphrase_file)] if passphrase_file else []
    sources += [KeyringPassphrase(), PromptPassphrase()]
    return ChainedPassphrases(*sources)


def _valid_now(ident: DigitalId, now: dt.datetime) -> bool:
    return ident.cert.not_before <= now <= ident.cert.not_after


def pick_identity(keystore: Keystore, address: str, *, purpose: str) -> DigitalId:
    """The newest valid ID for ``address`` that can ``purpose`` ("sign" or "encrypt")."""
    now = dt.datetime.now(dt.UTC)
    mine = keystore.find(address)
    able = [i for i in mine if (i.can_sign if purpose == "sign" else i.can_encrypt)]
    valid = [i for i in able if _valid_now(i, now)]
    if valid:
        return valid[0]  # Keystore.list() is newest first
    verb = "sign" if purpose == "sign" else "receive encrypted mail (a copy to yourself)"
    if able:
        return_hint = "all of them have expired or are not valid yet"
        raise IdentityError(
            f"Your digital IDs for {address} cannot {verb}: {return_hint}; "
            "`smimetui id check` explains."
        )
    if mine:
        raise IdentityError(
            f"None of your digital IDs for {address} can {verb} (see `smimetui id check`)."
        )
    raise IdentityError(
        f"You have no digital ID for {address} (the From address) to {verb}; import one "
        "with `smimetui id import` or create one with `smimetui id new`."
    )


def bound_identity(keystore: Keystore, binding: str, address: str, *, purpose: str) -> DigitalId:
    """The account's bound digital ID for ``purpose`` (signing_id / encryption_id), else the
    best one for ``address``.  Signing and encryption IDs may be different certificates."""
    if not binding:
        return pick_identity(keystore, address, purpose=purpose)
    ident = keystore.get(binding)
    able = ident.can_sign if purpose == "sign" else ident.can_encrypt
    if not able:
        setting = "signing_id" if purpose == "sign" else "encryption_id"
        raise IdentityError(
            f"The digital ID {ident.short_id} set as {setting} for this account cannot "
            f"{'sign' if purpose == 'sign' else 'receive encrypted mail'}; change {setting} "
            "in the account settings."
        )
    return ident


def _certs(ident: DigitalId) -> tuple[x509.Certificate, ...]:
    return tuple(x509.load_der_x509_certificate(c.der) for c in ident.chain)


@dataclass(frozen=True, slots=True)
class _Chosen:
    """The ID chosen for signing or encryption: a keystore ID, or one on a token
    (``token:NAME/FINGERPRINT``, see core.tokens), whose key never leaves the card."""

    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    can_encrypt: bool
    keystore: tuple[Keystore, DigitalId] | None = None
    token: object = None  # core.tokens.ids.TokenCert (imported only when a token is used)

    def unlock(self, passphrases: PassphraseSource, pins: ChainedPins | None) -> PrivateKey:
        if self.keystore is not None:
            store, ident = self.keystore
            return store.unlock_with(ident, passphrases)
        # lazy: PKCS#11 only for an ID on a token
        from smimetui.core.pki.tokens.ids import TokenCert, private_key
        from smimetui.core.pki.tokens.pin import default_pins

        assert isinstance(self.token, TokenCert)
        return private_key(self.token, pins or default_pins())


def _choose(home: Home, store: Keystore, binding: str, address: str, purpose: str) -> _Chosen:
    if binding.startswith("token:"):
        # lazy: PKCS#11 only for an ID on a token
        from smimetui.core.pki.tokens.ids import bound

        found, chain = bound(home, binding, purpose=purpose)
        return _Chosen(found.cert, chain, found.can_encrypt, token=found)
    ident = bound_identity(store, binding, address, purpose=purpose)
    return _Chosen(ident.load_cert(), _certs(ident), ident.can_encrypt, keystore=(store, ident))


def writing_certificate(home: Home, binding: str, address: str, purpose: str) -> x509.Certificate:
    """The certificate of the ID that signs or receives (``purpose``), in the keystore or on a
    token; IdentityError (or a token's error) when there is none."""
    return _choose(home, Keystore(home), binding, address, purpose).cert


@dataclass(frozen=True, slots=True)
class Outgoing:
    sign: bool = True
    encrypt: bool = False
    options: ComposeOptions | None = None  # sign/encrypt above win over the ones in here


def prepare(
    home: Home,
    raw: bytes,
    request: Outgoing,
    *,
    passphrases: PassphraseSource,
    validator: Validator | None,
    keystore: Keystore | None = None,
    signing_id: str = "",
    encryption_id: str = "",
    pins: ChainedPins | None = None,
) -> Composed:
    """Sign and/or encrypt ``raw`` as its From address; raise one error naming every problem."""
    draft = parse_draft(raw)
    senders = draft.addresses("from")
    if len(senders) != 1:
        raise IdentityError("The message must have exactly one From address to be signed.")
    sender = senders[0]
    store = keystore or Keystore(home)
    problems: list[SmimeTuiError] = []
    sign_id: _Chosen | None = None
    enc_id: _Chosen | None = None
    if request.sign:
        try:
            sign_id = _choose(home, store, signing_id, sender, "sign")
        except IdentityError as err:
            problems.append(err)
    recipients: list[Recipient] = []
    if request.encrypt:
        try:
            enc_id = _choose(home, store, encryption_id, sender, "encrypt")
        except IdentityError as err:
            problems.append(err)
        # Yourself is added below with your own ID, whether or not you are in To/Cc.
        targets = [a for a in draft.addresses("to", "cc", "bcc") if a.lower() != sender.lower()]
        try:
            recipients = choose_recipients(
                targets,
                Contacts(home),
                validator=validator,
            )
        except RecipientCertificateError as err:
            problems.append(err)
    if problems:
        raise type(problems[0])(" ".join(p.one_line() for p in problems))
    if enc_id is None and sign_id is not None and not sign_id.can_encrypt:
        # Tell correspondents which of our certificates to encrypt to (RFC 8551 preference).
        with contextlib.suppress(IdentityError):
            enc_id = _choose(home, store, encryption_id, sender, "encrypt")
    signer = None
    if sign_id is not None:
        key = sign_id.unlock(passphrases, pins)
        enc_cert = enc_id.cert if enc_id else None
        signer = SigningKey(sign_id.cert, key, sign_id.chain, enc_cert)
    if request.encrypt and enc_id is not None:
        recipients.append(Recipient("yourself", enc_id.cert, is_self=True))
    base = request.options or ComposeOptions()
    options = ComposeOptions(
        sign=request.sign,
        encrypt=request.encrypt,
        opaque=base.opaque,
        protect_headers=base.protect_headers,
        sign_options=base.sign_options,
        preference=base.preference,
    )
    return compose(raw, signer=signer, recipients=recipients, options=options)


def sender_of(raw: bytes) -> Sequence[str]:
    return parse_draft(raw).addresses("from")
