"""Describe and decrypt CMS EnvelopedData and AuthEnvelopedData (RFC 5652, 5083, 5084, 5753).

``describe_envelope`` says for whom and with which cipher a message was encrypted, without any
key.  ``decrypt_envelope`` finds the recipient that one of the user's keys fits, unlocks only that
key (a passphrase is asked for nothing else), recovers the content key (RSA PKCS#1 v1.5, RSA-OAEP
or ECDH ephemeral-static) and decrypts the content.  Every key- or ciphertext-dependent failure
gives the same sentence, and a failed GCM tag releases no plaintext.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

from smimetui.core.cms import envelope_fast
from smimetui.core.cms.certinfo import cert_emails
from smimetui.core.cms.content_cipher import (
    CIPHERS,
    DECRYPT_FAILED,
    WEAK_3DES,
    cipher_display,
    decrypt_cbc,
    decrypt_gcm,
)
from smimetui.core.cms.ecc_cms import KeyAgreement
from smimetui.core.cms.envelope_values import (
    EnvelopeInfo,
    GcmParams,
    ParsedEnvelope,
    RecipientEntry,
    RecipientId,
    issuer_serial_rid,
    oaep_padding,
    ski_recipient_id,
)
from smimetui.core.cms.keytypes import PrivateKey
from smimetui.core.errors import (
    CmsError,
    DecryptionError,
    KeyUnlockError,
    NoKeyError,
    SmimeTuiError,
)


class GcmParameters(core.Sequence):  # type: ignore[misc]
    """RFC 5084 GCMParameters: the nonce and the tag (ICV) length."""

    _fields = [
        ("aes_nonce", core.OctetString),
        ("aes_icvlen", core.Integer, {"default": 12}),
    ]


class KeyCandidate(Protocol):
    """One of the user's keys, unlocked lazily: only a matching key asks for its passphrase."""

    @property
    def cert(self) -> x509.Certificate: ...

    def private_key(self) -> PrivateKey: ...  # may raise KeyUnlockError


@dataclass(frozen=True, slots=True)
class DecryptOutcome:
    content: bytes  # the decrypted MIME entity
    info: EnvelopeInfo
    used_cert: x509.Certificate
    problems: tuple[str, ...] = ()
    key_management: str = ""  # of the recipient whose key opened the message


def _issuer_serial_id(ias: Any, key_management: str) -> RecipientId:
    return issuer_serial_rid(
        bytes(ias["issuer"].dump()), ias["serial_number"].native, key_management
    )


def _ktri(ri: Any) -> list[RecipientEntry]:
    alg = ri["key_encryption_algorithm"]
    name = alg["algorithm"].native
    oaep: padding.OAEP | None = None
    unsupported = ""
    if name == "rsaes_oaep":
        oaep, management = oaep_padding(alg["parameters"])
    elif name == "rsaes_pkcs1v15" or name == "rsa":
        management = "RSA PKCS#1 v1.5"
    else:
        management = f"unsupported key transport {name}"
        unsupported = f"This message uses the key transport {name}, which is not supported."
    rid = ri["rid"]
    if rid.name == "issuer_and_serial_number":
        ident = _issuer_serial_id(rid.chosen, management)
    else:
        ident = ski_recipient_id(rid.chosen.native, management)
    return [RecipientEntry(ident, ri["encrypted_key"].native, oaep=oaep, unsupported=unsupported)]


def _kari(ri: Any) -> list[RecipientEntry]:
    originator = ri["originator"]
    unsupported = ""
    ephemeral: Any = b""
    if originator.name != "originator_key":
        # Static-static ECDH needs the sender's certificate; S/MIME senders do not use it.
        unsupported = "This message uses static ECDH key agreement, which is not supported."
    else:
        ephemeral = originator.chosen["public_key"].native
        if not isinstance(ephemeral, bytes):
            raise CmsError("The sender's ephemeral key in this message is malformed.")
    alg = ri["key_encryption_algorithm"]
    wrap = alg["parameters"].parse(cms.KeyEncryptionAlgorithm)
    ukm = ri["ukm"].native if ri["ukm"].native is not None else None
    agreement = KeyAgreement(
        scheme_oid=alg["algorithm"].dotted,
        wrap_oid=wrap["algorithm"].dotted,
        wrap_der=wrap.dump(force=True),
        ephemeral_point=bytes(ephemeral),
        ukm=ukm,
    )
    management = f"ECDH {agreement.curve_name}"
    out: list[RecipientEntry] = []
    for rek in ri["recipient_encrypted_keys"]:
        rid = rek["rid"]
        if rid.name == "issuer_and_serial_number":
            ident = _issuer_serial_id(rid.chosen, management)
        else:
            ident = ski_recipient_id(rid.chosen["subject_key_identifier"].native, management)
        out.append(
            RecipientEntry(
                ident,
                rek["encrypted_key"].native,
                agreement=agreement,
                unsupported=unsupported or agreement.unsupported,
            )
        )
    return out


_UNSUPPORTED_RI = {
    "kekri": "a pre-shared key",
    "pwri": "a password",
    "ori": "an unknown method",
}


def _recipients(infos: Any) -> tuple[list[RecipientEntry], list[str]]:
    found: list[RecipientEntry] = []
    unsupported: list[str] = []
    for ri in infos:
        if ri.name == "ktri":
            found.extend(_ktri(ri.chosen))
        elif ri.name == "kari":
            found.extend(_kari(ri.chosen))
        else:
            unsupported.append(_UNSUPPORTED_RI.get(ri.name, ri.name))
    return found, unsupported


def _gcm_aad(auth_attrs: Any) -> bytes:
    """RFC 5083: the AAD is the DER of authAttrs with the SET OF tag, not the [1] tag."""
    if isinstance(auth_attrs, core.Void):
        return b""
    return bytes(auth_attrs.untag().dump(force=True))


def parse_full(der: bytes) -> ParsedEnvelope:
    """The envelope through asn1crypto's full parser, for every kind of input (the reference
    that ``envelope_fast`` must equal whenever it accepts)."""
    if not isinstance(der, bytes | bytearray | memoryview) or not der:
        raise CmsError("The encrypted part is empty.")
    info = cms.ContentInfo.load(bytes(der))
    content_type = info["content_type"].native
    if content_type == "enveloped_data":
        kind, body = "enveloped", info["content"]
        eci = body["encrypted_content_info"]
        mac, aad = b"", b""
    elif content_type == "authenticated_enveloped_data":
        kind, body = "auth-enveloped", info["content"]
        eci = body["auth_encrypted_content_info"]
        mac, aad = body["mac"].native, _gcm_aad(body["auth_attrs"])
    else:
        raise CmsError(f"This is not encrypted S/MIME data (it contains {content_type}).")
    recipients, unsupported = _recipients(body["recipient_infos"])
    if not recipients:
        how = ", ".join(unsupported) or "no recipient at all"
        raise CmsError(f"This message is encrypted for {how}, which smimetui does not support.")
    alg = eci["content_encryption_algorithm"]
    cipher_name = str(alg["algorithm"].native)
    cipher = CIPHERS.get(cipher_name)
    params: Any = None
    if cipher is not None and cipher.mode == "gcm":
        if kind != "auth-enveloped":
            raise CmsError("This message uses AES-GCM outside AuthEnvelopedData, which is invalid.")
        gcm = alg["parameters"].parse(GcmParameters).native  # malformed parameters fail here
        params = GcmParams(nonce=gcm["aes_nonce"], icv_len=int(gcm["aes_icvlen"]))
    elif cipher is not None:
        if kind == "auth-enveloped":
            raise CmsError(
                f"This message claims authenticated encryption with {cipher.display}, "
                "which cannot authenticate."
            )
        params = alg["parameters"].native
    encrypted = eci["encrypted_content"].native
    if encrypted is None:
        raise CmsError("This encrypted part carries no encrypted content.")
    envelope_info = EnvelopeInfo(
        kind=kind,
        algorithm=cipher_display(cipher_name),
        authenticated=cipher is not None and cipher.mode == "gcm",
        recipients=tuple(r.rid for r in recipients),
    )
    return ParsedEnvelope(
        envelope_info, tuple(recipients), cipher_name, params, bytes(encrypted), mac or b"", aad
    )


def _parse_checked(der: bytes) -> ParsedEnvelope:
    """Parse, turning every decoder failure into one CmsError sentence.

    The common, strict-DER case is read by envelope_fast straight from the bytes; anything else
    (and every error sentence) comes from :func:`parse_full`.
    """
    fast = envelope_fast.fast_parse(der)
    if fast is not None:
        return fast
    try:
        return parse_full(der)
    except SmimeTuiError:
        raise
    except Exception as err:  # asn1crypto raises ValueError, TypeError, KeyError, ...
        raise CmsError(
            "The encrypted part is malformed and cannot be read.", details=repr(err)
        ) from err


def describe_envelope(der: bytes) -> EnvelopeInfo:
    """For whom and with which cipher ``der`` (a CMS ContentInfo) was encrypted."""
    return _parse_checked(der).info


# -- decryption ---------------------------------------------------------------------------------


def _decrypt_content(env: ParsedEnvelope, content_key: bytes) -> bytes:
    cipher = CIPHERS.get(env.cipher_name)
    if cipher is None:
        raise CmsError(
            f"This message was encrypted with {cipher_display(env.cipher_name)}, "
            "which smimetui does not decrypt because it is obsolete or unknown."
        )
    if len(content_key) != cipher.key_size:
        raise DecryptionError(DECRYPT_FAILED)
    if cipher.mode == "gcm":
        if env.params.icv_len != len(env.mac):
            raise CmsError("The AES-GCM tag of this message does not have the announced length.")
        return bytes(decrypt_gcm(content_key, env.params.nonce, env.ciphertext, env.mac, env.aad))
    if not isinstance(env.params, bytes):
        raise CmsError(f"The {cipher.display} parameters of this message are malformed.")
    return bytes(decrypt_cbc(cipher, content_key, env.params, env.ciphertext))


def _name_recipients(rids: Sequence[RecipientId], known: Sequence[x509.Certificate]) -> str:
    names: list[str] = []
    for rid in rids:
        label = rid.describe()
        for cert in known:
            if rid.matches(cert):
                emails = _emails(cert)
                if emails:
                    label = f"{emails} ({label})"
                break
        if label not in names:
            names.append(label)
    if len(names) > 5:
        names = [*names[:5], f"{len(names) - 5} more"]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _emails(cert: x509.Certificate) -> str:
    der = cert.public_bytes(serialization.Encoding.DER)
    return ", ".join(cert_emails(asn1_x509.Certificate.load(der)))


def decrypt_envelope(
    der: bytes,
    keys: Sequence[KeyCandidate],
    *,
    known_certs: Sequence[x509.Certificate] = (),
) -> DecryptOutcome:
    """Decrypt with the first of ``keys`` that fits a recipient.

    ``known_certs`` (contacts, own IDs) only serve to name the recipients by address when none
    of ``keys`` fits.  Raises NoKeyError, DecryptionError, CmsError; KeyUnlockError passes
    through when the only fitting key could not be unlocked.
    """
    env = _parse_checked(der)
    unlocked: dict[int, PrivateKey] = {}
    unlock_error: KeyUnlockError | None = None
    failure: SmimeTuiError | None = None
    for recipient in env.recipients:
        for index, candidate in enumerate(keys):
            if not recipient.rid.matches(candidate.cert):
                continue
            try:
                if index not in unlocked:
                    unlocked[index] = candidate.private_key()
                key = unlocked[index]
            except KeyUnlockError as err:
                unlock_error = unlock_error or err
                continue
            try:
                content = _decrypt_content(env, recipient.content_key(key))
            except (DecryptionError, CmsError) as err:
                failure = failure or err
                continue  # the same key may be listed for another recipient too
            problems = (WEAK_3DES,) if CIPHERS[env.cipher_name].weak else ()
            return DecryptOutcome(
                content=content,
                info=env.info,
                used_cert=candidate.cert,
                problems=problems,
                key_management=recipient.rid.key_management,
            )
    if failure is not None:
        raise failure
    if unlock_error is not None:
        raise unlock_error
    whom = _name_recipients(env.info.recipients, [*known_certs, *(k.cert for k in keys)])
    raise NoKeyError(
        f"This message was encrypted for {whom}, and you have none of their keys.",
        details=f"{len(keys)} key(s) tried",
    )
