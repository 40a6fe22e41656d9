"""MIME around raw CMS, written the way Thunderbird writes it (its MIME code around NSS's CMS),
and the reverse: the parts of a message by the letter of RFC 1847 / RFC 8551, not by our parser.
"""

from __future__ import annotations

import base64
import re
import secrets

CRLF = b"\r\n"


def _b64(der: bytes) -> bytes:
    text = base64.b64encode(der)
    return b"".join(text[i : i + 72] + CRLF for i in range(0, len(text), 72))


def headers(sender: str, to: str, subject: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: Mon, 02 Feb 2026 10:00:00 +0000\r\n"
        f"Message-ID: <{secrets.token_hex(8)}@example.org>\r\nMIME-Version: 1.0\r\n"
    ).encode()


def text_entity(body: str) -> bytes:
    return (
        b"Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n" + body.encode() + CRLF
    )


def multipart_signed(entity: bytes, signature: bytes, micalg: str = "sha-256") -> bytes:
    """RFC 8551 §3.5.3 detached signature, as Thunderbird lays it out."""
    boundary = b"------------ms" + secrets.token_hex(12).encode()
    return (
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg='
        + micalg.encode()
        + b'; boundary="'
        + boundary
        + b'"\r\n\r\nThis is a cryptographically signed message in MIME format.\r\n\r\n--'
        + boundary
        + CRLF
        + entity
        + CRLF
        + b"--"
        + boundary
        + CRLF
        + b'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="smime.p7s"\r\n'
        b"Content-Description: S/MIME Cryptographic Signature\r\n\r\n"
        + _b64(signature)
        + CRLF
        + b"--"
        + boundary
        + b"--"
        + CRLF
    )


def pkcs7_mime(der: bytes, smime_type: str) -> bytes:
    """RFC 8551 §3.2: application/pkcs7-mime with its smime-type."""
    description = "Encrypted Message" if smime_type == "enveloped-data" else "Signed Message"
    return (
        f'Content-Type: application/pkcs7-mime; name="smime.p7m"; smime-type={smime_type}\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="smime.p7m"\r\n'
        f"Content-Description: S/MIME {description}\r\n\r\n"
    ).encode() + _b64(der)


# -- reading (RFC 2046 §5.1.1 boundaries, RFC 1847 §2.1 signed content) -------------------------
def split_head(entity: bytes) -> tuple[bytes, bytes]:
    head, _, body = entity.replace(b"\r\n", b"\n").replace(b"\n", CRLF).partition(CRLF + CRLF)
    return head, body


def _param(head: bytes, name: bytes) -> bytes:
    unfolded = re.sub(rb"\r\n[ \t]+", b" ", head)
    match = re.search(rb";\s*" + name + rb'="?([^";\r\n]+)"?', unfolded, re.IGNORECASE)
    assert match, f"no {name!r} parameter"
    return match.group(1)


def signed_parts(entity: bytes) -> tuple[bytes, bytes]:
    """(the signed content exactly as signed, the signature DER) of a multipart/signed entity."""
    head, body = split_head(entity)
    boundary = b"--" + _param(head, b"boundary")
    body = CRLF + body
    parts = body.split(CRLF + boundary)
    content = parts[1][len(CRLF) :]  # after the boundary line's own CRLF
    _, sig_body = split_head(parts[2][len(CRLF) :])
    return content, base64.b64decode(sig_body)


def p7m_der(entity: bytes) -> bytes:
    _, body = split_head(entity)
    return base64.b64decode(body)


def content_type(entity: bytes) -> str:
    head, _ = split_head(entity)
    match = re.search(rb"^content-type:\s*([^;\s]+)", head, re.IGNORECASE | re.MULTILINE)
    return match.group(1).decode().lower() if match else "text/plain"
