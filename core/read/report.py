"""The security report: one value object for the CLI's JSON and the TUI's security pane.

Frozen, slotted dataclasses and enums.  Every string in here is already sanitised for display.
``problems`` are sentences a user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.pki.chain import ChainLink, ChainStatus, RevocationStatus
from smimetui.core.read.authresults import AuthenticationReport
from smimetui.core.read.delivery import DeliveryReport
from smimetui.core.read.links import Link


class SignatureVerdict(Enum):
    GOOD = "good"  # mathematically valid over exactly the displayed signed content
    BAD = "bad"  # does not verify: the content was altered after signing
    ERROR = "error"  # could not be evaluated: malformed, unsupported, no signer


class Coverage(Enum):
    WHOLE = "whole"
    PARTIAL = "partial"


class EncryptionStatus(Enum):
    DECRYPTED = "decrypted"
    NO_KEY = "no-key"
    LOCKED = "locked"  # for one of your digital IDs, which stayed locked (no or a wrong passphrase)
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SignatureReport:
    verdict: SignatureVerdict
    chain: ChainStatus
    from_match: bool
    covers: Coverage
    signer: CertInfo | None
    problems: tuple[str, ...] = ()
    chain_path: tuple[ChainLink, ...] = ()
    digest_algorithm: str = ""  # e.g. "SHA-256"
    signature_algorithm: str = ""  # e.g. "RSA PKCS#1 v1.5", "ECDSA P-256"
    signing_time: datetime | None = None
    revocation: RevocationStatus = RevocationStatus.NOT_CHECKED
    signed_text: str = ""  # the displayed text this signature covers
    certificates: tuple[CertInfo, ...] = ()  # every certificate the message carried
    # RFC 8551 attributes harvested from a good signature (capability names such as
    # "aes256-gcm", "aes256-cbc", "rsaes-oaep"), for choosing algorithms when we write.
    capabilities: tuple[str, ...] = ()
    encryption_key_preference: str | None = None  # sha256 of the preferred encryption cert
    signer_count: int = 1
    over_ciphertext: bool = False  # an outer signature over encrypted content
    notes: tuple[str, ...] = ()  # facts that do not make it worse ("revocation not checked")

    @property
    def is_trustworthy(self) -> bool:
        """Good, trusted and matching From, with no problem at all: the only 'all green'."""
        return (
            self.verdict is SignatureVerdict.GOOD
            and self.chain is ChainStatus.TRUSTED
            and self.from_match
            and self.covers is Coverage.WHOLE
            and not self.problems
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.verdict.value,
            "chain": self.chain.value,
            "from_match": self.from_match,
            "covers": self.covers.value,
            "signer": self.signer.to_json() if self.signer else None,
            "problems": list(self.problems),
            "chain_path": [
                {"subject": link.cert.subject, "sha256": link.cert.sha256, "status": link.status}
                for link in self.chain_path
            ],
            "digest_algorithm": self.digest_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "revocation": self.revocation.value,
            "signed_text": self.signed_text,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class EncryptionReport:
    status: EncryptionStatus
    algorithm: str  # e.g. "AES-256-GCM", "AES-128-CBC", "3DES-CBC"
    authenticated: bool  # AEAD (GCM) protects integrity; CBC does not
    problems: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()  # for whom it was encrypted, in words
    key_management: str = ""  # e.g. "RSA-OAEP", "RSA PKCS#1 v1.5", "ECDH P-256"
    decrypted_with: CertInfo | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "algorithm": self.algorithm,
            "authenticated": self.authenticated,
            "problems": list(self.problems),
            "recipients": list(self.recipients),
            "key_management": self.key_management,
        }


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str  # sanitised, safe to show and to save
    content_type: str
    size: int
    data: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class TextSegment:
    """A run of displayed text, and whether a signature covers it (for partial signatures)."""

    text: str
    signed: bool


@dataclass(frozen=True, slots=True)
class SecurityReport:
    """What a user is shown about one message."""

    from_addr: str  # addr-spec of the (first) From mailbox, sanitised
    from_display: str  # the From header as displayed (name and address), sanitised
    subject: str
    text: str  # displayed text, after decryption, sanitised
    signature: SignatureReport | None = None
    encryption: EncryptionReport | None = None
    problems: tuple[str, ...] = ()  # message-level problems (malformed MIME, limits, ...)
    to: str = ""
    cc: str = ""
    date: str = ""
    attachments: tuple[Attachment, ...] = ()
    validated_at: datetime | None = None  # set by --at: chain validated as of this time
    headers_protected: bool = False  # RFC 9788 protected headers were shown
    was_html: bool = False  # the text was converted from HTML
    segments: tuple[TextSegment, ...] = ()  # ``text`` cut where signature coverage changes
    certificates: tuple[CertInfo, ...] = ()  # certificates carried (certs-only and signatures)
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    reply_to: str = ""
    authentication: AuthenticationReport | None = None  # your server's RFC 8601 results
    delivery: DeliveryReport | None = None  # Received hops and MIME defects
    links: tuple[Link, ...] = ()  # numbered links of HTML text

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "from": self.from_addr,
            "subject": self.subject,
            "text": self.text,
            "signature": self.signature.to_json() if self.signature else None,
            "encryption": self.encryption.to_json() if self.encryption else None,
            "problems": list(self.problems),
            "from_display": self.from_display,
            "to": self.to,
            "cc": self.cc,
            "date": self.date,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in self.attachments
            ],
            "headers_protected": self.headers_protected,
            "authentication": self.authentication.to_json() if self.authentication else None,
            "delivery": self.delivery.to_json() if self.delivery else None,
            "links": [link.to_json() for link in self.links],
        }
        if self.validated_at is not None:
            data["validated_at"] = self.validated_at.isoformat()
        return data
