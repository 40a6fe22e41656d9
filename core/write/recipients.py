"""Choose the certificate each recipient's mail is encrypted to, or say exactly why there is none.

A certificate qualifies when it is valid now, usable for encryption (keyEncipherment for RSA,
keyAgreement for EC; the emailProtection EKU when an EKU is present), not a changed certificate
still waiting for the user's confirmation, and either chains to a trusted root or was explicitly
accepted by the user.  The user's per-contact override wins; then the certificate the contact
asked for (SMIMEEncryptionKeyPreference); then the newest.  When any recipient has no usable
certificate, one :class:`RecipientCertificateError` names every such recipient and the reason:
nothing goes out unencrypted by surprise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from smimetui.core.cms.encrypt import Recipient
from smimetui.core.errors import RecipientCertificateError
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.contacts import AddressInfo, ContactCert, Contacts, cert_addresses, normalise
from smimetui.core.pki.validator import Validator, to_asn1


@dataclass(frozen=True, slots=True)
class Rejection:
    address: str
    reason: str  # completes "bob@example.org: ..."


def _day(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d")


def encryption_usage_problem(cert: x509.Certificate) -> str | None:
    """Why ``cert`` cannot receive encrypted mail, or None when it can."""
    key = cert.public_key()
    try:
        ku: x509.KeyUsage | None = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        ku = None
    if isinstance(key, rsa.RSAPublicKey):
        if ku is not None and not ku.key_encipherment:
            return "the certificate is for signing only (its key usage lacks keyEncipherment)"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if ku is not None and not ku.key_agreement:
            return "the certificate is for signing only (its key usage lacks keyAgreement)"
    else:
        return f"the certificate's key ({type(key).__name__.lstrip('_')}) cannot receive mail"
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if (
        ExtendedKeyUsageOID.EMAIL_PROTECTION not in eku
        and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku
    ):
        return "the certificate is not meant for email (no emailProtection extended key usage)"
    return None


def _problem(
    entry: ContactCert,
    cert: x509.Certificate,
    now: dt.datetime,
    validator: Validator | None,
    others: Sequence[x509.Certificate],
) -> str | None:
    if entry.address not in cert_addresses(cert):
        named = ", ".join(cert_addresses(cert)) or "no email address"
        return f"the certificate stored for it is made out to {named}, not to this address"
    if entry.pending:
        return (
            "their certificate changed and waits for your confirmation "
            f"(smimetui contacts show {entry.address})"
        )
    if cert.not_valid_after_utc < now:
        return f"their certificate expired on {_day(cert.not_valid_after_utc)}"
    if cert.not_valid_before_utc > now:
        return f"their certificate is not valid until {_day(cert.not_valid_before_utc)}"
    usage = encryption_usage_problem(cert)
    if usage:
        return usage
    if entry.accepted:
        return None
    if validator is None:
        return "their certificate is neither trusted nor accepted by you"
    result = validator.validate(
        to_asn1(cert), [to_asn1(c) for c in others], moment=now, usage="encrypt"
    )
    if result.status is ChainStatus.TRUSTED:
        return None
    detail = result.problems[0].rstrip(".") if result.problems else result.status.value
    return f"their certificate is not trusted ({detail}) and you have not accepted it"


def _pick(
    info: AddressInfo,
    now: dt.datetime,
    validator: Validator | None,
    intermediates: Sequence[x509.Certificate],
) -> tuple[x509.Certificate | None, str]:
    entries = list(info.certificates)
    if not entries:
        return None, "you have no certificate for this address (import one or get signed mail)"
    loaded = {e.sha256: e.load() for e in entries}
    if info.override:
        entries = [e for e in entries if e.sha256 == info.override] or entries
    # The contact's own preference first, then the newest.
    entries.sort(
        key=lambda e: (
            e.sha256 != info.encryption_pref,
            -loaded[e.sha256].not_valid_before_utc.timestamp(),
        )
    )
    others = [*loaded.values(), *intermediates]
    reasons: list[str] = []
    for entry in entries:
        problem = _problem(entry, loaded[entry.sha256], now, validator, others)
        if problem is None:
            return loaded[entry.sha256], ""
        reasons.append(problem)
    return None, reasons[0]


def choose_recipients(
    addresses: Sequence[str],
    contacts: Contacts,
    *,
    validator: Validator | None,
    now: dt.datetime | None = None,
    extra_certs: Sequence[x509.Certificate] = (),
) -> list[Recipient]:
    """A :class:`Recipient` for every address, or an error naming each one that has none."""
    when = now or dt.datetime.now(dt.UTC)
    chosen: list[Recipient] = []
    rejected: list[Rejection] = []
    intermediates = contacts.intermediates() + list(extra_certs)
    for address in dict.fromkeys(normalise(a) for a in addresses):
        info = contacts.address(address)
        if info is None:
            rejected.append(Rejection(address, "not in your contacts, so there is no certificate"))
            continue
        cert, reason = _pick(info, when, validator, intermediates)
        if cert is None:
            rejected.append(Rejection(address, reason))
            continue
        chosen.append(Recipient(address, cert, info.capabilities))
    if rejected:
        raise RecipientCertificateError(
            "Cannot encrypt the message: "
            + "; ".join(f"{r.address}: {r.reason}" for r in rejected)
            + ".",
        )
    return chosen
