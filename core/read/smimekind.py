"""What an S/MIME entity is: decided by the CMS content type it holds, not by its label.

Labels lie: .NET's SignedCms/EnvelopedCms wrappers write EnvelopedData labelled
``smime-type=signed-data``, others leave ``smime-type`` out or call a signed message
``certs-only``.  RFC 8551 §3.2.2 makes ``smime-type`` a hint for receivers that do not parse the
body; the ContentInfo's contentType (RFC 5652 §3) is what the data is.  A label that disagrees
is at most a note; only data that cannot be parsed falls back to the label (so the decryptor or
verifier can say what is wrong with it).
"""

from __future__ import annotations

import base64

from asn1crypto import cms, core, pem

from smimetui.core.read.bodytext import PKCS7_MIME, PKCS7_SIG
from smimetui.core.read.mimewalk import Entity, decode_transfer

_ENVELOPED = ("1.2.840.113549.1.7.3", "1.2.840.113549.1.9.16.1.23")  # enveloped, authEnveloped
_SIGNED = "1.2.840.113549.1.7.2"
_COMPRESSED = "1.2.840.113549.1.9.16.1.9"
_HEAD = 256  # transfer-encoded bytes enough for the ContentInfo's start
_LABELS = {
    "enveloped-data": "enveloped",
    "authenveloped-data": "enveloped",
    "signed-data": "signed",
    "certs-only": "certs-only",
    "compressed-data": "compressed",
}
_WORDS = {
    "enveloped": "encrypted data",
    "signed": "a signed message",
    "certs-only": "certificates only",
    "compressed": "compressed data",
}


def is_pkcs7_mime(entity: Entity) -> bool:
    if entity.content_type in PKCS7_MIME:
        return True
    name = (entity.filename or "").lower()
    return entity.content_type == "application/octet-stream" and name.endswith(".p7m")


def sniff(data: bytes) -> str | None:
    """'enveloped', 'signed', 'certs-only', 'compressed' from the CMS itself; None if unreadable."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            _, _, data = pem.unarmor(data.strip())
        info = cms.ContentInfo.load(data)
        ctype = info["content_type"].dotted
        if ctype in _ENVELOPED:
            return "enveloped"
        if ctype == _COMPRESSED:
            return "compressed"
        if ctype == _SIGNED:
            signed = info["content"]
            bare = (
                not len(signed["signer_infos"])
                and signed["encap_content_info"]["content"].native is None
            )
            return "certs-only" if bare else "signed"
    except Exception:  # hostile bytes: unreadable, the label decides
        return None
    return None


def _head_content_type(entity: Entity) -> str | None:
    """The ContentInfo's contentType from the first bytes only (a large encrypted message is
    not decoded twice to learn what it is); None when the start is not plain DER/BER."""
    encoding = str(entity.headers.get("content-transfer-encoding", ""))
    data = decode_transfer(entity.body[:_HEAD], encoding)
    try:
        if len(data) < 4 or data[0] != 0x30:
            return None
        first = data[1]
        pos = 2 + (first & 0x7F if first & 0x80 else 0)  # long form or indefinite (0x80)
        if data[pos] != 0x06 or data[pos + 1] & 0x80:
            return None
        end = pos + 2 + data[pos + 1]
        if end > len(data):
            return None
        return str(core.ObjectIdentifier.load(data[pos:end]).dotted)
    except (IndexError, ValueError, TypeError):
        return None


def smime_kind(entity: Entity) -> str | None:
    """'multipart-signed', 'foreign-signed', 'signed', 'enveloped', 'certs-only' or 'compressed'
    for an S/MIME entity, else None."""
    if entity.content_type == "multipart/signed":
        protocol = (entity.param("protocol") or "").lower()
        if protocol and protocol not in PKCS7_SIG:
            return "foreign-signed"  # OpenPGP (RFC 3156) or another scheme we do not check
        return "multipart-signed"
    if not is_pkcs7_mime(entity):
        return None
    head = _head_content_type(entity)
    if head in _ENVELOPED:
        return "enveloped"
    if head == _COMPRESSED:
        return "compressed"
    found = sniff(entity.decoded())  # SignedData: certs-only or signed needs the whole
    if found is not None:
        return found
    return _LABELS.get((entity.param("smime-type") or "").lower(), "signed")


def label_note(entity: Entity, kind: str | None) -> str | None:
    """A note when the smime-type label names something other than what the entity holds."""
    label = (entity.param("smime-type") or "").lower()
    labelled = _LABELS.get(label)
    if kind not in _WORDS or labelled is None or labelled == kind:
        return None
    return (
        f"The message is labelled smime-type={label} but holds {_WORDS[kind]}; smimetui went by "
        "what it holds (some mail programs write the wrong label)."
    )


_BARE_HEADER = (
    b'Content-Type: application/pkcs7-mime; name="smime.p7m"\r\n'
    b'Content-Disposition: attachment; filename="smime.p7m"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n"
)


def bare_cms_message(raw: bytes) -> bytes | None:
    """A saved ``smime.p7m`` (DER, or PEM without mail headers) as a message whose root is that
    ``application/pkcs7-mime`` entity; None when ``raw`` is not bare CMS."""
    data = raw.strip() if raw.lstrip().startswith(b"-----BEGIN") else raw
    if not (data[:1] == b"\x30" or data.startswith(b"-----BEGIN")):
        return None
    if sniff(data) is None:
        return None
    if data.startswith(b"-----BEGIN"):
        _, _, data = pem.unarmor(data)
    encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return _BARE_HEADER + encoded
