"""``smimetui id new / install-cert / export / check / remove``, checked with openssl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from smimetui.cli.main import main
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.keystore import Keystore
from smimetui.core.pki.trust import TrustStore
from tests.support.openssl import ok
from tests.support.openssl import openssl_run as openssl

PASS = "s3cret pass"


@pytest.fixture
def pf(tmp_path: Path) -> str:
    path = tmp_path / "pass"
    path.write_text(PASS + "\n")
    return str(path)


def test_self_signed_id_signs_mail_openssl_accepts(home, pf, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    args = ["id", "new", "--email", "me@example.org", "--name", "Me", "--key", "p256"]
    assert main([*args, "--self-signed", "--passphrase-file", pf]) == 0
    (ident,) = Keystore(home).list()
    assert ident.can_sign and ident.can_encrypt
    cert_pem = tmp_path / "me.pem"
    assert main(["id", "export", "--cert", str(cert_pem)]) == 0
    draft = tmp_path / "in.eml"
    draft.write_bytes(b"From: me@example.org\nTo: you@example.org\nSubject: s\n\nhello\n")
    out = tmp_path / "out.eml"
    assert main(["sign", str(draft), "-o", str(out), "--passphrase-file", pf]) == 0
    ok(openssl("cms", "-verify", "-in", out, "-CAfile", cert_pem, "-purpose", "smimesign"))
    key = (home.keystore_dir / ident.id / "key.pem").read_bytes()
    assert b"ENCRYPTED" in key  # encrypted at rest


def test_csr_then_install_cert(home, pf, tmp_path, fixture_pki, capsys) -> None:  # type: ignore[no-untyped-def]
    TrustStore(home).add(fixture_pki.root.cert_pem)
    csr_path = tmp_path / "me.csr"
    args = ["id", "new", "--email", "me@example.org", "--name", "Me", "--csr", str(csr_path)]
    assert main([*args, "--passphrase-file", pf]) == 0
    assert Keystore(home).list() == []
    csr = x509.load_pem_x509_csr(csr_path.read_bytes())
    ok(openssl("req", "-verify", "-noout", "-in", csr_path))
    # The CA issues a certificate for the requested key; the chain comes along.
    issued = pki.make_leaf(fixture_pki.intermediate, "me@example.org", key=None, key_kind="rsa2048")
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(fixture_pki.intermediate.cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(issued.cert.not_valid_before_utc)
        .not_valid_after(issued.cert.not_valid_after_utc)
    )
    for ext in issued.cert.extensions:
        if not isinstance(ext.value, (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier)):
            cert = cert.add_extension(ext.value, ext.critical)
    from cryptography.hazmat.primitives import hashes

    signed = cert.sign(fixture_pki.intermediate.key, hashes.SHA256())
    from cryptography.hazmat.primitives.serialization import Encoding

    reply = tmp_path / "reply.pem"
    reply.write_bytes(signed.public_bytes(Encoding.PEM) + fixture_pki.intermediate.cert_pem)
    capsys.readouterr()
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    assert main(["id", "install-cert", str(reply), "--passphrase-file", str(wrong)]) == 2
    assert "passphrase" in capsys.readouterr().err
    assert main(["id", "install-cert", str(reply), "--passphrase-file", pf]) == 0
    assert "trusted root Fixture Root CA" in capsys.readouterr().out
    (ident,) = Keystore(home).list()
    assert ident.load_cert() == signed and len(ident.chain) == 1
    assert main(["id", "install-cert", str(reply), "--passphrase-file", pf]) == 2  # used up


def test_export_p12_backup_opens_in_openssl(home, pf, tmp_path, fixture_pki) -> None:  # type: ignore[no-untyped-def]
    Keystore(home).add(
        fixture_pki.bob.cert, fixture_pki.bob.key, [fixture_pki.intermediate.cert], PASS.encode()
    )
    out = tmp_path / "backup.p12"
    assert (
        main(["id", "export", "--p12", str(out), "bob@example.org", "--passphrase-file", pf]) == 0
    )
    key, cert, cas = pkcs12.load_key_and_certificates(out.read_bytes(), PASS.encode())
    assert cert == fixture_pki.bob.cert and cas == [fixture_pki.intermediate.cert]
    ok(openssl("pkcs12", "-in", out, "-passin", f"pass:{PASS}", "-nodes", "-noout"))
    assert main(["id", "export", "--p12", str(out), "nobody@example.org"]) == 2


def test_check_explains_and_exits_1_on_problems(home, pf, fixture_pki, capsys) -> None:  # type: ignore[no-untyped-def]
    store = Keystore(home)
    store.add(
        fixture_pki.alice.cert,
        fixture_pki.alice.key,
        [fixture_pki.intermediate.cert],
        PASS.encode(),
    )
    TrustStore(home).add(fixture_pki.root.cert_pem)
    assert main(["id", "check", "alice@example.org"]) == 0
    assert "trusted root" in capsys.readouterr().out
    store.add(fixture_pki.carol_expired.cert, fixture_pki.carol_expired.key, [], PASS.encode())
    assert main(["id", "check", "carol@example.org", "--json"]) == 1
    (report,) = json.loads(capsys.readouterr().out)
    texts = " ".join(f["text"] for f in report["findings"] if f["severity"] == "problem")
    assert "expired on" in texts and "Fixture Intermediate CA" in texts
    assert main(["id", "check", "zoe@example.org"]) == 2


def test_remove_needs_yes_when_not_interactive(home, fixture_pki, capsys) -> None:  # type: ignore[no-untyped-def]
    Keystore(home).add(fixture_pki.bob.cert, fixture_pki.bob.key, [], PASS.encode())
    assert main(["id", "remove", "bob@example.org"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert main(["id", "remove", "bob@example.org", "--yes"]) == 0
    assert Keystore(home).list() == []


def test_new_rejects_bad_input(home, pf, capsys) -> None:  # type: ignore[no-untyped-def]
    assert (
        main(
            [
                "id",
                "new",
                "--email",
                "not-an-address",
                "--name",
                "X",
                "--self-signed",
                "--passphrase-file",
                pf,
            ]
        )
        == 2
    )
    assert "not an email address" in capsys.readouterr().err
