"""The MIME around CMS for outgoing mail (RFC 8551 §3): application/pkcs7-mime with its
smime-type, and multipart/signed with a detached signature (RFC 1847), base64 in 76-character
lines with CRLF line ends."""

from __future__ import annotations

import base64
import secrets

from smimetui.core.cms.sign import SigningKey, SignOptions, build_signed_data, micalg

CRLF = b"\r\n"


def base64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"".join(encoded[i : i + 76] + CRLF for i in range(0, len(encoded), 76))


def pkcs7_mime(der: bytes, smime_type: str) -> bytes:
    return (
        b"Content-Type: application/pkcs7-mime; smime-type="
        + smime_type.encode()
        + b'; name="smime.p7m"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="smime.p7m"\r\n\r\n' + base64_lines(der)
    )


def multipart_signed(payload: bytes, signer: SigningKey, options: SignOptions) -> bytes:
    boundary = "----smimetui-" + secrets.token_hex(12)
    while boundary.encode() in payload:
        boundary = "----smimetui-" + secrets.token_hex(12)
    b = boundary.encode()
    signature = build_signed_data(payload, signer, detached=True, options=options)
    return (
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
        b"micalg=" + micalg(signer.key).encode() + b";\r\n"
        b' boundary="' + b + b'"\r\n\r\n'
        b"This is a cryptographically signed message in MIME format.\r\n\r\n"
        b"--" + b + CRLF + payload + CRLF + b"--" + b + CRLF + b"Content-Type: "
        b'application/pkcs7-signature; name="smime.p7s"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="smime.p7s"\r\n\r\n'
        + base64_lines(signature)
        + CRLF
        + b"--"
        + b
        + b"--"
        + CRLF
    )
