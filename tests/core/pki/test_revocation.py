"""Revocation, checked online only when the user turns it on: a real CRL served on loopback."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.chain import ChainStatus, RevocationStatus
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.settings.home import Home


@dataclass
class CrlWorld:
    root: pki.Issued
    good: pki.Issued
    revoked: pki.Issued
    unreachable: pki.Issued
    requests: list[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    crl: bytes = b""
    requests: list[str] = []

    def do_GET(self) -> None:  # http.server's naming
        self.requests.append(self.path)
        if self.path != "/root.crl":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/pkix-crl")
        self.send_header("Content-Length", str(len(self.crl)))
        self.end_headers()
        self.wfile.write(self.crl)

    def log_message(self, *args: object) -> None:
        return


def _leaf(root: pki.Issued, email: str, url: str) -> pki.Issued:
    point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)],
        relative_name=None,
        reasons=None,
        crl_issuer=None,
    )
    return pki.make_leaf(
        root, email, extra_extensions=[(x509.CRLDistributionPoints([point]), False)]
    )


@pytest.fixture(scope="module")
def world() -> Iterator[CrlWorld]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    root = pki.make_ca("CRL Test Root")
    good = _leaf(root, "good@example.org", f"{base}/root.crl")
    revoked = _leaf(root, "revoked@example.org", f"{base}/root.crl")
    unreachable = _leaf(root, "lost@example.org", f"{base}/missing.crl")
    now = pki.utcnow()
    entry = (
        x509.RevokedCertificateBuilder()
        .serial_number(revoked.cert.serial_number)
        .revocation_date(now - dt.timedelta(hours=1))
        .build()
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.cert.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=7))
        .add_revoked_certificate(entry)
        .sign(root.key, hashes.SHA256())
    )
    _Handler.crl = crl.public_bytes(serialization.Encoding.DER)
    _Handler.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield CrlWorld(root, good, revoked, unreachable, _Handler.requests)
    server.shutdown()


def _validate(tmp_path, world: CrlWorld, leaf: pki.Issued, *, fetch: bool):  # type: ignore[no-untyped-def]
    store = TrustStore(Home.at(tmp_path), use_system=False)
    store.add(world.root.cert_pem)
    validator = ChainValidator(store, fetch_revocation=fetch)
    validator.clear_cache()
    return validator.validate(asn1_x509.Certificate.load(leaf.der))


def test_revoked_certificate_is_reported(tmp_path, world: CrlWorld) -> None:
    result = _validate(tmp_path, world, world.revoked, fetch=True)
    assert result.status is ChainStatus.REVOKED
    assert result.revocation is RevocationStatus.REVOKED
    assert any("revoked" in p.lower() for p in result.problems)


def test_good_certificate_checked_online(tmp_path, world: CrlWorld) -> None:
    result = _validate(tmp_path, world, world.good, fetch=True)
    assert result.status is ChainStatus.TRUSTED
    assert result.revocation is RevocationStatus.GOOD
    assert "/root.crl" in world.requests


def test_unreachable_crl_is_unknown_not_good(tmp_path, world: CrlWorld) -> None:
    result = _validate(tmp_path, world, world.unreachable, fetch=True)
    assert result.revocation is RevocationStatus.UNKNOWN
    assert any("could not be checked" in n for n in result.notes)


def test_nothing_is_fetched_unless_asked(tmp_path, world: CrlWorld) -> None:
    before = len(world.requests)
    result = _validate(tmp_path, world, world.revoked, fetch=False)
    assert result.status is ChainStatus.TRUSTED  # not known to be revoked without looking
    assert result.revocation is RevocationStatus.NOT_CHECKED
    assert len(world.requests) == before
