"""An LDAP directory for tests: one real slapd per session (tests/support/servers/slapd.py)
holding entries with certificates from the fixture PKI; a home that trusts it as `corp`."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID

from smimetui.core.directory.servers import Directory, add_directory
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.makecerts import Issued
from smimetui.core.pki.trust import TrustStore
from smimetui.core.settings.home import Home
from tests.support.pki import FixturePKI
from tests.support.servers.slapd import PEOPLE, Person, Slapd, available


@dataclass(frozen=True)
class LdapWorld:
    """The running server and the certificates its entries hold."""

    slapd: Slapd
    pki: FixturePKI
    bob_rsa: Issued  # bob's second certificate (next to the P-256 one)
    rogue: Issued  # rogue@example.org, issued by the rogue root
    pub: Issued  # pub@example.org: an entry without certificate, to publish into
    people: dict[str, Person]

    def directory(self, **overrides: Any) -> Directory:
        base = Directory(name="corp", url=self.slapd.url, base_dn=PEOPLE, timeout=5.0)
        return replace(base, **overrides)


def _der_file(directory: Path, name: str, cert: x509.Certificate) -> Path:
    path = directory / f"{name}.der"
    path.write_bytes(cert.public_bytes(Encoding.DER))
    return path


def _bundle_file(directory: Path, name: str, certs: list[x509.Certificate]) -> Path:
    path = directory / f"{name}.p7c"
    path.write_bytes(pkcs7.serialize_certificates(certs, Encoding.DER))
    return path


def _server_tls() -> tuple[bytes, bytes, bytes]:
    """A private CA and a server certificate for 127.0.0.1 and ldap.test (not localhost)."""
    ca = pki.make_ca("LDAP Test CA")
    names = [x509.DNSName("ldap.test"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = pki.make_leaf(
        ca,
        [],
        common_name="ldap.test",
        eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
        san=False,
        extra_extensions=[(x509.SubjectAlternativeName(names), False)],
    )
    return ca.cert_pem, server.cert_pem, server.key_pem()


@pytest.fixture(scope="session")
def ldap_world(
    fixture_pki: FixturePKI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LdapWorld]:
    if not available():
        pytest.skip("slapd is not installed (tests/run.sh installs slapd and ldap-utils)")
    root = tmp_path_factory.mktemp("slapd")
    certs = root / "certs"
    certs.mkdir()
    inter = fixture_pki.intermediate.cert
    bob_rsa = pki.make_leaf(fixture_pki.intermediate, "bob@example.org", common_name="Bob")
    rogue = pki.make_leaf(fixture_pki.rogue_root, "rogue@example.org", common_name="Rogue")
    pub = pki.make_leaf(fixture_pki.intermediate, "pub@example.org", common_name="Pub")
    chain = _bundle_file(certs, "intermediate", [inter])

    def leaf(name: str, issued: Issued) -> Path:
        return _der_file(certs, name, issued.cert)

    people = {
        # the leaf as userCertificate, and leaf + intermediate as an S/MIME bundle
        "alice": Person(
            "alice",
            "alice@example.org",
            password="alice-secret",
            certificates=[leaf("alice", fixture_pki.alice)],
            smime=[_bundle_file(certs, "alice", [fixture_pki.alice.cert, inter])],
        ),
        "bob": Person(
            "bob",
            "bob@example.org",
            certificates=[leaf("bob", fixture_pki.bob), leaf("bob_rsa", bob_rsa)],
            smime=[chain],
        ),
        "carol": Person(
            "carol",
            "carol@example.org",
            certificates=[leaf("carol", fixture_pki.carol_expired)],
            smime=[chain],
        ),
        "dave": Person(
            "dave",
            "dave@example.org",
            certificates=[leaf("dave", fixture_pki.dave_wrong_eku)],
            smime=[chain],
        ),
        "rogue": Person("rogue", "rogue@example.org", certificates=[leaf("rogue", rogue)]),
        "nocert": Person("nocert", "nocert@example.org"),
        # a certificate made out to somebody else
        "mismatch": Person(
            "mismatch",
            "mismatch@example.org",
            certificates=[leaf("alice2", fixture_pki.alice)],
            smime=[chain],
        ),
        "pub": Person("pub", "pub@example.org", password="pub-secret"),
        # two entries for one address: publishing must refuse to guess
        "twin1": Person("twin1", "twin@example.org", password="twin-secret"),
        "twin2": Person("twin2", "twin@example.org"),
    }
    server = Slapd.create(root, list(people.values()), _server_tls())
    server.start()
    try:
        yield LdapWorld(server, fixture_pki, bob_rsa, rogue, pub, people)
    finally:
        server.stop()


@pytest.fixture
def trusted_home(home: Home, fixture_pki: FixturePKI) -> Home:
    """A fresh home that trusts the fixture root (and nothing of the rogue PKI)."""
    TrustStore(home).add(fixture_pki.root.cert_pem)
    return home


@pytest.fixture
def corp(trusted_home: Home, ldap_world: LdapWorld) -> Directory:
    """The test directory, configured in ``trusted_home`` (anonymous lookups)."""
    directory = ldap_world.directory()
    add_directory(trusted_home, directory)
    return directory
