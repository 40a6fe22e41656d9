"""A security report in plain words: one level, an icon, a word, a headline and the next step.

The security state is never shown by colour alone: every level has an icon and a word, and the
colour (``$sig-good`` ...) only reinforces them.  The list badge and the status bar use the same
vocabulary so that what the list promises is what the message shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from smimetui.core.backends.base import SecurityHint
from smimetui.core.smime.report import (
    ChainStatus,
    Coverage,
    EncryptionReport,
    EncryptionStatus,
    SecurityReport,
    SignatureReport,
    SignatureVerdict,
)


class Level(Enum):
    """How the state should feel; each maps to a CSS class and a theme variable."""

    GOOD = "good"
    WARN = "warn"
    BAD = "bad"
    ENCRYPTED = "encrypted"
    UNCHECKED = "unchecked"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Badge:
    """The list column: icon and one word, always both."""

    icon: str
    word: str
    level: Level

    @property
    def text(self) -> str:
        return f"{self.icon} {self.word}" if self.word else ""


BADGE_NONE = Badge("", "", Level.NONE)
BADGE_UNCHECKED = Badge("…", "signed", Level.UNCHECKED)
BADGE_ENCRYPTED = Badge("◆", "encrypted", Level.ENCRYPTED)
BADGE_GOOD = Badge("✓", "verified", Level.GOOD)
BADGE_WARN = Badge("!", "warning", Level.WARN)
BADGE_BAD = Badge("✗", "invalid", Level.BAD)
BADGE_WIDTH = 11


def badge_for_hint(hint: SecurityHint) -> Badge:
    if hint is SecurityHint.SIGNED:
        return BADGE_UNCHECKED
    if hint is SecurityHint.ENCRYPTED:
        return BADGE_ENCRYPTED
    return BADGE_NONE


@dataclass(frozen=True, slots=True)
class Verdict:
    level: Level
    icon: str
    word: str  # "Verified", "Warning", "Invalid", "Encrypted", "Not signed"
    headline: str  # one sentence
    next_step: str = ""  # what the user can do about it, or ""

    @property
    def badge(self) -> Badge:
        words = {
            Level.GOOD: BADGE_GOOD,
            Level.WARN: BADGE_WARN,
            Level.BAD: BADGE_BAD,
            Level.ENCRYPTED: BADGE_ENCRYPTED,
        }
        return words.get(self.level, BADGE_NONE)

    @property
    def status_line(self) -> str:
        return f"{self.icon} {self.word}: {self.headline}"


def _signer(sig: SignatureReport) -> tuple[str, str]:
    if sig.signer is None:
        return "an unknown signer", "the sender"
    addr = sig.signer.email[0] if sig.signer.email else sig.signer.display_name
    return addr, sig.signer.display_name


def _chain_verdict(sig: SignatureReport, addr: str, name: str) -> Verdict:
    reason = sig.problems[0] if sig.problems else ""
    if sig.chain is ChainStatus.UNTRUSTED:
        return Verdict(
            Level.WARN,
            "!",
            "Warning",
            f"Signed by {addr}, but not trusted: the certificate does not lead to a root "
            "you trust.",
            "Press s to see the chain. If you know this CA, trust its root (t, or smimetui "
            "trust add FILE) only after checking its fingerprint with its owner.",
        )
    if sig.chain is ChainStatus.EXPIRED:
        return Verdict(
            Level.WARN,
            "!",
            "Warning",
            f"Signed by {addr}, but the certificate has expired.",
            f"Ask {name} for their renewed certificate.",
        )
    if sig.chain is ChainStatus.NOT_YET_VALID:
        return Verdict(
            Level.WARN,
            "!",
            "Warning",
            f"Signed by {addr}, but the certificate is not valid yet.",
            "Check your computer's clock, or ask the sender about the certificate's dates.",
        )
    if sig.chain is ChainStatus.REVOKED:
        return Verdict(
            Level.BAD,
            "✗",
            "Invalid",
            f"Signed by {addr} with a certificate that has been revoked.",
            "Do not rely on this message; contact the sender another way.",
        )
    detail = f" {reason}" if reason else ""
    return Verdict(
        Level.WARN,
        "!",
        "Warning",
        f"Signed by {addr}, but the certificate cannot be used for this signature.{detail}",
        f"Ask {name} for a proper S/MIME certificate.",
    )


def signature_verdict(sig: SignatureReport, from_addr: str) -> Verdict:
    addr, name = _signer(sig)
    if sig.verdict is SignatureVerdict.BAD:
        return Verdict(
            Level.BAD,
            "✗",
            "Invalid",
            "Invalid signature: the message was altered after signing.",
            "Do not trust this content; ask the sender to send it again.",
        )
    if sig.verdict is SignatureVerdict.ERROR:
        why = sig.problems[0] if sig.problems else "the signature could not be read."
        return Verdict(Level.BAD, "✗", "Invalid", f"The signature could not be checked: {why}")
    if not sig.from_match:
        return Verdict(
            Level.WARN,
            "!",
            "Warning",
            f"Signed by {addr}, but the message says it is from {from_addr or 'nobody'}.",
            "Treat it as a possible forgery; check with the sender another way.",
        )
    if sig.chain is not ChainStatus.TRUSTED:
        return _chain_verdict(sig, addr, name)
    if sig.covers is Coverage.PARTIAL:
        return Verdict(
            Level.WARN,
            "!",
            "Warning",
            f"Only part of this message is signed by {addr}.",
            "Only the text inside the signed boundary comes from the signer.",
        )
    if sig.over_ciphertext:
        return Verdict(
            Level.WARN,
            "!",
            "Warning",
            f"{addr} signed the encrypted data, not the text you see.",
            "The signature does not say who wrote the message.",
        )
    if sig.problems:
        return Verdict(Level.WARN, "!", "Warning", f"Signed by {addr}, but: {sig.problems[0]}")
    return Verdict(Level.GOOD, "✓", "Verified", f"Signed by {addr} — verified.")


def encryption_verdict(enc: EncryptionReport) -> Verdict:
    if enc.status is EncryptionStatus.NO_KEY:
        return Verdict(
            Level.ENCRYPTED,
            "◆",
            "Encrypted",
            "Encrypted for someone else: none of your digital IDs can open it.",
            "Ask the sender to encrypt to your current certificate.",
        )
    if enc.status is EncryptionStatus.ERROR:
        why = enc.problems[0] if enc.problems else "the message could not be decrypted."
        return Verdict(Level.BAD, "✗", "Invalid", f"Decryption failed: {why}", "")
    if enc.authenticated:
        return Verdict(Level.ENCRYPTED, "◆", "Encrypted", "Encrypted, not signed.")
    return Verdict(
        Level.ENCRYPTED,
        "◆",
        "Encrypted",
        f"Encrypted, not signed, and not integrity-protected ({enc.algorithm}).",
        "Anyone could have written or modified this text.",
    )


def verdict_for(report: SecurityReport) -> Verdict:
    """The one-line verdict the status bar shows for ``report``."""
    if report.signature is not None:
        verdict = signature_verdict(report.signature, report.from_addr)
        if report.encryption is not None and verdict.level is Level.GOOD:
            return Verdict(
                Level.GOOD, "✓", "Verified", verdict.headline.rstrip(".") + ", and encrypted."
            )
        return verdict
    if report.encryption is not None:
        return encryption_verdict(report.encryption)
    if report.problems:
        return Verdict(Level.WARN, "!", "Warning", f"Not signed. {report.problems[0]}")
    return Verdict(Level.NONE, "·", "Not signed", "This message is not signed or encrypted.")
