"""Build hostile test mail in-process from the fixture PKI (no openssl subprocess per message).

Every helper returns bytes with CRLF line ends.  ``entity`` makes a MIME entity, ``signed`` and
``opaque`` wrap one in a signature, ``enveloped`` encrypts one, ``message`` puts header lines on
top.  The CMS helpers (``with_signer_infos``, ``with_certificates``) rebuild a SignedData with
parts swapped, the way an attacker edits a captured signature.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding

from smimetui.core.cms.encrypt import Preference, Recipient, encrypt
from smimetui.core.cms.sign import SigningKey, build_signed_data
from smimetui.core.pki.makecerts import Issued


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def entity(
    text: str | bytes,
    ctype: str = "text/plain; charset=utf-8",
    headers: Sequence[str] = (),
) -> bytes:
    body = text.encode() if isinstance(text, str) else text
    head = f"Content-Type: {ctype}\r\n" + "".join(f"{h}\r\n" for h in headers)
    return head.encode() + b"\r\n" + crlf(body)


def multipart(subtype: str, parts: Sequence[bytes], boundary: str, params: str = "") -> bytes:
    out = f'Content-Type: multipart/{subtype}; boundary="{boundary}"{params}\r\n\r\n'.encode()
    for part in parts:
        out += f"--{boundary}\r\n".encode() + part + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def key_of(issued: Issued, *chain: Issued) -> SigningKey:
    return SigningKey(cert=issued.cert, key=issued.key, chain=tuple(c.cert for c in chain))


def b64(data: bytes) -> bytes:
    raw = base64.b64encode(data)
    return b"\r\n".join(raw[i : i + 76] for i in range(0, len(raw), 76))


def signature_part(der: bytes) -> bytes:
    return (
        b'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + b64(der)
    )


def multipart_signed(content: bytes, der: bytes, boundary: str = "sig-boundary") -> bytes:
    return multipart(
        "signed",
        [content, signature_part(der)],
        boundary,
        '; protocol="application/pkcs7-signature"; micalg=sha-256',
    )


def signed(content: bytes, signer: SigningKey, boundary: str = "sig-boundary") -> bytes:
    """A multipart/signed entity over ``content`` (detached signature)."""
    return multipart_signed(content, build_signed_data(content, signer), boundary)


def pkcs7_mime(der: bytes, smime_type: str) -> bytes:
    return (
        f'Content-Type: application/pkcs7-mime; smime-type={smime_type}; name="smime.p7m"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + b64(der)


def opaque(content: bytes, signer: SigningKey) -> bytes:
    return pkcs7_mime(build_signed_data(content, signer, detached=False), "signed-data")


def enveloped_der(content: bytes, recipients: Sequence[Issued], gcm: bool = True) -> bytes:
    rcpts = [Recipient(label=f"r{i}", cert=r.cert, is_self=True) for i, r in enumerate(recipients)]
    pref = Preference.GCM if gcm else Preference.CBC
    return encrypt(content, rcpts, preference=pref).der


def enveloped(content: bytes, recipients: Sequence[Issued], gcm: bool = True) -> bytes:
    smime_type = "authEnveloped-data" if gcm else "enveloped-data"
    return pkcs7_mime(enveloped_der(content, recipients, gcm), smime_type)


def message(body_entity: bytes, headers: Sequence[str] | None = None, **fields: str) -> bytes:
    """A whole message: the given header lines (or From/To/Subject) on top of an entity."""
    lines = list(headers or [])
    if headers is None:
        lines.append(f"From: {fields.get('sender', 'Alice Liddell <alice@example.org>')}")
        lines.append(f"To: {fields.get('to', 'bob@example.org')}")
        lines.append(f"Subject: {fields.get('subject', 'Test')}")
    lines.append("MIME-Version: 1.0")
    return "\r\n".join(lines).encode() + b"\r\n" + body_entity


def asn1(issued: Issued) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(issued.cert.public_bytes(Encoding.DER))


def with_signer_infos(der: bytes, infos: Sequence[cms.SignerInfo]) -> bytes:
    info = cms.ContentInfo.load(der)
    sd = info["content"]
    new_sd = cms.SignedData(
        {
            "version": sd["version"],
            "digest_algorithms": sd["digest_algorithms"],
            "encap_content_info": sd["encap_content_info"],
            "certificates": sd["certificates"],
            "signer_infos": cms.SignerInfos([cms.SignerInfo.load(i.dump()) for i in infos]),
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": new_sd}).dump()


def signer_infos(der: bytes) -> list[cms.SignerInfo]:
    return list(cms.ContentInfo.load(der)["content"]["signer_infos"])


def with_certificates(der: bytes, certs: Sequence[asn1_x509.Certificate]) -> bytes:
    info = cms.ContentInfo.load(der)
    sd = info["content"]
    new_sd = cms.SignedData(
        {
            "version": sd["version"],
            "digest_algorithms": sd["digest_algorithms"],
            "encap_content_info": sd["encap_content_info"],
            "certificates": cms.CertificateSet(
                [cms.CertificateChoices({"certificate": c}) for c in certs]
            ),
            "signer_infos": sd["signer_infos"],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": new_sd}).dump()
