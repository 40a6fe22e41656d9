"""Verify CMS SignedData (RFC 5652) ourselves: asn1crypto for the structure, cryptography for math.

pyca/cryptography cannot verify CMS, so this module does what a CMS verifier must do and nothing
it may not: find each signer's certificate by issuerAndSerialNumber or subjectKeyIdentifier,
require and check the messageDigest and contentType attributes, and verify the signature over the
DER re-encoding of signedAttrs as a SET.  The digest comes from the signerInfo, never from the
MIME ``micalg`` parameter.  Trust in the signer's certificate is not decided here (see trust.py).

Every malformed input ends as :class:`CmsError` (whole structure unreadable) or as a
:class:`SignerOutcome` with ``valid=False`` and a sentence (one signer unreadable or failing).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, core, pem, x509

from smimetui.core.cms import der_read, sigalgs, signeddata_fast
from smimetui.core.cms.sigalgs import DigestSpec, InvalidSignature, UnsupportedAlgorithm
from smimetui.core.cms.signeddata_values import (
    SignedDataResult,
    SignerOutcome,
    capabilities_of,
    key_preference_of,
    parsed_certificate,
)
from smimetui.core.errors import CmsError
from smimetui.core.sanitize import clean_line

_ALTERED = "The signature does not match the signed content: it was altered after signing."
_SINGLE_VALUED = ("content_type", "message_digest", "signing_time")


def load_signed_data(der: bytes) -> cms.SignedData:
    """Parse a ContentInfo holding SignedData (DER, BER or PEM); raise CmsError otherwise."""
    try:
        data = bytes(der)
        if data.lstrip().startswith(b"-----BEGIN"):
            _, _, data = pem.unarmor(data.strip())
        info = cms.ContentInfo.load(data)
        kind = info["content_type"].native
        if kind != "signed_data":
            raise CmsError(
                f"The data is CMS {clean_line(str(kind))}, not a signature (SignedData)."
            )
        signed = info["content"]
        # asn1crypto parses lazily: touch what every caller needs so malformation shows here.
        signed["encap_content_info"]["content_type"].native  # noqa: B018
        len(signed["signer_infos"])
        return signed
    except CmsError:
        raise
    except Exception as exc:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        raise CmsError(
            "The signature is malformed and cannot be read (it is not valid CMS SignedData).",
            details=f"{type(exc).__name__}: {exc}",
        ) from exc


def verify_signed_data(
    der: bytes,
    detached: bytes | None = None,
    extra_certs: Sequence[x509.Certificate] = (),
) -> SignedDataResult:
    """Verify every signer of a SignedData over its eContent, or over ``detached`` without one.

    The common case (strict DER, every signer good) is settled by signeddata_fast straight from
    the bytes; everything else, and every problem sentence, comes from :func:`verify_full`.
    """
    fast = signeddata_fast.fast_verify(der, detached, extra_certs)
    if fast is not None:
        return fast
    return verify_full(der, detached, extra_certs)


def verify_full(
    der: bytes,
    detached: bytes | None = None,
    extra_certs: Sequence[x509.Certificate] = (),
) -> SignedDataResult:
    """:func:`verify_signed_data` through asn1crypto's full parser, for every kind of input."""
    signed = load_signed_data(der)
    try:
        encap = signed["encap_content_info"]
        ctype_obj = encap["content_type"]
        content_type = str(ctype_obj.native)
        content_field = encap["content"]
        econtent = None if isinstance(content_field, core.Void) else bytes(content_field)
        certificates = _certificates(signed)
        signer_infos = list(signed["signer_infos"])
    except Exception as exc:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        raise CmsError(
            "The signature is malformed and cannot be read (its content or certificates are "
            "damaged).",
            details=f"{type(exc).__name__}: {exc}",
        ) from exc
    content = econtent if econtent is not None else detached
    candidates = certificates + tuple(extra_certs)
    digests: dict[str, bytes] = {}
    outcomes = tuple(
        _verify_signer(info, content, ctype_obj.dotted, candidates, digests)
        for info in signer_infos
    )
    return SignedDataResult(
        content_type=content_type,
        econtent=econtent,
        signers=outcomes,
        certificates=certificates,
        content_mismatch=detached is not None and econtent is not None and detached != econtent,
    )


def _certificates(signed: cms.SignedData) -> tuple[x509.Certificate, ...]:
    """The usable certificates carried in the message (damaged ones are left out)."""
    field = signed["certificates"]
    if isinstance(field, core.Void):
        return ()
    found: list[x509.Certificate] = []
    for choice in field:
        if choice.name == "certificate":
            cert = parsed_certificate(choice.chosen.dump())
            if cert is not None:
                found.append(cert)
    return tuple(found)


# -- one signer ---------------------------------------------------------------------------------


class _Failed(Exception):
    """A signer failed with a sentence; carries what was learnt before it failed."""


@dataclass(slots=True)
class _Facts:
    cert: x509.Certificate | None = None
    digest: DigestSpec | None = None
    signature_algorithm: str = ""
    signing_time: datetime | None = None
    capabilities: tuple[str, ...] = ()
    key_pref: tuple[str, str] | None = None


def _verify_signer(
    info: cms.SignerInfo,
    content: bytes | None,
    econtent_type: str,
    candidates: Sequence[x509.Certificate],
    digests: dict[str, bytes],
) -> SignerOutcome:
    facts = _Facts()
    problems: list[str] = []
    valid = False
    try:
        valid = _check_signer(info, content, econtent_type, candidates, digests, facts)
    except _Failed as failed:
        problems.append(str(failed))
    except Exception as exc:  # a damaged signerInfo fails that signer, not the report
        problems.append(
            f"The signer information is malformed and cannot be checked ({type(exc).__name__})."
        )
    weak = facts.digest is not None and facts.digest.weak
    if weak and facts.digest is not None:
        problems.append(
            f"The signature uses the weak {facts.digest.display} digest, which can be forged; "
            "do not rely on it."
        )
    return SignerOutcome(
        valid=valid,
        cert=facts.cert,
        digest_algorithm=facts.digest.display if facts.digest else _safe_name(info, "digest"),
        signature_algorithm=facts.signature_algorithm or _safe_name(info, "signature"),
        signing_time=facts.signing_time,
        weak_digest=weak,
        problems=tuple(problems),
        capabilities=facts.capabilities,
        encryption_key_preference=facts.key_pref,
    )


def _check_signer(
    info: cms.SignerInfo,
    content: bytes | None,
    econtent_type: str,
    candidates: Sequence[x509.Certificate],
    digests: dict[str, bytes],
    facts: _Facts,
) -> bool:
    facts.cert = _find_cert(info["sid"], candidates)
    try:
        facts.digest = sigalgs.digest_spec(info["digest_algorithm"])
    except UnsupportedAlgorithm as exc:
        raise _Failed(str(exc)) from exc
    if facts.cert is None:
        raise _Failed(
            "The signer's certificate is not in the message, so the signature cannot be checked."
        )
    key = sigalgs.public_key(facts.cert.public_key)
    facts.signature_algorithm = sigalgs.signature_algorithm_name(info["signature_algorithm"], key)
    attrs_field = info["signed_attrs"]
    has_attrs = not isinstance(attrs_field, core.Void)
    found = _attributes(attrs_field) if has_attrs else {}
    _harvest(found, facts)
    if content is None:
        raise _Failed(
            "The signed content is missing: the signature is detached and no content was given."
        )
    digest = digests.get(facts.digest.asn1_name)
    if digest is None:
        digest = digests[facts.digest.asn1_name] = facts.digest.hash(content)
    if has_attrs:
        _check_attributes(found, digest, econtent_type, info)
        signed_bytes = _der_signed_attrs(attrs_field)
    else:
        if econtent_type != "1.2.840.113549.1.7.1":
            raise _Failed(
                "The signature has no signed attributes although its content is not plain data."
            )
        signed_bytes = content
    try:
        facts.signature_algorithm = sigalgs.verify_signature(
            key, info["signature_algorithm"], facts.digest, info["signature"].native, signed_bytes
        )
    except InvalidSignature as exc:
        raise _Failed(_ALTERED) from exc
    except UnsupportedAlgorithm as exc:
        raise _Failed(str(exc)) from exc
    return True


def _der_signed_attrs(attrs: cms.CMSAttributes) -> bytes:
    """RFC 5652 5.4: the signature covers the DER encoding of the attributes as a SET OF.

    The universal SET tag replaces the [0] IMPLICIT tag.  When the attributes inside are already
    strict DER (the usual case) only the outer header needs rebuilding; anything else is fully
    re-encoded by asn1crypto (slower, so only when needed).
    """
    contents = bytes(attrs.contents)
    if der_read.is_strict(contents, 0, len(contents)):
        return b"\x31" + der_read.der_length(len(contents)) + contents
    reencoded: bytes = attrs.dump(force=True)
    return b"\x31" + reencoded[1:]


def _find_cert(
    sid: cms.SignerIdentifier, candidates: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"]
        serial = sid.chosen["serial_number"].native
        issuer_der = issuer.dump()
        for cert in candidates:
            if cert.serial_number != serial:
                continue
            # byte equality first; the RFC 4518 comparison (string prep) is slow
            if cert.issuer.dump() == issuer_der or cert.issuer == issuer:
                return cert
        return None
    ski = sid.chosen.native
    for cert in candidates:
        if cert.key_identifier == ski or cert.public_key.sha1 == ski:
            return cert
    return None


def _attributes(attrs: cms.CMSAttributes) -> dict[str, list[cms.CMSAttribute]]:
    found: dict[str, list[cms.CMSAttribute]] = {}
    for attr in attrs:
        found.setdefault(attr["type"].native, []).append(attr)
    return found


def _check_attributes(
    found: dict[str, list[cms.CMSAttribute]],
    digest: bytes,
    econtent_type: str,
    info: cms.SignerInfo,
) -> None:
    for name in _SINGLE_VALUED:
        if len(found.get(name, ())) > 1 or any(len(a["values"]) != 1 for a in found.get(name, ())):
            raise _Failed(f"The signature carries its {name.replace('_', ' ')} more than once.")
    if "message_digest" not in found or "content_type" not in found:
        raise _Failed("The signature lacks the required message digest or content type attribute.")
    if found["content_type"][0]["values"][0].dotted != econtent_type:
        raise _Failed("The signed content type differs from the content that was signed.")
    claimed = found["message_digest"][0]["values"][0].native
    if not hmac.compare_digest(claimed, digest):
        raise _Failed(_ALTERED)
    # RFC 6211: if present, the algorithm protection attribute must repeat the signer's choice.
    for attr in found.get("cms_algorithm_protection", ()):
        for value in attr["values"]:
            if _algorithm(value["digest_algorithm"]) != _algorithm(info["digest_algorithm"]) or (
                _algorithm(value["signature_algorithm"]) != _algorithm(info["signature_algorithm"])
            ):
                raise _Failed(
                    "The signature's algorithm protection attribute contradicts its algorithms."
                )


def _algorithm(identifier: core.Asn1Value) -> tuple[str, bytes]:
    """An AlgorithmIdentifier as (OID, parameters), whatever its tag: the attribute carries
    signatureAlgorithm as [1] IMPLICIT, so whole encodings never compare equal.  Absent and
    NULL parameters are one thing (RFC 5754 §2: both forms are accepted for SHA-2)."""
    params = identifier["parameters"]
    encoded = b"" if params.native is None else params.dump()
    return identifier["algorithm"].dotted, encoded


def _harvest(found: dict[str, list[cms.CMSAttribute]], facts: _Facts) -> None:
    """Signing time, capabilities and key preference: informative, so damage is ignored."""
    try:
        if "signing_time" in found:
            facts.signing_time = found["signing_time"][0]["values"][0].native
    except Exception:  # informative only, and hostile DER raises many kinds
        facts.signing_time = None
    if "smime_capabilities" in found:
        facts.capabilities = capabilities_of(found["smime_capabilities"][0].dump())
    if "encrypt_key_pref" in found:
        facts.key_pref = key_preference_of(found["encrypt_key_pref"][0].dump())


def _safe_name(info: cms.SignerInfo, which: str) -> str:
    try:
        field = info["digest_algorithm" if which == "digest" else "signature_algorithm"]
        return str(clean_line(str(field["algorithm"].native)))
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        return "(unreadable)"
