"""The one write path: prepare → sign/encrypt → send → the Sent copy (a draft if sending fails).

``smimetui send`` and the compose screen's send key both go through here, so which digital ID
signs, which one yourself is encrypted to, which certificate each recipient gets, the
algorithms they read, and where the message goes are decided once:

- :func:`build` chooses the IDs (the account's ``signing_id`` / ``encryption_id``, else the
  newest valid one for the From address), the recipients' certificates (contacts, validated),
  adds yourself when encrypting, and signs/encrypts (``smime.outgoing.prepare``);
- :func:`deliver` sends through SMTP (or the local Outbox) and files the Sent copy;
- :func:`send_message` is both, for a front end that has its session at hand.

The passphrase source is the session's: one cache per TUI session (or CLI run), never one per
send.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smimetui.core.cms.encrypt import Recipient
from smimetui.core.cms.sign import SignOptions
from smimetui.core.errors import BackendError, InputError, PartlySentError
from smimetui.core.mail.base import MailBackend
from smimetui.core.mail.factory import PasswordPrompt, PasswordSource, open_sender
from smimetui.core.pki.keystore import DigitalId, Keystore
from smimetui.core.pki.passphrase import PassphraseSource
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.settings.accounts import Account
from smimetui.core.settings.home import Home
from smimetui.core.write.outbox import LocalOutbox, Sender, send_and_save
from smimetui.core.write.prepare import Outgoing, bound_identity, prepare, writing_certificate
from smimetui.core.write.sign_encrypt import (
    Composed,
    ComposeOptions,
    bcc_sentence,
    compose,
    parse_draft,
)

if TYPE_CHECKING:  # PKCS#11 and OAuth2 load only when a token ID or a sign-in is used
    from smimetui.core.oauth.tokens import SignInHook
    from smimetui.core.pki.tokens.pin import ChainedPins


@dataclass(frozen=True)
class Writer:
    """What writing needs from a session: the account, its mail store, and the session's one
    passphrase source (unlocking once serves reading, drafts and every send)."""

    home: Home
    account: Account
    passphrases: PassphraseSource
    backend: MailBackend | None = None  # Sent, Drafts and the local Outbox live here
    # Held around each use of the backend (imapclient is not thread-safe; the TUI shares it).
    lock: AbstractContextManager[object] = field(default_factory=nullcontext)
    password_prompt: PasswordPrompt | None = None  # the SMTP password, when not in the keyring
    # The session's SMTP password source: a typed password is asked once, not at every send.
    smtp_password: PasswordSource | None = None
    sign_in: SignInHook | None = None  # an OAuth2 account signs in again (the TUI's dialog)
    local_outbox: bool = False  # deliver into the Outbox folder even with an SMTP server (demo)
    pins: ChainedPins | None = None  # PIN sources for token IDs (None: the default ones)

    @property
    def address(self) -> str:
        """Your address: the account's, also the From of what the front ends write."""
        return self.account.email

    def store(self) -> MailBackend:
        if self.backend is None:
            raise BackendError("There is no mail store open for this account, so nothing is sent.")
        return self.backend


def validator(home: Home) -> ChainValidator:
    """How recipients' certificates are checked: the roots you trust (and the system's)."""
    return ChainValidator(TrustStore(home))


def writing_id(writer: Writer, purpose: str) -> DigitalId:
    """The digital ID for ``purpose`` ("sign" or "encrypt"): the account's binding, else the
    newest valid one for your address; IdentityError if there is none."""
    binding = writer.account.signing_id if purpose == "sign" else writer.account.encryption_id
    return bound_identity(Keystore(writer.home), binding, writer.address, purpose=purpose)


def self_recipient(writer: Writer) -> Recipient:
    """Yourself as a recipient (drafts, the Sent copy): your encryption ID's certificate."""
    binding = writer.account.encryption_id  # a keystore ID or one on a token
    cert = writing_certificate(writer.home, binding, writer.address, "encrypt")
    return Recipient("yourself", cert, is_self=True)


def build(
    writer: Writer,
    raw: bytes,
    *,
    sign: bool,
    encrypt: bool,
    options: ComposeOptions | None = None,
) -> Composed:
    """``raw`` ready to go: signed and/or encrypted with the account's IDs and include_certs,
    to every recipient's certificate and yourself; raises one error naming every problem."""
    if not parse_draft(raw).addresses("to", "cc", "bcc"):
        raise InputError(
            "The message has no recipients: add at least one in To, Cc or Bcc.",
            title="No recipients",
        )
    if not sign and not encrypt:
        # Plain mail still goes through compose: Bcc is dropped, Date and Message-ID added.
        plain = ComposeOptions(sign=False, encrypt=False, protect_headers=False)
        return compose(raw, options=plain)
    base = options or ComposeOptions(
        sign_options=SignOptions(include_certs=writer.account.include_certs)
    )
    return prepare(
        writer.home,
        raw,
        Outgoing(sign=sign, encrypt=encrypt, options=base),
        passphrases=writer.passphrases,
        validator=validator(writer.home),
        signing_id=writer.account.signing_id,
        encryption_id=writer.account.encryption_id,
        pins=writer.pins,
    )


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message that went out, for telling the user."""

    composed: Composed
    via: str  # the SMTP host, or "the local Outbox folder"
    # Sent and saved, but a separate Bcc copy failed: the front end says so (it went out).
    partly: PartlySentError | None = None

    @property
    def summary(self) -> str:
        how = " and ".join(
            word
            for word, on in (("signed", self.composed.signed), ("encrypted", self.encrypted))
            if on
        )
        who = ", ".join(self.composed.recipients)
        return f"Sent {how or 'unsigned, unencrypted'} to {who} via {self.via}."

    @property
    def encrypted(self) -> bool:
        return self.composed.encryption is not None

    @property
    def bcc_note(self) -> str:
        return bcc_sentence(self.composed.bcc_copies) if self.composed.bcc_copies else ""


def _sender(writer: Writer) -> tuple[Sender, str]:
    if writer.local_outbox or not writer.account.smtp_host:
        return LocalOutbox(writer.store()), "the local Outbox folder"
    sender = open_sender(
        writer.account,
        prompt=writer.password_prompt,
        sign_in=writer.sign_in,
        password=writer.smtp_password,
    )
    return sender, writer.account.smtp_host


def deliver(writer: Writer, composed: Composed) -> Delivered:
    """Send ``composed`` (each Bcc copy to its recipient) and file it in Sent; a failed send
    keeps a draft and raises saying so (``outbox.send_and_save``)."""
    sender, via = _sender(writer)
    partly = None
    with writer.lock:
        try:
            send_and_save(
                writer.account,
                writer.store(),
                sender,
                composed.data,
                composed.envelope_to,
                bcc_copies=composed.bcc_copies,
            )
        except PartlySentError as err:
            partly = err
    return Delivered(composed, via, partly)


def send_message(writer: Writer, raw: bytes, *, sign: bool, encrypt: bool) -> Delivered:
    """Build and deliver ``raw``: the whole write path in one call."""
    return deliver(writer, build(writer, raw, sign=sign, encrypt=encrypt))
