"""The common case of SignedData verification without asn1crypto's object tree.

A well-formed signed message (strict DER, every signer found by byte-equal issuer and serial or
by key identifier, the required attributes present once, the signature good) is verified here
straight from the bytes with :mod:`der_read`: about three times faster than walking asn1crypto's
lazily parsed objects.  The checks are the same as in :mod:`signeddata` -- messageDigest and
contentType required and compared, signedAttrs signed as a DER SET, strict signer
identification -- but this path only ever *accepts*: whenever anything is unusual or fails it
returns None, and the full path in :mod:`signeddata` decides and explains.  So every verdict
other than "all signers good" and every problem sentence still comes from one place.
"""

from __future__ import annotations

import functools
import hmac
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, x509
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from smimetui.core.cms import der_read, sigalgs
from smimetui.core.cms.der_read import Tlv, children, contents, expect, whole
from smimetui.core.cms.sigalgs import DigestSpec
from smimetui.core.cms.signeddata_values import (
    SignedDataResult,
    SignerOutcome,
    capabilities_of,
    key_preference_of,
    parsed_certificate,
)


def _oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


_OID_SIGNED_DATA = _oid("1.2.840.113549.1.7.2")
_OID_DATA = _oid("1.2.840.113549.1.7.1")
# The attribute types the full path looks at, by the names it uses (asn1crypto's own table).
_WANTED = (
    "content_type",
    "message_digest",
    "signing_time",
    "smime_capabilities",
    "encrypt_key_pref",
    "cms_algorithm_protection",
)
_ATTR_NAMES: dict[bytes, str] = {
    _oid(dotted): name for dotted, name in cms.CMSAttributeType._map.items() if name in _WANTED
}
_SINGLE_VALUED = ("content_type", "message_digest", "signing_time")
_CERT_CHOICES_SKIPPED = (0xA0, 0xA1, 0xA2, 0xA3)  # extended, attribute and other certificates

# name -> [(the attribute's encoding, the encodings of its values)]
Attrs = dict[str, list[tuple[bytes, tuple[bytes, ...]]]]


class _Declined(Exception):
    """Not the common case: the full path decides."""


def fast_verify(
    der: bytes, detached: bytes | None, extra_certs: Sequence[x509.Certificate]
) -> SignedDataResult | None:
    """The result when ``der`` is a strict-DER SignedData whose every signer verifies, else None."""
    if not isinstance(der, bytes) or not der.startswith(b"\x30"):
        return None
    try:
        return _verify(der, detached, extra_certs)
    except Exception:  # anything unexpected: the full path decides and explains
        return None


def _verify(
    buf: bytes, detached: bytes | None, extra_certs: Sequence[x509.Certificate]
) -> SignedDataResult:
    info = der_read.only(buf, 0x30)
    oid, wrapped = children(buf, info[1], info[2])
    if whole(buf, expect(oid, 0x06)) != _OID_SIGNED_DATA:
        raise _Declined
    signed = der_read.only(buf, 0x30, *expect(wrapped, 0xA0)[1:3])
    fields = children(buf, signed[1], signed[2])
    if len(fields) < 4 or [t[0] for t in fields[:3]] != [0x02, 0x31, 0x30]:
        raise _Declined
    middle = [t[0] for t in fields[3:-1]]
    if middle not in ([], [0xA0], [0xA1], [0xA0, 0xA1]):
        raise _Declined
    econtent_oid, econtent = _encapsulated(buf, fields[2])
    certificates = _certificates(buf, fields[3]) if middle[:1] == [0xA0] else ()
    content = econtent if econtent is not None else detached
    if content is None:
        raise _Declined
    candidates = certificates + tuple(extra_certs)
    digests: dict[str, bytes] = {}
    signers = tuple(
        _signer(buf, expect(tlv, 0x30), content, econtent_oid, candidates, digests)
        for tlv in children(buf, *expect(fields[-1], 0x31)[1:3])
    )
    return SignedDataResult(
        content_type=_content_type_name(econtent_oid),
        econtent=econtent,
        signers=signers,
        certificates=certificates,
        content_mismatch=detached is not None and econtent is not None and detached != econtent,
    )


def _encapsulated(buf: bytes, encap: Tlv) -> tuple[bytes, bytes | None]:
    parts = children(buf, encap[1], encap[2])
    if not 1 <= len(parts) <= 2 or not der_read.oid_is_minimal(buf, expect(parts[0], 0x06)):
        raise _Declined
    if len(parts) == 1:
        return whole(buf, parts[0]), None
    inner = der_read.only(buf, 0x04, *expect(parts[1], 0xA0)[1:3])
    return whole(buf, parts[0]), contents(buf, inner)


def _certificates(buf: bytes, field: Tlv) -> tuple[x509.Certificate, ...]:
    found: list[x509.Certificate] = []
    for tlv in children(buf, field[1], field[2]):
        if tlv[0] == 0x30:
            cert = parsed_certificate(whole(buf, tlv))
            if cert is not None:
                found.append(cert)
        elif tlv[0] not in _CERT_CHOICES_SKIPPED:
            raise _Declined
    return tuple(found)


def _signer(
    buf: bytes,
    info: Tlv,
    content: bytes,
    econtent_oid: bytes,
    candidates: Sequence[x509.Certificate],
    digests: dict[str, bytes],
) -> SignerOutcome:
    parts = children(buf, info[1], info[2])
    if len(parts) < 5 or parts[0][0] != 0x02:
        raise _Declined
    sid, digest_alg, rest = parts[1], expect(parts[2], 0x30), parts[3:]
    attrs = rest.pop(0) if rest[0][0] == 0xA0 else None
    if len(rest) not in (2, 3) or len(rest) == 3 and rest[2][0] != 0xA1:
        raise _Declined
    sig_alg, signature = expect(rest[0], 0x30), expect(rest[1], 0x04)
    spec = _digest_spec(whole(buf, digest_alg))
    cert = _find_cert(buf, sid, candidates)
    key = _public_key(cert)
    digest = digests.get(spec.asn1_name)
    if digest is None:
        digest = digests[spec.asn1_name] = spec.hash(content)
    found: Attrs = {}
    if attrs is not None:
        found = _attributes(buf, attrs)
        _check_attributes(found, digest, econtent_oid)
        body = contents(buf, attrs)
        signed_bytes = b"\x31" + der_read.der_length(len(body)) + body
    elif econtent_oid == _OID_DATA:
        signed_bytes = content
    else:
        raise _Declined
    algorithm = _signature_algorithm(whole(buf, sig_alg))
    name = sigalgs.verify_signature(key, algorithm, spec, contents(buf, signature), signed_bytes)
    return SignerOutcome(
        valid=True,
        cert=cert,
        digest_algorithm=spec.display,
        signature_algorithm=name,
        signing_time=_signing_time(found),
        weak_digest=False,
        problems=(),
        capabilities=capabilities_of(found["smime_capabilities"][0][0])
        if "smime_capabilities" in found
        else (),
        encryption_key_preference=key_preference_of(found["encrypt_key_pref"][0][0])
        if "encrypt_key_pref" in found
        else None,
    )


def _attributes(buf: bytes, attrs: Tlv) -> Attrs:
    found: Attrs = {}
    for tlv in children(buf, attrs[1], attrs[2]):
        name, values = _attribute(whole(buf, tlv))
        if name is not None:
            found.setdefault(name, []).append((whole(buf, tlv), values))
    return found


# Most attributes (content type, capabilities) are the same in every message of a sender.
@functools.lru_cache(maxsize=256)
def _attribute(der: bytes) -> tuple[str | None, tuple[bytes, ...]]:
    """The wanted attribute's name and its values' encodings, for strict DER only.

    Strict DER all the way down, so that the signed bytes need no re-encoding (BER attributes
    are re-encoded by the full path); a padded OID could spell a wanted type, so OIDs must be
    minimal.
    """
    if not der_read.is_strict(der, 0, len(der)):
        raise _Declined
    attr = der_read.only(der, 0x30)
    type_oid, values = children(der, attr[1], attr[2])
    if not der_read.oid_is_minimal(der, expect(type_oid, 0x06)):
        raise _Declined
    name = _ATTR_NAMES.get(whole(der, type_oid))
    if name is None:
        return None, ()
    expect(values, 0x31)
    return name, tuple(whole(der, v) for v in children(der, values[1], values[2]))


def _check_attributes(found: Attrs, digest: bytes, econtent_oid: bytes) -> None:
    for name in _SINGLE_VALUED:
        entries = found.get(name, ())
        if len(entries) > 1 or any(len(values) != 1 for _, values in entries):
            raise _Declined
    if "message_digest" not in found or "content_type" not in found:
        raise _Declined
    if "cms_algorithm_protection" in found:
        raise _Declined  # rare: the full path compares it
    if found["content_type"][0][1][0] != econtent_oid:
        raise _Declined
    claimed = found["message_digest"][0][1][0]
    if claimed[0] != 0x04:
        raise _Declined
    if not hmac.compare_digest(contents(claimed, der_read.only(claimed, 0x04)), digest):
        raise _Declined


def _signing_time(found: Attrs) -> datetime | None:
    if "signing_time" not in found:
        return None
    value = found["signing_time"][0][1][0]
    text = contents(value, der_read.only(value, value[0]))
    # The usual UTCTime "YYMMDDhhmmssZ" directly; any other form as asn1crypto reads it.
    if value[0] == 0x17 and len(text) == 13 and text[12] == 0x5A and text[:12].isdigit():
        year = int(text[0:2])
        try:
            return datetime(
                year + (2000 if year < 50 else 1900),
                int(text[2:4]),
                int(text[4:6]),
                int(text[6:8]),
                int(text[8:10]),
                int(text[10:12]),
                tzinfo=UTC,
            )
        except ValueError:
            pass
    try:
        when = cms.Time.load(value).native
        return when if isinstance(when, datetime) else None
    except Exception:  # informative only, as in the full path
        return None


def _find_cert(buf: bytes, sid: Tlv, candidates: Sequence[x509.Certificate]) -> x509.Certificate:
    if sid[0] == 0x30:
        issuer, serial = children(buf, sid[1], sid[2])
        issuer_der = whole(buf, expect(issuer, 0x30))
        number = int.from_bytes(contents(buf, expect(serial, 0x02)), "big", signed=True)
        for cert in candidates:
            facts = _facts(cert)
            if facts.serial == number:
                if facts.issuer_der == issuer_der:
                    return cert
                raise _Declined  # equal names in other encodings: the full path compares
    elif sid[0] == 0x80:
        ski = contents(buf, sid)
        for cert in candidates:
            if cert.key_identifier == ski or cert.public_key.sha1 == ski:
                return cert
    raise _Declined


class _CertFacts:
    __slots__ = ("issuer_der", "serial", "key")

    def __init__(self, cert: x509.Certificate) -> None:
        self.issuer_der: bytes = cert.issuer.dump()
        self.serial: int = cert.serial_number
        self.key: PublicKeyTypes | None = None


# Keyed on the certificate object itself (asn1crypto objects hash by identity), weakly: an entry
# lives exactly as long as its certificate, so a new object can never find an old one's facts.
# parsed_certificate hands out one object per DER, and dump() on it walks the whole tree to look
# for changes every time, so a key by encoding would cost what the cache saves.
_FACTS: weakref.WeakKeyDictionary[x509.Certificate, _CertFacts] = weakref.WeakKeyDictionary()


def _facts(cert: x509.Certificate) -> _CertFacts:
    facts = _FACTS.get(cert)
    if facts is None:
        facts = _FACTS[cert] = _CertFacts(cert)
    return facts


def _public_key(cert: x509.Certificate) -> PublicKeyTypes:
    facts = _facts(cert)
    if facts.key is None:
        facts.key = sigalgs.public_key(cert.public_key)
    return facts.key


@functools.lru_cache(maxsize=64)
def _digest_spec(der: bytes) -> DigestSpec:
    spec = sigalgs.digest_spec(algos.DigestAlgorithm.load(der))
    if spec.weak:
        raise _Declined  # the full path words the weak-digest problem
    return spec


@functools.lru_cache(maxsize=64)
def _signature_algorithm(der: bytes) -> algos.SignedDigestAlgorithm:
    algorithm = algos.SignedDigestAlgorithm.load(der)
    algorithm.native  # noqa: B018 - parse once now; the cached object is only read afterwards
    return algorithm


@functools.lru_cache(maxsize=64)
def _content_type_name(oid_der: bytes) -> str:
    return str(cms.ContentType.load(oid_der).native)
