"""The common case of reading EnvelopedData / AuthEnvelopedData without asn1crypto's object tree.

A well-formed encrypted message (strict DER, key transport or ephemeral-static ECDH recipients,
an AES-CBC or AES-GCM content cipher, no optional fields) is read here straight from the bytes
with :mod:`der_read`, into exactly the value the full parser in :mod:`envelope` builds.  The
algorithm identifiers, which repeat from message to message, are interpreted by that parser's
own code and remembered by their encoding.  Whenever anything is unusual this returns None and
the full parser decides, so every error sentence still comes from one place.
"""

from __future__ import annotations

import functools

from asn1crypto import algos, cms, keys
from cryptography.hazmat.primitives.asymmetric import padding

from smimetui.core.cms import der_read
from smimetui.core.cms.content_cipher import CIPHERS, cipher_display
from smimetui.core.cms.der_read import Tlv, children, contents, der_length, expect, whole
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

_ENVELOPED = bytes.fromhex("06092a864886f70d010703")  # id-envelopedData
_AUTH_ENVELOPED = bytes.fromhex("060b2a864886f70d0109100117")  # id-ct-authEnvelopedData


class _Declined(Exception):
    """Not the common case: the full parser decides."""


def fast_parse(der: bytes) -> ParsedEnvelope | None:
    """The parsed envelope when ``der`` is a plain strict-DER one, else None."""
    if not isinstance(der, bytes) or not der.startswith(b"\x30"):
        return None
    try:
        return _parse(der)
    except Exception:  # anything unexpected: the full parser decides
        return None


def _parse(buf: bytes) -> ParsedEnvelope:
    info = der_read.only(buf, 0x30)
    oid, wrapped = children(buf, info[1], info[2])
    kind_oid = whole(buf, expect(oid, 0x06))
    body = der_read.only(buf, 0x30, *expect(wrapped, 0xA0)[1:3])
    fields = children(buf, body[1], body[2])
    if kind_oid == _ENVELOPED and [t[0] for t in fields] == [0x02, 0x31, 0x30]:
        kind, mac = "enveloped", b""
    elif kind_oid == _AUTH_ENVELOPED and [t[0] for t in fields] == [0x02, 0x31, 0x30, 0x04]:
        kind, mac = "auth-enveloped", contents(buf, fields[3])  # no authAttrs: the AAD is empty
    else:
        raise _Declined
    recipients = tuple(_recipient(buf, tlv) for tlv in children(buf, fields[1][1], fields[1][2]))
    if not recipients:
        raise _Declined
    cipher_name, params, ciphertext = _content(buf, fields[2], kind)
    envelope_info = EnvelopeInfo(
        kind=kind,
        algorithm=cipher_display(cipher_name),
        authenticated=kind == "auth-enveloped",
        recipients=tuple(r.rid for r in recipients),
    )
    return ParsedEnvelope(envelope_info, recipients, cipher_name, params, ciphertext, mac, b"")


def _content(buf: bytes, eci: Tlv, kind: str) -> tuple[str, bytes | GcmParams, bytes]:
    _, alg, encrypted = children(buf, eci[1], eci[2])
    alg_oid, alg_params = children(buf, *expect(alg, 0x30)[1:3])
    cipher = CIPHERS.get(_cipher_name(whole(buf, expect(alg_oid, 0x06))))
    if cipher is None or (cipher.mode == "gcm") != (kind == "auth-enveloped"):
        raise _Declined
    params: bytes | GcmParams
    if cipher.mode == "gcm":
        nonce, *icv = children(buf, *expect(alg_params, 0x30)[1:3])
        if len(icv) > 1 or icv and icv[0][0] != 0x02:
            raise _Declined
        icv_len = int.from_bytes(contents(buf, icv[0]), "big", signed=True) if icv else 12
        params = GcmParams(nonce=contents(buf, expect(nonce, 0x04)), icv_len=icv_len)
    else:
        params = contents(buf, expect(alg_params, 0x04))
    return cipher.oid_name, params, contents(buf, expect(encrypted, 0x80))


def _recipient(buf: bytes, tlv: Tlv) -> RecipientEntry:
    if tlv[0] == 0x30:
        return _ktri(buf, tlv)
    if tlv[0] == 0xA1:
        return _kari(buf, tlv)
    raise _Declined


def _ktri(buf: bytes, ri: Tlv) -> RecipientEntry:
    version, rid, alg, key = children(buf, ri[1], ri[2])
    if version[0] != 0x02:
        raise _Declined
    oaep, management = _key_transport(whole(buf, expect(alg, 0x30)))
    ident = _rid(buf, rid, management, 0x80)
    return RecipientEntry(ident, contents(buf, expect(key, 0x04)), oaep=oaep)


def _kari(buf: bytes, ri: Tlv) -> RecipientEntry:
    parts = children(buf, ri[1], ri[2])
    if len(parts) == 5:
        version, originator, ukm_field, alg, keys = parts
        ukm: bytes | None = contents(buf, der_read.only(buf, 0x04, *expect(ukm_field, 0xA1)[1:3]))
    else:
        version, originator, alg, keys = parts
        ukm = None
    if version[0] != 0x02:
        raise _Declined
    key = der_read.only(buf, 0xA1, *expect(originator, 0xA0)[1:3])
    key_alg, point = children(buf, key[1], key[2])
    bits = contents(buf, expect(point, 0x03))
    if not bits or bits[0] != 0 or not _point_key(whole(buf, expect(key_alg, 0x30))):
        raise _Declined
    scheme_oid, wrap_oid, wrap_der = _key_agreement(whole(buf, expect(alg, 0x30)))
    agreement = KeyAgreement(scheme_oid, wrap_oid, wrap_der, bits[1:], ukm)
    if agreement.unsupported:
        raise _Declined
    # One recipient per KeyAgreeRecipientInfo: ours is the usual form (several are rare).
    (rek,) = children(buf, *expect(keys, 0x30)[1:3])
    rid, encrypted = children(buf, *expect(rek, 0x30)[1:3])
    ident = _rid(buf, rid, f"ECDH {agreement.curve_name}", 0xA0)
    return RecipientEntry(ident, contents(buf, expect(encrypted, 0x04)), agreement=agreement)


def _rid(buf: bytes, rid: Tlv, management: str, ski_tag: int) -> RecipientId:
    if rid[0] == 0x30:
        issuer, serial = children(buf, rid[1], rid[2])
        expect(issuer, 0x30)
        number = int.from_bytes(contents(buf, expect(serial, 0x02)), "big", signed=True)
        return issuer_serial_rid(whole(buf, issuer), number, management)
    if rid[0] == ski_tag == 0x80:  # KeyTransRecipientInfo: [0] SubjectKeyIdentifier
        return ski_recipient_id(contents(buf, rid), management)
    if rid[0] == ski_tag == 0xA0:  # KeyAgreeRecipientIdentifier: [0] RecipientKeyIdentifier
        ski, *_ = children(buf, rid[1], rid[2])
        return ski_recipient_id(contents(buf, expect(ski, 0x04)), management)
    raise _Declined


@functools.lru_cache(maxsize=64)
def _point_key(alg_der: bytes) -> bool:
    """Whether the full parser reads an originator key with this algorithm as a point (bytes)."""
    body = alg_der + b"\x03\x02\x00\x04"  # the algorithm and a one-byte BIT STRING
    spki = keys.PublicKeyInfo.load(b"\x30" + der_length(len(body)) + body)
    return isinstance(spki["public_key"].native, bytes)


@functools.lru_cache(maxsize=64)
def _cipher_name(oid_der: bytes) -> str:
    return str(algos.EncryptionAlgorithmId.load(oid_der).native)


@functools.lru_cache(maxsize=64)
def _key_transport(alg_der: bytes) -> tuple[padding.OAEP | None, str]:
    """As envelope._ktri reads a KeyEncryptionAlgorithmIdentifier (only the supported ones)."""
    alg = cms.KeyEncryptionAlgorithm.load(alg_der)
    name = alg["algorithm"].native
    if name == "rsaes_oaep":
        pad, management = oaep_padding(alg["parameters"])
        return pad, management
    if name in ("rsaes_pkcs1v15", "rsa"):
        return None, "RSA PKCS#1 v1.5"
    raise _Declined


@functools.lru_cache(maxsize=64)
def _key_agreement(alg_der: bytes) -> tuple[str, str, bytes]:
    """As envelope._kari reads the key-agreement algorithm and its key-wrap parameter."""
    alg = cms.KeyEncryptionAlgorithm.load(alg_der)
    wrap = alg["parameters"].parse(cms.KeyEncryptionAlgorithm)
    return str(alg["algorithm"].dotted), str(wrap["algorithm"].dotted), bytes(wrap.dump(force=True))
