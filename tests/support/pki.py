"""The fixture PKI (every trust case) and a loopback TLS context for test servers.

The PKI is generated once per session, relative to the real clock (not-yet-valid and expired
certificates are built days away from now), so tests never depend on a fixed date.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.makecerts import Issued


@dataclass(frozen=True)
class FixturePKI:
    """Roots, intermediates and leaves for every trust case.

    ``root`` -> ``intermediate`` -> {alice (RSA), bob (P-256), carol_expired, dave_wrong_eku,
    erin_not_yet_valid, mallory_san (address other than the one it is used with)};
    ``rogue_root`` -> ``rogue_alice`` (same address as alice, untrusted root).
    """

    root: Issued
    intermediate: Issued
    alice: Issued
    bob: Issued
    carol_expired: Issued
    dave_wrong_eku: Issued
    erin_not_yet_valid: Issued
    frank_p384: Issued
    rogue_root: Issued
    rogue_alice: Issued
    self_signed: Issued

    def write(self, directory: Path) -> dict[str, Path]:
        """Write every cert (.pem) and key (.key, unencrypted PKCS#8) to ``directory``."""
        paths: dict[str, Path] = {}
        for field_name in self.__dataclass_fields__:
            issued: Issued = getattr(self, field_name)
            cert_path = directory / f"{field_name}.pem"
            key_path = directory / f"{field_name}.key"
            cert_path.write_bytes(issued.cert_pem)
            key_path.write_bytes(issued.key_pem())
            paths[field_name] = cert_path
            paths[f"{field_name}.key"] = key_path
        return paths


def make_fixture_pki() -> FixturePKI:
    now = pki.utcnow()
    root = pki.make_ca("Fixture Root CA", org="smimetui tests")
    inter = pki.make_ca("Fixture Intermediate CA", issuer=root, org="smimetui tests")
    rogue = pki.make_ca("Rogue Root CA")
    return FixturePKI(
        root=root,
        intermediate=inter,
        alice=pki.make_leaf(inter, "alice@example.org", common_name="Alice Liddell"),
        bob=pki.make_leaf(inter, "bob@example.org", common_name="Bob", key_kind="p256"),
        carol_expired=pki.make_leaf(
            inter,
            "carol@example.org",
            common_name="Carol",
            not_before=now - dt.timedelta(days=400),
            not_after=now - dt.timedelta(days=5),
        ),
        dave_wrong_eku=pki.make_leaf(
            inter,
            "dave@example.org",
            common_name="Dave",
            eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
        ),
        erin_not_yet_valid=pki.make_leaf(
            inter,
            "erin@example.org",
            common_name="Erin",
            not_before=now + dt.timedelta(days=10),
            not_after=now + dt.timedelta(days=400),
        ),
        frank_p384=pki.make_leaf(inter, "frank@example.org", common_name="Frank", key_kind="p384"),
        rogue_root=rogue,
        rogue_alice=pki.make_leaf(rogue, "alice@example.org", common_name="Alice Liddell"),
        self_signed=pki.make_leaf(None, "sam@example.net", common_name="Sam Selfsigned"),
    )


def localhost_tls(directory: Path, ca_name: str) -> ssl.SSLContext:
    """A server TLS context for localhost/127.0.0.1 from a new test CA, whose certificate is
    left in ``directory / "ca.pem"`` for the clients."""
    ca = pki.make_ca(ca_name)
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    leaf = pki.make_leaf(
        ca,
        [],
        common_name="localhost",
        usage="sign",
        eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
        extra_extensions=[(san, False)],
    )
    (directory / "ca.pem").write_bytes(ca.cert_pem)
    (directory / "server.pem").write_bytes(leaf.cert_pem)
    (directory / "server.key").write_bytes(leaf.key_pem())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "server.pem", directory / "server.key")
    return context
