"""Trust: the anchors (system CA bundle + roots the user added) and RFC 5280 chain validation.

pyhanko-certvalidator does the path building and validation.  Its trust manager is built once
per trust-store state and shared; each validation gets a cheap context holding the message's
certificates.  Results are cached per (signer, carried certificates, usage, minute), because a
mailbox holds many messages from few signers.  Key usage and the e-mail EKU (RFC 8550) are
checked here: pyhanko's own usage check wants *all* listed bits, S/MIME wants *any* of them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import hashlib
import os
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from asn1crypto import pem, x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as pv_errors
from pyhanko_certvalidator.authority import Authority, TrustAnchor
from pyhanko_certvalidator.registry import SimpleTrustManager, TrustManager

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.errors import CertificateError, TrustStoreError
from smimetui.core.pki.chain import ChainLink, ChainStatus, RevocationStatus
from smimetui.core.pki.chainwords import (
    NOT_CHECKED_NOTE,
    cert_name,
    describe_failure,
    link_status,
    usage_problems,
)
from smimetui.core.sanitize import clean_line
from smimetui.core.settings.home import Home, private_file

Usage = Literal["sign", "encrypt"]
T = TypeVar("T")

SYSTEM_BUNDLE_CANDIDATES: tuple[str, ...] = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/ssl/cert.pem",  # macOS, BSDs
)


def default_system_bundle() -> Path | None:
    """The first CA bundle that exists: distribution paths, certifi, then Python's default."""
    candidates: list[str] = list(SYSTEM_BUNDLE_CANDIDATES)
    try:
        import certifi  # optional: present in most environments through requests

        candidates.append(certifi.where())
    except ImportError:
        pass
    cafile = ssl.get_default_verify_paths().cafile
    if cafile:
        candidates.append(cafile)
    for candidate in candidates:
        if os.path.isfile(candidate):
            return Path(candidate)
    return None


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in PEM (one or many) or DER ``data``; CertificateError otherwise."""
    try:
        blobs = (
            [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        )
        certs = [x509.Certificate.load(der, strict=True) for der in blobs]
        for cert in certs:  # asn1crypto is lazy: parse the parts we rely on now
            cert.subject.human_friendly  # noqa: B018
            cert.public_key.dump()
            cert.not_valid_after  # noqa: B018
    except Exception as exc:  # a damaged file: asn1crypto raises many kinds
        raise CertificateError(
            "The file is not a certificate (expected PEM or DER X.509).",
            details=f"{type(exc).__name__}: {exc}",
        ) from exc
    if not certs:
        raise CertificateError("The file holds no certificate.")
    return certs


@functools.lru_cache(maxsize=8)
def _read_bundle(path: str, mtime_ns: int, size: int) -> tuple[x509.Certificate, ...]:
    """A CA bundle parsed once per file version (mtime and size are the cache key)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ()
    certs: list[x509.Certificate] = []
    for _, _, der in pem.unarmor(data, multiple=True):
        try:
            cert = x509.Certificate.load(der)
            cert.subject.hashable  # noqa: B018
            certs.append(cert)
        except Exception:  # hostile DER: asn1crypto parses lazily, and raises many kinds
            continue  # one broken entry must not cost the whole system store
    return tuple(certs)


# By object identity: the read path shares one parsed object per certificate, and dump() walks
# the whole parsed tree to look for changes on every call.  Entries hold the object, so that its
# id() is not reused while cached.
_FINGERPRINTS: dict[int, tuple[x509.Certificate, str]] = {}


def _sha256(cert: x509.Certificate) -> str:
    hit = _FINGERPRINTS.get(id(cert))
    if hit is not None and hit[0] is cert:
        return hit[1]
    value = hashlib.sha256(cert.dump()).hexdigest()
    if len(_FINGERPRINTS) >= 4096:
        _FINGERPRINTS.clear()
    _FINGERPRINTS[id(cert)] = (cert, value)
    return value


@functools.lru_cache(maxsize=8)
def _bundle_key(certs: tuple[x509.Certificate, ...]) -> frozenset[str]:
    return frozenset(_sha256(c) for c in certs)


class TrustStore:
    """System anchors plus roots the user added (``trust_dir/<sha256>.pem``)."""

    def __init__(
        self, home: Home, *, system_bundle: Path | None = None, use_system: bool = True
    ) -> None:
        self.home = home
        self.use_system = use_system
        self.system_bundle = system_bundle or (default_system_bundle() if use_system else None)
        self._lock = threading.Lock()
        self._anchors: list[x509.Certificate] | None = None
        self._anchor_key: frozenset[str] = frozenset()
        self._user_hashes: frozenset[str] = frozenset()
        self._dir_stamp: int | None = None
        self._trust_path: str | None = None

    # -- user roots -----------------------------------------------------------------------------
    def add(self, data: bytes) -> CertInfo:
        """Trust one CA or self-signed certificate (PEM or DER)."""
        certs = parse_certificates(data)
        if len(certs) != 1:
            raise TrustStoreError(
                f"The file holds {len(certs)} certificates; add the root certificates one "
                "file at a time."
            )
        cert = certs[0]
        if not (cert.ca or cert.self_signed in ("yes", "maybe")):
            raise TrustStoreError(
                f"{cert_name(cert)} is an end-entity certificate, not a certificate authority; "
                "only CA or self-signed certificates can be trusted as roots."
            )
        info = CertInfo.from_asn1(cert)
        directory = self.home.ensure(self.home.trust_dir)
        target = directory / f"{info.sha256}.pem"
        if not target.exists():
            tmp = target.with_suffix(".tmp")
            private_file(tmp).write_bytes(pem.armor("CERTIFICATE", cert.dump()))
            tmp.replace(target)
        self._invalidate()
        return info

    def remove(self, selector: str) -> CertInfo:
        """Stop trusting the one user root whose fingerprint starts with, or subject contains,
        ``selector``."""
        wanted = selector.strip().lower().replace(":", "")
        roots = self.user_roots()
        is_hex = len(wanted) >= 8 and all(ch in "0123456789abcdef" for ch in wanted)
        matches = [r for r in roots if is_hex and r.sha256.startswith(wanted)]
        if not matches:
            matches = [r for r in roots if wanted and wanted in r.subject.lower()]
        shown = clean_line(selector, max_length=80)
        if not matches:
            raise TrustStoreError(f"No root you added matches '{shown}'; see smimetui trust list.")
        if len(matches) > 1:
            names = "; ".join(f"{m.display_name} ({m.sha256[:12]})" for m in matches)
            raise TrustStoreError(
                f"'{shown}' matches {len(matches)} roots ({names}); give more of the fingerprint."
            )
        (self.home.trust_dir / f"{matches[0].sha256}.pem").unlink(missing_ok=True)
        self._invalidate()
        return matches[0]

    def user_roots(self) -> list[CertInfo]:
        return [CertInfo.from_asn1(cert) for cert in self._user_certs()]

    def _user_certs(self) -> list[x509.Certificate]:
        directory = self.home.trust_dir
        if not directory.is_dir():
            return []
        certs: list[x509.Certificate] = []
        for path in sorted(directory.glob("*.pem")):
            try:
                certs.extend(parse_certificates(path.read_bytes()))
            except (OSError, CertificateError):
                continue  # a damaged file trusts nothing
        return certs

    # -- anchors --------------------------------------------------------------------------------
    def system_anchors(self) -> tuple[x509.Certificate, ...]:
        if not self.use_system or self.system_bundle is None:
            return ()
        try:
            stat = self.system_bundle.stat()
        except OSError:
            return ()
        return _read_bundle(str(self.system_bundle), stat.st_mtime_ns, stat.st_size)

    def anchors(self) -> list[x509.Certificate]:
        """System and user anchors, parsed once (until the store changes)."""
        return self.anchor_set()[0]

    def anchor_set(self) -> tuple[list[x509.Certificate], frozenset[str]]:
        """The anchors and the set of their sha256 fingerprints (a cache key)."""
        stamp = self._stamp()
        with self._lock:
            if self._anchors is None or stamp != self._dir_stamp:
                user = self._user_certs()
                self._user_hashes = frozenset(_sha256(c) for c in user)
                system = self.system_anchors()
                self._anchors = list(system) + user
                self._anchor_key = _bundle_key(system) | self._user_hashes
                self._dir_stamp = stamp
            return self._anchors, self._anchor_key

    def _stamp(self) -> int | None:
        """Changes whenever a root is added or removed, by us or by another process.

        One os.stat() of a cached path string per call (about 1 us): cheap enough to ask on
        every validation, so a root added by another process counts at once.
        """
        path = self._trust_path
        if path is None:
            path = self._trust_path = os.fspath(self.home.trust_dir)
        try:
            return os.stat(path).st_mtime_ns
        except OSError:
            return None

    def is_user_root(self, cert: x509.Certificate) -> bool:
        self.anchors()
        return _sha256(cert) in self._user_hashes

    def _invalidate(self) -> None:
        with self._lock:
            self._anchors = None


# -- chain validation ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChainResult:
    status: ChainStatus
    path: tuple[ChainLink, ...]  # signer first, root (or the last certificate found) last
    problems: tuple[str, ...]  # sentences; any problem makes the signature non-green
    revocation: RevocationStatus
    notes: tuple[str, ...] = ()  # facts worth showing that are not problems


class _SharedTrustManager(TrustManager):
    """Delegates to one prebuilt SimpleTrustManager.

    pyhanko copies every root of a *SimpleTrustManager* into each new validation context's
    registry (and recomputes name hashes for all of them, ~10 ms for a system bundle); anchors
    are found through the trust manager anyway, so a plain TrustManager skips that copy.
    """

    def __init__(self, inner: SimpleTrustManager) -> None:
        self._inner = inner

    @property
    def full(self) -> SimpleTrustManager:
        """The manager that also registers the roots (needed to check revocation data)."""
        return self._inner

    def is_root(self, cert: x509.Certificate) -> bool:
        return bool(self._inner.is_root(cert))

    def as_trust_anchor(self, authority: Authority) -> TrustAnchor | None:
        anchor: TrustAnchor | None = self._inner.as_trust_anchor(authority)
        return anchor

    def find_potential_issuers(self, cert: x509.Certificate) -> Iterator[TrustAnchor]:
        return self._inner.find_potential_issuers(cert)


_CACHE_SIZE = 4096
_NOW_TTL = 300.0  # seconds a "now" result stays valid in the cache

# Shared by every validator in the process: building a trust manager for a system bundle costs
# ~10 ms, and a mailbox view creates validators more often than the anchors change.
_SHARED_LOCK = threading.Lock()
_MANAGERS: dict[frozenset[str], _SharedTrustManager] = {}
_RESULTS: OrderedDict[tuple[Any, ...], tuple[float, ChainResult]] = OrderedDict()


def _manager_for(anchors: Sequence[x509.Certificate], key: frozenset[str]) -> _SharedTrustManager:
    with _SHARED_LOCK:
        manager = _MANAGERS.get(key)
        if manager is None:
            if len(_MANAGERS) >= 4:
                _MANAGERS.clear()
            manager = _MANAGERS[key] = _SharedTrustManager(
                SimpleTrustManager.build(trust_roots=anchors)
            )
        return manager


class ChainValidator:
    """Validate signer certificates against a :class:`TrustStore`; thread-safe, cached.

    Results are cached per (anchors, signer sha256, carried certificates' sha256, usage, minute);
    a result for "now" is reused for five minutes.
    """

    def __init__(self, trust: TrustStore, *, fetch_revocation: bool = False) -> None:
        self.trust = trust
        self.fetch_revocation = fetch_revocation
        self._anchor_hashes: frozenset[str] = frozenset()
        self._local = threading.local()

    def validate(
        self,
        signer: x509.Certificate,
        other_certs: Sequence[x509.Certificate] = (),
        *,
        moment: datetime | None = None,
        usage: Usage = "sign",
    ) -> ChainResult:
        anchors, anchor_key = self.trust.anchor_set()
        self._anchor_hashes = anchor_key
        key = (
            anchor_key,
            self.fetch_revocation,
            _sha256(signer),
            frozenset(_sha256(c) for c in other_certs),
            usage,
            moment.replace(second=0, microsecond=0) if moment else None,
        )
        with _SHARED_LOCK:
            hit = _RESULTS.get(key)
            if hit is not None and (moment is not None or time.monotonic() - hit[0] < _NOW_TTL):
                _RESULTS.move_to_end(key)
                return hit[1]
        manager = _manager_for(anchors, anchor_key)
        try:
            result = self._validate(manager, signer, list(other_certs), moment, usage)
        except Exception as exc:  # damaged certificates must not break the report
            result = ChainResult(
                ChainStatus.INVALID,
                (),
                (f"The signer's certificate could not be validated ({type(exc).__name__}).",),
                RevocationStatus.NOT_CHECKED,
                (NOT_CHECKED_NOTE,),
            )
        with _SHARED_LOCK:
            _RESULTS[key] = (time.monotonic(), result)
            while len(_RESULTS) > _CACHE_SIZE:
                _RESULTS.popitem(last=False)
        return result

    @staticmethod
    def clear_cache() -> None:
        """Forget cached results (tests and benchmarks measure the uncached path with it)."""
        with _SHARED_LOCK:
            _RESULTS.clear()

    # -- internals ------------------------------------------------------------------------------
    def _validate(
        self,
        manager: _SharedTrustManager,
        signer: x509.Certificate,
        others: list[x509.Certificate],
        moment: datetime | None,
        usage: Usage,
    ) -> ChainResult:
        when = moment or datetime.now(UTC)
        fetching = self.fetch_revocation and moment is None
        try:
            context = ValidationContext(
                # CRLs and OCSP responses are checked against certificates in the context's
                # registry, which only the full manager fills with the roots: with the shared
                # manager a revoked certificate silently passed.  Fetching is slow anyway.
                trust_manager=manager.full if fetching else manager,
                other_certs=others,
                moment=moment,
                allow_fetching=fetching,
                revocation_mode="soft-fail",
            )
            validator = CertificateValidator(signer, validation_context=context)
            path = self._run(_validate_then_close(validator, context))
        except (pv_errors.PathBuildingError, pv_errors.PathValidationError) as exc:
            return self._failed(exc, signer, others, when, usage)
        except Exception as exc:  # a malformed certificate must not break the report
            return self._failed(exc, signer, others, when, usage)
        certs = list(path.iter_certs(include_root=True))[::-1]
        links = tuple(
            self._link(c, when, is_root=(i == len(certs) - 1)) for i, c in enumerate(certs)
        )
        problems = usage_problems(signer, usage)
        status = ChainStatus.WRONG_USAGE if problems else ChainStatus.TRUSTED
        revocation, notes = self._revocation(context, signer, fetching)
        return ChainResult(status, links, tuple(problems), revocation, notes)

    def _revocation(
        self, context: ValidationContext, signer: x509.Certificate, fetching: bool
    ) -> tuple[RevocationStatus, tuple[str, ...]]:
        if not fetching:
            return RevocationStatus.NOT_CHECKED, (NOT_CHECKED_NOTE,)
        if context.soft_fail_exceptions:
            reason = clean_line(str(context.soft_fail_exceptions[0]), max_length=200)
            return RevocationStatus.UNKNOWN, (f"Revocation could not be checked: {reason}",)
        if not (signer.crl_distribution_points or signer.ocsp_urls):
            return RevocationStatus.UNKNOWN, (
                "Revocation could not be checked: the certificate names no CRL or OCSP service.",
            )
        return RevocationStatus.GOOD, ("The certificate was not revoked (checked online).",)

    def _failed(
        self,
        exc: Exception,
        signer: x509.Certificate,
        others: list[x509.Certificate],
        when: datetime,
        usage: Usage,
    ) -> ChainResult:
        walked = self._walk(signer, others)
        status, problems = describe_failure(exc, walked, when, self._is_anchor)
        problems += usage_problems(signer, usage)
        links = tuple(
            self._link(c, when, is_root=(i == len(walked) - 1)) for i, c in enumerate(walked)
        )
        revocation = (
            RevocationStatus.REVOKED
            if isinstance(exc, pv_errors.RevokedError)
            else RevocationStatus.NOT_CHECKED
        )
        notes = (NOT_CHECKED_NOTE,) if revocation is RevocationStatus.NOT_CHECKED else ()
        return ChainResult(status, links, tuple(problems), revocation, notes)

    def _is_anchor(self, cert: x509.Certificate) -> bool:
        return _sha256(cert) in self._anchor_hashes

    def _link(self, cert: x509.Certificate, when: datetime, *, is_root: bool) -> ChainLink:
        anchor = self._is_anchor(cert)
        status, ok = link_status(
            cert,
            when,
            is_top=is_root,
            anchor=anchor,
            user_added=anchor and self.trust.is_user_root(cert),
        )
        return ChainLink(CertInfo.from_asn1(cert), status, ok)

    def _walk(
        self, signer: x509.Certificate, others: list[x509.Certificate]
    ) -> list[x509.Certificate]:
        """The chain as far as it goes by names and key identifiers (for explaining failures)."""
        pool = list(self.trust.anchors()) + others
        chain = [signer]
        seen = {_sha256(signer)}
        current = signer
        while len(chain) < 12 and current.self_signed == "no":
            issuer = _find_issuer(current, pool, seen)
            if issuer is None:
                break
            chain.append(issuer)
            seen.add(_sha256(issuer))
            current = issuer
        return chain

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a pyhanko coroutine on this thread's private event loop (or a helper thread)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            loop = getattr(self._local, "loop", None)
            if loop is None or loop.is_closed():
                loop = self._local.loop = asyncio.new_event_loop()
            return loop.run_until_complete(coro)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coro).result()


async def _validate_then_close(validator: CertificateValidator, context: ValidationContext) -> Any:
    """Validate, then close the HTTP session revocation fetching opened (aiohttp's
    "Unclosed client session" must never reach the terminal)."""
    try:
        return await validator.async_validate_path()
    finally:
        await context.aclose()  # type: ignore[no-untyped-call]


def _find_issuer(
    cert: x509.Certificate, pool: Sequence[x509.Certificate], seen: set[str]
) -> x509.Certificate | None:
    aki = cert.authority_key_identifier
    fallback = None
    for candidate in pool:
        if candidate.subject != cert.issuer or _sha256(candidate) in seen:
            continue
        if aki is None or candidate.key_identifier == aki:
            return candidate
        fallback = fallback or candidate
    return fallback
