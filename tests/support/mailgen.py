"""Small real messages for the local backend tests (plain, signed, encrypted, attachments)."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import format_datetime


def plain(
    subject: str, *, sender: str = "Alice <alice@example.org>", when: int = 0, body: str = "hello"
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "bob@example.org"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(
        dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC) + dt.timedelta(hours=when)
    )
    msg["Message-ID"] = f"<{subject.replace(' ', '.')}@example.org>"
    msg.set_content(body)
    return bytes(msg)


def with_attachment(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "alice@example.org"
    msg["To"] = "bob@example.org"
    msg["Subject"] = subject
    msg.set_content("see attached")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="a.pdf")
    return bytes(msg)


SIGNED_SHAPE = (
    b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: signed one\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
    b'micalg=sha-256; boundary="b1"\r\n\r\n'
    b"--b1\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
    b"--b1\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n"
    b"Content-Disposition: attachment; filename=smime.p7s\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\r\n--b1--\r\n"
)

ENCRYPTED_SHAPE = (
    b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: =?utf-8?q?secret_=E2=9C=93?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
    b"Content-Disposition: attachment; filename=smime.p7m\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\r\n"
)
