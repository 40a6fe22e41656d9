"""The security state in words: one headline and one next step per report, shared by the CLI
and the TUI.

A state always has an icon and a word, never colour alone.  ``Tone`` is what the UI maps to
success / warning / error styling.  The next step follows the headline's order of checks, so the
two always talk about the same problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from smimetui.core.pki.chain import ChainStatus, RevocationStatus
from smimetui.core.read.report import (
    Coverage,
    EncryptionReport,
    EncryptionStatus,
    SecurityReport,
    SignatureReport,
    SignatureVerdict,
)

# What unlocks a message encrypted to a locked digital ID, for the CLI (the TUI says: Enter).
UNLOCK_STEP = (
    "Unlock your digital ID to read it: give its passphrase with --passphrase-file F, or run "
    "the command in a terminal to be asked."
)

_REVOCATION_WORDS = {
    RevocationStatus.NOT_CHECKED: "not checked (checking online is off)",
    RevocationStatus.GOOD: "not revoked (checked online with the issuer)",
    RevocationStatus.REVOKED: "REVOKED: the issuer has withdrawn this certificate",
    RevocationStatus.UNKNOWN: (
        "unknown: the issuer's revocation service could not be asked or gave no answer, so "
        "the certificate may have been revoked"
    ),
}


def revocation_words(status: RevocationStatus) -> str:
    """The revocation state in words (the pane and ``smimetui inspect`` say the same)."""
    return _REVOCATION_WORDS[status]


class Tone(Enum):
    GOOD = "good"
    WARNING = "warning"
    BAD = "bad"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class Headline:
    icon: str
    word: str  # one word that carries the state without the icon: "Verified", "Untrusted", ...
    sentence: str
    tone: Tone

    def __str__(self) -> str:
        return f"{self.icon} {self.word}: {self.sentence}"


_CHAIN_WORDS = {
    ChainStatus.UNTRUSTED: "the certificate comes from an authority you have not trusted",
    ChainStatus.EXPIRED: "the signer's certificate has expired",
    ChainStatus.NOT_YET_VALID: "the signer's certificate is not valid yet",
    ChainStatus.REVOKED: "the signer's certificate has been revoked",
    ChainStatus.WRONG_USAGE: "the signer's certificate is not meant for e-mail",
    ChainStatus.INVALID: "the signer's certificate chain is invalid",
}


def signer_name(sig: SignatureReport) -> str:
    if sig.signer is None:
        return "an unknown signer"
    return sig.signer.email[0] if sig.signer.email else sig.signer.display_name


def signature_headline(sig: SignatureReport) -> Headline:
    who = signer_name(sig)
    if sig.verdict is SignatureVerdict.BAD:
        return Headline(
            "✗", "Invalid", "Invalid signature: the message was altered after signing.", Tone.BAD
        )
    if sig.verdict is SignatureVerdict.ERROR:
        reason = sig.problems[0] if sig.problems else "it could not be checked."
        return Headline("✗", "Unverifiable", f"Signature could not be checked: {reason}", Tone.BAD)
    if sig.is_trustworthy:
        return Headline("✓", "Verified", f"Signed by {who} — verified.", Tone.GOOD)
    if sig.chain is not ChainStatus.TRUSTED:
        reason = _CHAIN_WORDS.get(sig.chain, "the chain is not trusted")
        return Headline(
            "⚠", "Untrusted", f"Signed by {who}, but not trusted: {reason}.", Tone.WARNING
        )
    if not sig.from_match:
        return Headline(
            "⚠", "Mismatch", f"Signed by {who}, who is not the sender shown in From.", Tone.WARNING
        )
    if sig.covers is Coverage.PARTIAL:
        return Headline(
            "⚠", "Partial", f"Only part of this message is signed (by {who}).", Tone.WARNING
        )
    reason = sig.problems[0] if sig.problems else "see the problems below."
    return Headline("⚠", "Caution", f"Signed by {who}, with a problem: {reason}", Tone.WARNING)


def encryption_headline(enc: EncryptionReport, signed: bool) -> Headline:
    if enc.status is EncryptionStatus.NO_KEY:
        return Headline(
            "🔒",
            "Locked",
            "Encrypted for someone else: none of your digital IDs can open it.",
            Tone.WARNING,
        )
    if enc.status is EncryptionStatus.LOCKED:
        return Headline(
            "🔒",
            "Locked",
            "Encrypted to you; your digital ID stays locked until you give its passphrase.",
            Tone.WARNING,
        )
    if enc.status is EncryptionStatus.ERROR:
        reason = enc.problems[0] if enc.problems else "it could not be decrypted."
        return Headline("✗", "Undecryptable", f"Decryption failed: {reason}", Tone.BAD)
    integrity = "authenticated" if enc.authenticated else "not integrity-protected"
    if signed:
        return Headline(
            "🔓", "Decrypted", f"Encrypted with {enc.algorithm} ({integrity}).", Tone.GOOD
        )
    tone = Tone.NEUTRAL if enc.authenticated else Tone.WARNING
    return Headline(
        "🔓", "Encrypted", f"Encrypted, not signed ({enc.algorithm}, {integrity}).", tone
    )


def report_headline(report: SecurityReport) -> Headline:
    """The one line that sums a message up (list badge tooltips, the CLI's first line)."""
    if report.signature is not None:
        return signature_headline(report.signature)
    if report.encryption is not None:
        return encryption_headline(report.encryption, signed=False)
    return Headline("·", "Unsigned", "Not signed, not encrypted.", Tone.NEUTRAL)


def _first_name(sig: SignatureReport) -> str:
    name = sig.signer.display_name if sig.signer is not None else ""
    return name or "the sender"


_CHAIN_STEPS = {
    ChainStatus.UNTRUSTED: (
        "If you know this certificate authority, trust its root (t in the mail reader, or "
        "smimetui trust add FILE) only after checking its fingerprint with its owner."
    ),
    ChainStatus.EXPIRED: "Ask {name} for their renewed certificate.",
    ChainStatus.NOT_YET_VALID: (
        "Check your computer's clock, or ask the sender about the certificate's dates."
    ),
    ChainStatus.REVOKED: "Do not rely on this message; contact the sender another way.",
}


def signature_next_step(sig: SignatureReport) -> str:
    """What the user can do about the state :func:`signature_headline` describes ("" if fine)."""
    if sig.verdict is SignatureVerdict.BAD:
        return "Do not trust this content; ask the sender to send it again."
    if sig.verdict is SignatureVerdict.ERROR:
        return "Ask the sender to send the message again."
    if sig.is_trustworthy:
        return ""
    if sig.chain is not ChainStatus.TRUSTED:
        step = _CHAIN_STEPS.get(sig.chain, "Ask {name} for a proper S/MIME certificate.")
        return step.format(name=_first_name(sig))
    if not sig.from_match:
        return "Treat it as a possible forgery; check with the sender another way."
    if sig.covers is Coverage.PARTIAL:
        return "Only the text inside the signed boundary comes from the signer."
    if sig.over_ciphertext:
        return "The signature does not say who wrote the message."
    return "Read the problems listed with the signature before you rely on it."


def encryption_next_step(enc: EncryptionReport, signed: bool) -> str:
    if enc.status is EncryptionStatus.NO_KEY:
        return "Ask the sender to encrypt to your current certificate."
    if enc.status is EncryptionStatus.LOCKED:
        return UNLOCK_STEP
    if enc.status is EncryptionStatus.ERROR:
        return "Ask the sender to send the message again."
    if not signed and not enc.authenticated:
        return "Anyone could have written or modified this text; ask the sender to sign it."
    return ""


def next_step(report: SecurityReport) -> str:
    """One sentence saying what to do about the state :func:`report_headline` names ("" if
    nothing needs doing)."""
    if report.signature is not None:
        return signature_next_step(report.signature)
    if report.encryption is not None:
        return encryption_next_step(report.encryption, signed=False)
    if report.problems:
        return "Treat the sender as unverified: nothing in this message is signed."
    return ""


def grouped_fingerprint(sha256: str) -> str:
    """A SHA-256 fingerprint grouped in pairs, so that people can compare it aloud."""
    return ":".join(sha256[i : i + 2] for i in range(0, len(sha256), 2)).upper()
