"""Turn one CMS SignedData (plus the message's From) into a :class:`SignatureReport`.

The verdict is deliberately strict: 'good' only when every signer verifies over exactly the
content that is displayed.  Everything that weakens what the user may conclude becomes a problem
sentence; facts that do not (revocation not checked) become notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from asn1crypto import x509 as asn1_x509

from smimetui.core.cms.certinfo import CertInfo, cert_emails
from smimetui.core.cms.signeddata import verify_signed_data
from smimetui.core.cms.signeddata_values import SignerOutcome
from smimetui.core.cms.signtime import signing_time_problems
from smimetui.core.errors import CmsError, SmimeTuiError
from smimetui.core.pki.chain import ChainStatus, RevocationStatus
from smimetui.core.pki.keystrength import weak_key_problems
from smimetui.core.pki.trust import ChainValidator
from smimetui.core.read.report import Coverage, SignatureReport, SignatureVerdict
from smimetui.core.read.signer_match import FromMatch, match_signer_to_from

REVOCATION_NOTE = (
    "Revocation was not checked: fetching revocation lists is off (enable it in the config)."
)


@lru_cache(maxsize=4096)
def _match_from(from_values: tuple[str, ...], emails: tuple[str, ...]) -> FromMatch:
    """Matching the signer to From parses strictly (slow); senders repeat, so remember it."""
    return match_signer_to_from(from_values, emails)


def _error(covers: Coverage, problem: str, over_ciphertext: bool = False) -> SignatureReport:
    return SignatureReport(
        verdict=SignatureVerdict.ERROR,
        chain=ChainStatus.INVALID,
        from_match=False,
        covers=covers,
        signer=None,
        problems=(problem,),
        over_ciphertext=over_ciphertext,
    )


def _who(signer: SignerOutcome) -> str:
    if signer.cert is None:
        return "an unknown signer"
    emails = cert_emails(signer.cert)
    return emails[0] if emails else CertInfo.from_asn1(signer.cert).display_name


def _pick_primary(signers: Sequence[SignerOutcome], from_values: Sequence[str]) -> SignerOutcome:
    if len(signers) == 1:
        return signers[0]
    valid = [s for s in signers if s.valid and s.cert is not None]
    for s in valid:
        if _match_from(tuple(from_values), cert_emails(s.cert)).matches:
            return s
    return valid[0] if valid else signers[0]


def evaluate_signature(der: bytes, **kwargs: Any) -> SignatureReport:
    """Like :func:`_evaluate`, but a malformed structure that slips past the parser's own checks
    (asn1crypto parses lazily) still ends as an 'error' verdict, never as an exception."""
    try:
        return _evaluate(der, **kwargs)
    except Exception as err:  # hostile input must not escape the report API
        if isinstance(err, SmimeTuiError) and not isinstance(err, CmsError):
            raise
        return _error(
            kwargs["covers"],
            "The signature could not be read: its structure is damaged.",
            kwargs.get("over_ciphertext", False),
        )


def _evaluate(
    der: bytes,
    *,
    detached: bytes | None,
    from_values: Sequence[str],
    validator: ChainValidator,
    covers: Coverage,
    signed_text: str = "",
    over_ciphertext: bool = False,
    extra_certs: Sequence[asn1_x509.Certificate] = (),
    moment: datetime | None = None,
) -> SignatureReport:
    try:
        result = verify_signed_data(der, detached, extra_certs)
        if any(s.cert is None for s in result.signers):
            # gpgsm and KMail can leave every certificate out: the signer may be a root you
            # trust.  Looked up only when needed (the system store is large); trusted only by
            # the chain check, like any other signer.
            anchors = validator.trust.anchors()
            result = verify_signed_data(der, detached, [*extra_certs, *anchors])
    except CmsError as err:
        return _error(covers, f"The signature could not be read: {err.one_line()}", over_ciphertext)
    if not result.signers:
        return _error(
            covers,
            "The signature names no signer at all, so it vouches for nothing.",
            over_ciphertext,
        )
    problems: list[str] = []
    notes: list[str] = []
    verdict = SignatureVerdict.GOOD
    primary = _pick_primary(result.signers, from_values)
    if result.content_mismatch:
        verdict = SignatureVerdict.BAD
        problems.append(
            "The signature carries its own copy of the content, which differs from the text "
            "shown; it does not vouch for what you see."
        )
    for signer in result.signers:
        if not signer.valid:
            is_error = signer.cert is None or getattr(signer, "error", False)
            if is_error:
                if verdict is SignatureVerdict.GOOD:
                    verdict = SignatureVerdict.ERROR
            else:
                verdict = SignatureVerdict.BAD
            problems.extend(signer.problems or (f"The signature of {_who(signer)} is invalid.",))
        elif signer.weak_digest:
            problems.extend(signer.problems)
    if verdict is SignatureVerdict.BAD and not result.content_mismatch:
        problems.insert(
            0, "The message was altered after it was signed: the signature does not match it."
        )
    if len(result.signers) > 1:
        notes.append(f"This message carries {len(result.signers)} signatures.")
    if over_ciphertext:
        problems.append(
            "This signature covers only the encrypted data, not the text you see, so it does "
            "not show who wrote the text."
        )
    if covers is Coverage.PARTIAL and not over_ciphertext:
        problems.append(
            "Only part of this message is signed; text outside the marked signed part could "
            "have been added by anyone."
        )
    certs = tuple(CertInfo.from_asn1(c) for c in result.certificates)
    if primary.cert is None:
        return SignatureReport(
            verdict=SignatureVerdict.ERROR if verdict is SignatureVerdict.GOOD else verdict,
            chain=ChainStatus.INVALID,
            from_match=False,
            covers=covers,
            signer=None,
            problems=tuple(
                [
                    "The signer's certificate is neither in the message nor in your contacts, "
                    "so the signature cannot be checked. Ask the sender for their certificate."
                ]
                + problems
            ),
            certificates=certs,
            signer_count=len(result.signers),
            over_ciphertext=over_ciphertext,
            digest_algorithm=primary.digest_algorithm,
            signature_algorithm=primary.signature_algorithm,
        )
    others = [c for c in result.certificates if c is not primary.cert] + list(extra_certs)
    chain = validator.validate(primary.cert, others, moment=moment)
    identity = _match_from(tuple(from_values), cert_emails(primary.cert))
    problems = list(chain.problems) + list(identity.problems) + problems
    problems += weak_key_problems(primary.cert, chain.path)
    problems += signing_time_problems(primary.signing_time, primary.cert)
    if chain.revocation is RevocationStatus.NOT_CHECKED:
        notes.append(REVOCATION_NOTE)
    good = verdict is SignatureVerdict.GOOD
    return SignatureReport(
        verdict=verdict,
        chain=chain.status,
        from_match=identity.matches,
        covers=covers,
        signer=CertInfo.from_asn1(primary.cert),
        problems=tuple(dict.fromkeys(problems)),
        chain_path=chain.path,
        digest_algorithm=primary.digest_algorithm,
        signature_algorithm=primary.signature_algorithm,
        signing_time=primary.signing_time,
        revocation=chain.revocation,
        signed_text=signed_text,
        certificates=certs,
        capabilities=primary.capabilities if good else (),
        encryption_key_preference=_preference(primary, result.certificates) if good else None,
        signer_count=len(result.signers),
        over_ciphertext=over_ciphertext,
        notes=tuple(notes),
    )


def _preference(signer: SignerOutcome, certs: Sequence[asn1_x509.Certificate]) -> str | None:
    """sha256 of the certificate the signer prefers for encryption (RFC 8551 §2.5.3)."""
    pref = signer.encryption_key_preference
    if pref is None:
        return None
    kind, value = pref
    for cert in certs:
        info = CertInfo.from_asn1(cert)
        if kind == "ski":
            ski = cert.key_identifier
            if ski is not None and ski.hex() == value.lower():
                return info.sha256
        elif kind == "issuer_serial":
            issuer, _, serial = value.rpartition("|")
            if info.serial == serial.upper() and info.issuer == issuer:
                return info.sha256
    return None
