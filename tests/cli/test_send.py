"""`smimetui send`: the account's IDs and options reach the message, SMTP gets it, Sent keeps it."""

from __future__ import annotations

import email
import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from smimetui.cli.main import main
from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.contacts import Contacts
from smimetui.core.pki.keycandidates import StaticKeyCandidate
from smimetui.core.pki.keystore import Keystore
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.read.report import EncryptionStatus
from smimetui.core.settings.accounts import Account, add_account, get_account
from smimetui.core.settings.home import Home
from tests.support.servers.smtp import SmtpServers

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MAIL = b"From: Alice <alice@example.org>\nTo: bob@example.org\nBcc: carol@example.org\n"
MAIL += b"Subject: quarterly numbers\n\nThe numbers are in.\n"


def _serials(wire: bytes) -> set[int]:
    der = email.message_from_bytes(wire).get_payload(decode=True)
    infos = cms.ContentInfo.load(der)["content"]["recipient_infos"]
    found = {ri.chosen["rid"].chosen["serial_number"].native for ri in infos if ri.name == "ktri"}
    for ri in infos:
        if ri.name == "kari":
            found |= {
                k["rid"].chosen["serial_number"].native
                for k in ri.chosen["recipient_encrypted_keys"]
            }
    return found


@pytest.fixture
def sending_home(home: Home, fixture_pki, tmp_path: Path, smtp: SmtpServers):  # type: ignore[no-untyped-def]
    """Alice with a signing-only and an encryption-only ID, Bob and Carol in contacts."""
    inter = fixture_pki.intermediate
    signing = pki.make_leaf(inter, "alice@example.org", usage="sign", key_kind="p256")
    sealing = pki.make_leaf(inter, "alice@example.org", usage="encrypt")
    store = Keystore(home)
    sign_id = store.add(signing.cert, signing.key, [inter.cert], b"pw")
    enc_id = store.add(sealing.cert, sealing.key, [inter.cert], b"pw")
    TrustStore(home).add(fixture_pki.root.cert_pem)
    contacts = Contacts(home)
    contacts.add_intermediate(inter.cert)
    carol = pki.make_leaf(inter, "carol@example.org", eku=(ExtendedKeyUsageOID.EMAIL_PROTECTION,))
    for cert in (fixture_pki.bob.cert, carol.cert):
        contacts.add_certificate(cert, source="file", accepted=True)
    maildir = tmp_path / "Mail"
    MaildirBackend(maildir, create=True)
    add_account(
        home,
        Account(
            name="work",
            email="alice@example.org",
            maildir=str(maildir),
            smtp_host="127.0.0.1",
            smtp_port=smtp.plain,
            smtp_security="none",
            signing_id=sign_id.id,
            encryption_id=enc_id.id,
            include_certs=False,
        ),
    )
    (tmp_path / "pw").write_text("pw\n")
    (tmp_path / "in.eml").write_bytes(MAIL)
    return {
        "maildir": maildir,
        "pw": tmp_path / "pw",
        "in": tmp_path / "in.eml",
        "signing": signing,
        "sealing": sealing,
        "carol": carol,
    }


def test_send_signed_and_encrypted(sending_home, smtp: SmtpServers, fixture_pki, capsys) -> None:  # type: ignore[no-untyped-def]
    files = sending_home
    args = ["send", str(files["in"]), "--sign", "--encrypt", "--passphrase-file", str(files["pw"])]
    assert main(args) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "Sent signed and encrypted" in out
    assert "carol@example.org got a separately encrypted copy" in out
    (mail_from, rcpts, wire), (_, bcc_rcpts, bcc_wire) = smtp.recorder.received[-2:]
    assert mail_from == "alice@example.org"
    assert rcpts == ["bob@example.org"] and bcc_rcpts == ["carol@example.org"]
    assert b"carol@example.org" not in wire.split(b"\r\n\r\n", 1)[0]  # Bcc never written
    # RFC 5652 §6.2: Bob's copy names no certificate of Carol's; Carol's copy is hers alone
    assert files["carol"].cert.serial_number not in _serials(wire)
    assert _serials(bcc_wire) == {
        files["carol"].cert.serial_number,
        files["sealing"].cert.serial_number,
    }
    backend = MaildirBackend(files["maildir"])
    sent = backend.open_folder("Sent")
    assert backend.fetch_raw("Sent", sent.uid_at(0)) == wire
    # Bob reads it: decrypts, and the signature is by the bound signing ID, no certs included
    trust = TrustStore(Home.at(files["maildir"].parent / "bobhome"), use_system=False)
    trust.add(fixture_pki.root.cert_pem)
    extra = [
        asn1_x509.Certificate.load(files["signing"].der),
        asn1_x509.Certificate.load(fixture_pki.intermediate.der),
    ]
    ctx = InspectContext(
        validator=ChainValidator(trust),
        keys=[StaticKeyCandidate(fixture_pki.bob.cert, fixture_pki.bob.key)],
        extra_certs=extra,
    )
    report = inspect_message(wire, ctx)
    assert report.encryption is not None
    assert report.encryption.status is EncryptionStatus.DECRYPTED
    assert report.signature is not None and report.signature.is_trustworthy
    assert report.signature.signer is not None
    assert report.signature.signer.sha256 == hashlib.sha256(files["signing"].der).hexdigest()
    assert len(report.signature.certificates) == 0  # include_certs = false
    assert report.subject == "quarterly numbers"


def test_failed_send_keeps_a_draft(sending_home, closed_port: int, home: Home, capsys) -> None:  # type: ignore[no-untyped-def]
    account = get_account(home, "work")
    add_account(home, replace(account, smtp_port=closed_port), replace=True)
    args = ["send", str(sending_home["in"]), "--sign", "--passphrase-file", str(sending_home["pw"])]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "draft" in err and err.count("\n") == 1
    drafts = MaildirBackend(sending_home["maildir"]).open_folder("Drafts")
    assert len(drafts) == 1


def test_missing_certificate_sends_nothing(sending_home, smtp: SmtpServers, capsys) -> None:  # type: ignore[no-untyped-def]
    raw = sending_home["in"].read_bytes().replace(b"To: bob@", b"To: nobody-known@")
    sending_home["in"].write_bytes(raw)
    before = len(smtp.recorder.received)
    args = [
        "send",
        str(sending_home["in"]),
        "--encrypt",
        "--passphrase-file",
        str(sending_home["pw"]),
    ]
    assert main(args) == 2
    assert "nobody-known@example.org" in capsys.readouterr().err
    assert len(smtp.recorder.received) == before
