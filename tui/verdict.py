"""A security report for the screen: the level (styling and list badge) over core's wording.

The words (icon, word, headline, next step) come from ``smimetui.core.read.wording``, the one
source the CLI uses too; this module only decides how the state should feel on screen.  The
state is never shown by colour alone: every level has an icon and a word, and the colour
(``$sig-good`` ...) only reinforces them.  The list badge and the status bar use the same levels
so that what the list promises is what the message shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from smimetui.core.mail.base import SecurityHint
from smimetui.core.read.report import EncryptionStatus, SecurityReport
from smimetui.core.read.wording import Tone, next_step, report_headline


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
_BADGES = {
    Level.GOOD: BADGE_GOOD,
    Level.WARN: BADGE_WARN,
    Level.BAD: BADGE_BAD,
    Level.ENCRYPTED: BADGE_ENCRYPTED,
}
# The mail reader unlocks with a key, not with the CLI's --passphrase-file.
UNLOCK_STEP = "Press Enter to unlock it (you are asked for the passphrase)."
_TONE_LEVEL = {Tone.GOOD: Level.GOOD, Tone.WARNING: Level.WARN, Tone.BAD: Level.BAD}


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
    word: str  # "Verified", "Untrusted", "Invalid", "Encrypted", "Unsigned", ...
    headline: str  # one sentence
    next_step: str = ""  # what the user can do about it, or ""

    @property
    def badge(self) -> Badge:
        return _BADGES.get(self.level, BADGE_NONE)

    @property
    def status_line(self) -> str:
        return f"{self.icon} {self.word}: {self.headline}"


def _level(report: SecurityReport, tone: Tone) -> Level:
    enc = report.encryption
    if report.signature is None and enc is not None:
        # Encrypted-only mail keeps the list's "encrypted" badge; its words carry the warning.
        return Level.BAD if enc.status is EncryptionStatus.ERROR else Level.ENCRYPTED
    if report.signature is None and report.problems:
        return Level.WARN
    return _TONE_LEVEL.get(tone, Level.NONE)


def verdict_for(report: SecurityReport) -> Verdict:
    """The verdict the status bar and the security pane show for ``report``."""
    head = report_headline(report)
    level = _level(report, head.tone)
    sentence = head.sentence
    if report.signature is None and report.encryption is None and report.problems:
        sentence = f"{sentence} {report.problems[0]}"
    step = UNLOCK_STEP if is_locked(report) else next_step(report)
    return Verdict(level, head.icon, head.word, sentence, step)


def is_locked(report: SecurityReport) -> bool:
    """Encrypted to one of your IDs that stayed locked: opening it again asks again."""
    enc = report.encryption
    return enc is not None and enc.status is EncryptionStatus.LOCKED
