"""The result of validating a certificate chain: its status, each link in words, revocation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from smimetui.core.cms.certinfo import CertInfo


class ChainStatus(Enum):
    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    REVOKED = "revoked"
    WRONG_USAGE = "wrong-usage"
    INVALID = "invalid"


class RevocationStatus(Enum):
    NOT_CHECKED = "not-checked"
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One certificate of the path from signer to root, with its status in words."""

    cert: CertInfo
    status: str  # e.g. "valid until 2027-05-01", "expired on 2026-11-22", "trusted root"
    ok: bool
