"""Seeded message generator shared by the IMAP tests and bench/mailbox.py.

A realistic mix: plain text, HTML alternatives, attachments, multipart/signed and
application/pkcs7-mime (enveloped) messages, with encoded-word subjects and names.  The S/MIME
parts carry random bytes of a realistic size: only the structure matters for the header cache.
"""

from __future__ import annotations

import base64
import email.utils
import random

NAMES = ["Alice Liddell", "Bob Stone", "Carol Danvers", "Dave Null", "Erin Ø. Hansen", "Frank"]
WORDS = ("invoice meeting report quarterly lunch signed secure draft update hello budget").split()  # noqa: SIM905


def _b64(rng: random.Random, size: int) -> str:
    data = base64.encodebytes(rng.randbytes(size)).decode()
    return data.replace("\n", "\r\n")


def make_message(rng: random.Random, i: int, date: float | None = None) -> bytes:
    name = rng.choice(NAMES)
    addr = name.split()[0].lower().replace("ø", "o") + "@example.org"
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7))) + f" #{i}"
    if rng.random() < 0.1:
        subject = "=?utf-8?q?R=C3=A9sum=C3=A9?= " + subject
    kind = rng.random()
    headers = (
        f"From: {email.utils.formataddr((name, addr))}\r\n"
        f"To: me@example.org\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {email.utils.formatdate(date if date is not None else 1.7e9 + i * 60)}\r\n"
        f"Message-ID: <msg{i}.{rng.randrange(1 << 30)}@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    body = "\r\n".join(" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(6)) + "\r\n"
    if kind < 0.55:
        return (headers + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    if kind < 0.7:
        return (
            headers + 'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
            "--alt\r\nContent-Type: text/plain\r\n\r\n" + body + "--alt\r\n"
            "Content-Type: text/html\r\n\r\n<p>" + body + "</p>\r\n--alt--\r\n"
        ).encode()
    if kind < 0.8:
        return (
            headers + 'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
            "--mix\r\nContent-Type: text/plain\r\n\r\n" + body + "--mix\r\n"
            'Content-Type: application/pdf; name="report.pdf"\r\n'
            'Content-Disposition: attachment; filename="report.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(rng, 600) + "--mix--\r\n"
        ).encode()
    if kind < 0.92:
        return signed_message(headers, body, _b64(rng, 1400))
    return (
        headers
        + 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'
        "\r\nContent-Disposition: attachment; filename=smime.p7m\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(rng, 1800)
    ).encode()


def signed_message(headers: str, body: str, signature_b64: str) -> bytes:
    return (
        headers + 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
        'micalg=sha-256; boundary="sig"\r\n\r\n'
        "--sig\r\nContent-Type: text/plain\r\n\r\n" + body + "--sig\r\n"
        'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
        "Content-Disposition: attachment; filename=smime.p7s\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + signature_b64 + "--sig--\r\n"
    ).encode()


def generate(count: int, seed: int = 4) -> list[bytes]:
    rng = random.Random(seed)
    return [make_message(rng, i) for i in range(count)]
