"""Building blocks for the demo mailbox: MIME entities, signed and encrypted wrappers.

Everything is byte-exact and deterministic except the keys: fixed boundaries, fixed dates and
fixed signing times, so the demo looks the same every time it is generated (snapshot tests rely
on it).  Signing and encryption use the real write path (``sign.build_signed_data``,
``encrypt.encrypt``).
"""

from __future__ import annotations

import base64
import datetime as dt
import quopri
from collections.abc import Sequence
from email.header import Header
from email.utils import format_datetime

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization

from smimetui.core.cms.encrypt import Preference, Recipient, encrypt
from smimetui.core.cms.sign import SigningKey, build_signed_data, micalg
from smimetui.core.pki.makecerts import Issued

CRLF = b"\r\n"


def _lines(data: bytes) -> bytes:
    """LF or CRLF in, CRLF out."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", CRLF)


def header(name: str, value: str) -> bytes:
    """One header field; non-ASCII values are RFC 2047 encoded (control characters survive)."""
    if value.isascii() and value.isprintable():
        return f"{name}: {value}".encode("ascii") + CRLF
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}".encode("ascii") + CRLF


def text_part(text: str, subtype: str = "plain") -> bytes:
    body = quopri.encodestring(text.replace("\r\n", "\n").encode("utf-8"))
    return (
        f"Content-Type: text/{subtype}; charset=utf-8".encode()
        + CRLF
        + b"Content-Transfer-Encoding: quoted-printable"
        + CRLF * 2
        + _lines(body)
    )


def attachment_part(filename: str, content_type: str, data: bytes) -> bytes:
    name = Header(filename, "utf-8").encode() if not filename.isascii() else filename
    return (
        f'Content-Type: {content_type}; name="{name}"'.encode()
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + f'Content-Disposition: attachment; filename="{name}"'.encode()
        + CRLF * 2
        + _lines(base64.encodebytes(data))
    )


def multipart(subtype: str, parts: Sequence[bytes], boundary: str) -> bytes:
    b = boundary.encode()
    out = f'Content-Type: multipart/{subtype}; boundary="{boundary}"'.encode() + CRLF * 2
    for part in parts:
        out += b"--" + b + CRLF + part + CRLF
    return out + b"--" + b + b"--" + CRLF


def signing_key(issued: Issued, chain: Sequence[Issued] = ()) -> SigningKey:
    return SigningKey(issued.cert, issued.key, tuple(c.cert for c in chain))


def signed(entity: bytes, signer: SigningKey, when: dt.datetime, boundary: str) -> bytes:
    """multipart/signed over ``entity`` with a fixed signing time."""
    payload = _lines(entity)
    signature = build_signed_data(payload, signer, detached=True, signing_time=when)
    b = boundary.encode()
    return (
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
        b"micalg=" + micalg(signer.key).encode() + b'; boundary="' + b + b'"' + CRLF * 2
        + b"This is a cryptographically signed message in MIME format." + CRLF * 2
        + b"--" + b + CRLF + payload + CRLF
        + b"--" + b + CRLF
        + b'Content-Type: application/pkcs7-signature; name="smime.p7s"' + CRLF
        + b"Content-Transfer-Encoding: base64" + CRLF
        + b'Content-Disposition: attachment; filename="smime.p7s"' + CRLF * 2
        + _lines(base64.encodebytes(signature))
        + b"--" + b + b"--" + CRLF
    )  # fmt: skip


def pkcs7_mime(der: bytes, smime_type: str) -> bytes:
    return (
        f'Content-Type: application/pkcs7-mime; smime-type={smime_type}; name="smime.p7m"'.encode()
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + b'Content-Disposition: attachment; filename="smime.p7m"'
        + CRLF * 2
        + _lines(base64.encodebytes(der))
    )


def opaque_signed(entity: bytes, signer: SigningKey, when: dt.datetime) -> bytes:
    der = build_signed_data(_lines(entity), signer, detached=False, signing_time=when)
    return pkcs7_mime(der, "signed-data")


def encrypted(entity: bytes, recipients: Sequence[Recipient], preference: Preference) -> bytes:
    result = encrypt(_lines(entity), recipients, preference=preference)
    return pkcs7_mime(result.der, result.choice.smime_type)


def certs_only(certs: Sequence[Issued]) -> bytes:
    """application/pkcs7-mime; smime-type=certs-only: a SignedData with no signers."""
    choices = [
        cms.CertificateChoices(
            name="certificate",
            value=asn1_x509.Certificate.load(c.cert.public_bytes(serialization.Encoding.DER)),
        )
        for c in certs
    ]
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [],
            "encap_content_info": {"content_type": "data"},
            "certificates": choices,
            "signer_infos": [],
        }
    )
    der = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    return pkcs7_mime(der, "certs-only")


def message(
    *,
    sender: str,
    to: str,
    subject: str,
    date: dt.datetime,
    message_id: str,
    entity: bytes,
    in_reply_to: str = "",
    cc: str = "",
    extra: Sequence[tuple[str, str]] = (),
) -> bytes:
    head = header("From", sender) + header("To", to)
    if cc:
        head += header("Cc", cc)
    head += header("Subject", subject)
    head += header("Date", format_datetime(date))
    head += header("Message-ID", f"<{message_id}>")
    if in_reply_to:
        head += header("In-Reply-To", f"<{in_reply_to}>")
        head += header("References", f"<{in_reply_to}>")
    for name, value in extra:
        head += header(name, value)
    return head + b"MIME-Version: 1.0" + CRLF + _lines(entity)
