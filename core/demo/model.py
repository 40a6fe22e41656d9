"""The demo's vocabulary: who you are in it, the certificates it makes, and what a case must say.

Shared by :mod:`home` (which builds the demo home) and :mod:`catalog` (its messages).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from smimetui.core.cms.encrypt import Recipient
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.makecerts import Issued
from smimetui.core.read.report import Coverage, EncryptionStatus, SignatureVerdict

DEMO_PASSPHRASE = "demo"
DEMO_ADDRESS = "robin@example.org"
DEMO_NAME = "Robin Demo"

UTC = dt.UTC


def on_day(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


VALID_FROM = on_day(2025, 1, 1, 0)
VALID_TO = on_day(2035, 1, 1, 0)


@dataclass(frozen=True, slots=True)
class Expect:
    """What the read path must say about a demo message (None: not checked)."""

    signature: SignatureVerdict | None = None  # None with signed=False: no signature at all
    signed: bool = False
    chain: ChainStatus | None = None
    from_match: bool | None = None
    covers: Coverage | None = None
    encryption: EncryptionStatus | None = None
    authenticated: bool | None = None
    certificates: int = 0  # certificates carried by a certs-only message


@dataclass(frozen=True, slots=True)
class DemoMessage:
    folder: str
    raw: bytes
    expect: Expect
    seen: bool = False


@dataclass
class DemoPki:
    root: Issued
    issuing: Issued
    you: Issued
    alice: Issued
    bob: Issued
    carol_expired: Issued
    dan: Issued
    dave_wrong_usage: Issued
    eve: Issued
    mallory_root: Issued
    mallory: Issued
    extra: dict[str, Issued] = field(default_factory=dict)


Builder = Callable[[DemoPki, int], DemoMessage]


def recipient(issued: Issued, label: str, *, is_self: bool = False) -> Recipient:
    return Recipient(label, issued.cert, capabilities=None, is_self=is_self)
