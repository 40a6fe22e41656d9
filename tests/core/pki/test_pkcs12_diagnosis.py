"""PKCS#12 diagnosis (issue 11.17): a wrong passphrase, contents that cannot be read, and a file
that is no PKCS#12 are three different answers.

The files are made by the openssl CLI.  The unreadable one holds, besides a good DSA ID, a DSA
certificate whose domain parameters are inherited from its issuer (the SubjectPublicKeyInfo has
none, which RFC 3279 §2.3.2 allows) and which cryptography cannot parse.  The file's MAC is keyed
by the passphrase (RFC 7292 §4), so with the right passphrase the answer must not be "wrong".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa

from smimetui.core.errors import InputError, KeyUnlockError
from smimetui.core.pki.keystore import Keystore
from smimetui.core.settings.home import Home
from tests.support.openssl import openssl, requires_openssl

PASS = "s3cret"


def _inherited_parameters(cert_pem: bytes, key: dsa.DSAPrivateKey) -> bytes:
    """The certificate again, its DSA parameters left out of the SubjectPublicKeyInfo."""
    cert = asn1_x509.Certificate.load(pem.unarmor(cert_pem)[2])
    tbs = cert["tbs_certificate"]
    spki = tbs["subject_public_key_info"]
    bare = asn1_keys.PublicKeyInfo(
        {
            "algorithm": asn1_keys.PublicKeyAlgorithm({"algorithm": "dsa"}),
            "public_key": spki["public_key"],
        }
    )
    fields = ["version", "serial_number", "signature", "issuer", "validity", "subject"]
    new_tbs = asn1_x509.TbsCertificate(
        {**{f: tbs[f] for f in fields}, "subject_public_key_info": bare}
    )
    signature = key.sign(new_tbs.dump(), hashes.SHA256())
    new = asn1_x509.Certificate(
        {
            "tbs_certificate": new_tbs,
            "signature_algorithm": cert["signature_algorithm"],
            "signature_value": signature,
        }
    )
    return pem.armor("CERTIFICATE", new.dump())


# OpenSSL 3's default (PBES2 with AES-256-CBC, HMAC-SHA-256 MAC) and the older Windows-style
# export (PKCS#12 PBE with SHA-1 and 3DES, HMAC-SHA-1 MAC).
PROTECTIONS = {
    "aes": (),
    "3des": ("-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"),
}


@pytest.fixture(scope="module", params=list(PROTECTIONS))
def dsa_p12(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("dsa")
    key = dsa.generate_private_key(2048)
    key_path = work / "dsa.key"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert = work / "dsa.pem"
    openssl(
        "req", "-x509", "-new", "-key", key_path, "-days", "30", "-out", cert,
        "-subj", "/CN=Dora DSA/emailAddress=dora@example.org",
    )  # fmt: skip
    inherited = work / "inherited.pem"
    inherited.write_bytes(_inherited_parameters(cert.read_bytes(), key))
    out = work / "dora.p12"
    openssl(
        "pkcs12", "-export", "-inkey", key_path, "-in", cert, "-certfile", inherited,
        "-passout", f"pass:{PASS}", "-out", out, *PROTECTIONS[request.param],
    )  # fmt: skip
    assert out.exists()
    return out


@requires_openssl
class TestDiagnosis:
    def test_unreadable_certificate_is_named_not_the_passphrase(
        self, home: Home, dsa_p12: Path
    ) -> None:
        with pytest.raises(InputError) as caught:
            Keystore(home).open_pkcs12(dsa_p12.read_bytes(), PASS.encode(), name="dora.p12")
        message = str(caught.value)
        assert not isinstance(caught.value, KeyUnlockError)
        assert "wrong" not in message
        assert "opens with this passphrase" in message
        assert "the DSA certificate" in message and "Dora DSA" in message

    def test_wrong_passphrase_on_the_same_file(self, home: Home, dsa_p12: Path) -> None:
        with pytest.raises(KeyUnlockError, match=r"^The passphrase for dora\.p12 is wrong\.$"):
            Keystore(home).open_pkcs12(dsa_p12.read_bytes(), b"nope", name="dora.p12")

    def test_readable_dsa_key_is_named_as_a_dsa_key(self, home: Home, tmp_path: Path) -> None:
        key = dsa.generate_private_key(2048)
        key_path = tmp_path / "k.pem"
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        cert = tmp_path / "c.pem"
        openssl("req", "-x509", "-new", "-key", key_path, "-subj", "/CN=d", "-out", cert)
        out = tmp_path / "d.p12"
        openssl(
            "pkcs12", "-export", "-inkey", key_path, "-in", cert, "-passout", f"pass:{PASS}",
            "-out", out,
        )  # fmt: skip
        with pytest.raises(InputError, match="holds a DSA key; only RSA"):
            Keystore(home).open_pkcs12(out.read_bytes(), PASS.encode(), name="d.p12")

    def test_not_a_pkcs12_file(self, home: Home, dsa_p12: Path) -> None:
        with pytest.raises(InputError, match=r"is not a PKCS#12"):
            Keystore(home).open_pkcs12(b"-----BEGIN CERTIFICATE-----\n", b"x", name="x.p12")
