"""Chain validation in words: what failed, about which certificate, and what the user can do.

pyhanko-certvalidator says *that* a path failed; these helpers say it as a sentence that names
the certificate (its address for a signer, its name for a CA) and the date that matters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from asn1crypto import x509
from pyhanko_certvalidator import errors as pv_errors

from smimetui.core.cms.certinfo import cert_emails
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.sanitize import clean_line

NOT_CHECKED_NOTE = "Revocation was not checked (fetching is off)."
TRUST_HINT = "Import that root only if you trust it (smimetui trust add FILE)."

_SIGN_USAGES = {"digital_signature", "non_repudiation"}
_ENCRYPT_USAGES = {"key_encipherment", "key_agreement"}
_EMAIL_EKUS = {"email_protection", "any_extended_key_usage"}


def cert_name(cert: x509.Certificate) -> str:
    """A certificate's common name, else its whole subject, sanitised."""
    try:
        return _name_cn(cert.subject)
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        return "(unreadable name)"


def who(cert: x509.Certificate) -> str:
    """How to name a certificate in a sentence: its address if it has one, else its name."""
    emails = cert_emails(cert)
    return emails[0] if emails else cert_name(cert)


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _whose(cert: x509.Certificate, is_signer: bool) -> str:
    if is_signer:
        return f"The signer's certificate ({who(cert)})"
    return f"The certificate of {cert_name(cert)}"


def validity_problem(cert: x509.Certificate, when: datetime, *, is_signer: bool) -> str | None:
    if when > cert.not_valid_after:
        return f"{_whose(cert, is_signer)} expired on {_day(cert.not_valid_after)}."
    if when < cert.not_valid_before:
        return (
            f"{_whose(cert, is_signer)} is not valid yet: it becomes valid on "
            f"{_day(cert.not_valid_before)}."
        )
    return None


def link_status(
    cert: x509.Certificate, when: datetime, *, is_top: bool, anchor: bool, user_added: bool
) -> tuple[str, bool]:
    """The status of one chain link in words, and whether it is fine."""
    if when > cert.not_valid_after:
        return f"expired on {_day(cert.not_valid_after)}", False
    if when < cert.not_valid_before:
        return f"not valid before {_day(cert.not_valid_before)}", False
    if anchor:
        return ("trusted root (you added it)" if user_added else "trusted root (system)"), True
    if is_top:
        if cert.self_signed != "no":
            return "root, not trusted", False
        return "issuer's certificate missing", False
    return f"valid until {_day(cert.not_valid_after)}", True


def usage_problems(cert: x509.Certificate, usage: Literal["sign", "encrypt"]) -> list[str]:
    """Key usage (any of the right bits) and, when present, an e-mail EKU (RFC 8550)."""
    problems: list[str] = []
    try:
        key_usage = cert.key_usage_value
        eku = cert.extended_key_usage_value
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        return [f"The certificate of {who(cert)} has unreadable usage extensions."]
    wanted = _SIGN_USAGES if usage == "sign" else _ENCRYPT_USAGES
    if key_usage is not None and not (set(key_usage.native) & wanted):
        verb = "signing" if usage == "sign" else "encryption"
        problems.append(f"The certificate of {who(cert)} may not be used for {verb}.")
    if eku is not None and not (set(eku.native) & _EMAIL_EKUS):
        problems.append(
            f"The certificate of {who(cert)} is not meant for e-mail (no emailProtection usage)."
        )
    return problems


def _non_ca_issuer(chain: Sequence[x509.Certificate]) -> str | None:
    for issued, issuer in zip(chain, chain[1:], strict=False):
        if not issuer.ca:
            return (
                f"The certificate chain is invalid: {who(issuer)} is not a certificate "
                f"authority, yet it issued the certificate of {who(issued)}."
            )
    return None


def _name_cn(name: x509.Name) -> str:
    try:
        native = name.native
        common = native.get("common_name") if isinstance(native, dict) else None
        if isinstance(common, list):
            common = common[0] if common else None
        return str(clean_line(str(common) if common else name.human_friendly, max_length=120))
    except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
        return "(unreadable name)"


def _untrusted(chain: Sequence[x509.Certificate]) -> str:
    top = chain[-1]
    if top.self_signed != "no":
        if len(chain) == 1:
            return (
                f"The signer's certificate ({who(top)}) is self-signed and you have not trusted "
                "it. Import it only if you trust it (smimetui trust add FILE)."
            )
        return (
            f"Signed with a certificate from {cert_name(top)}, which you have not trusted. "
            + TRUST_HINT
        )
    issuer = _name_cn(top.issuer)
    return (
        f"The certificate chain is incomplete: the certificate of the issuer ({issuer}) is "
        "neither in the message nor known here, so the signer cannot be traced to a trusted root."
    )


def describe_failure(
    exc: Exception,
    chain: Sequence[x509.Certificate],
    when: datetime,
    is_anchor: Callable[[x509.Certificate], bool],
) -> tuple[ChainStatus, list[str]]:
    """Map a pyhanko failure (and the chain as far as we could walk it) to a status and
    sentences."""
    timing = [p for i, c in enumerate(chain) if (p := validity_problem(c, when, is_signer=i == 0))]
    if isinstance(exc, pv_errors.RevokedError):
        return ChainStatus.REVOKED, [
            f"A certificate in the chain of {who(chain[0])} has been revoked by its issuer: "
            f"{clean_line(str(exc), max_length=200)}"
        ]
    non_ca = _non_ca_issuer(chain)
    if non_ca:
        return ChainStatus.INVALID, [non_ca]
    if not is_anchor(chain[-1]):
        return ChainStatus.UNTRUSTED, [_untrusted(chain), *timing]
    if timing:
        expired = any(when > c.not_valid_after for c in chain)
        return (ChainStatus.EXPIRED if expired else ChainStatus.NOT_YET_VALID), timing
    if isinstance(exc, pv_errors.DisallowedAlgorithmError):
        return ChainStatus.INVALID, [
            "The certificate chain uses an algorithm that is no longer safe: "
            f"{clean_line(str(exc), max_length=200)}"
        ]
    if isinstance(exc, pv_errors.PathError | pv_errors.ValidationError):
        return ChainStatus.INVALID, [
            f"The certificate chain is invalid: {clean_line(str(exc), max_length=200)}"
        ]
    return ChainStatus.INVALID, [
        f"The signer's certificate could not be validated ({type(exc).__name__})."
    ]
