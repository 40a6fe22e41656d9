"""Inputs for fuzzing the public core API: seeds, DER-aware mutations, random MIME trees.

Shared by ``bench/fuzz.py`` (a long run driven by ``random``) and the hypothesis tests in
``tests/adversarial/test_fuzz.py`` (which draw the same operations as data, so they shrink).
A mutation is an :data:`Op`: ``(kind, where, value, blob)``, applied by :func:`mutate_der` or
:func:`mutate_bytes`; ``where`` in [0, 1) picks a TLV (or byte) position.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import Encoding

from smimetui.core.cms.encrypt import Preference, Recipient, encrypt
from smimetui.core.cms.sign import SigningKey, build_signed_data
from smimetui.core.errors import SmimeTuiError
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.keycandidates import StaticKeyCandidate

Op = tuple[str, float, int, bytes]
DER_OPS = ("tag", "length", "indefinite", "huge", "truncate", "drop", "dup", "noise", "flip")
BYTE_OPS = ("flip", "cut", "dup", "insert")
CONTENT_TYPES = (
    "text/plain; charset=utf-8",
    "text/html; charset=iso-8859-1",
    "text/plain; charset=bogus-charset",
    "application/octet-stream",
    "application/pkcs7-mime; smime-type=signed-data",
    "application/pkcs7-mime; smime-type=enveloped-data",
    "application/pkcs7-mime; smime-type=authEnveloped-data",
    "application/pkcs7-mime; smime-type=certs-only",
    "application/pkcs7-mime; smime-type=compressed-data",
    "application/x-pkcs7-mime",
    "application/pkcs7-signature",
    "message/rfc822",
)
MULTIPARTS = ("mixed", "alternative", "related", "signed", "encrypted", "report")


@dataclass(frozen=True, slots=True)
class Seeds:
    """Valid structures to start from, and the keys that open the encrypted ones."""

    mails: tuple[bytes, ...]
    cms: tuple[bytes, ...]  # SignedData, EnvelopedData, AuthEnvelopedData (DER ContentInfo)
    certs: tuple[bytes, ...]
    keys: tuple[StaticKeyCandidate, ...]
    content: bytes


def _b64(data: bytes) -> bytes:
    raw = base64.b64encode(data)
    return b"\r\n".join(raw[i : i + 76] for i in range(0, len(raw), 76))


def _p7m(der: bytes, smime_type: str) -> bytes:
    head = f"Content-Type: application/pkcs7-mime; smime-type={smime_type}\r\n"
    return head.encode() + b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64(der)


def _detached(content: bytes, der: bytes) -> bytes:
    return (
        b'Content-Type: multipart/signed; boundary="b1"; protocol="application/pkcs7-signature"'
        b"\r\n\r\n--b1\r\n" + content + b"\r\n--b1\r\n"
        b"Content-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64(der)
        + b"\r\n--b1--\r\n"
    )


def build_seeds() -> Seeds:
    """A small PKI (root, intermediate, RSA and P-256 leaves) and one mail of every kind."""
    root = pki.make_ca("Fuzz Root")
    inter = pki.make_ca("Fuzz Intermediate", issuer=root)
    rsa = pki.make_leaf(inter, "rsa@example.org")
    ec = pki.make_leaf(inter, "ec@example.org", key_kind="p256")
    content = b"Content-Type: text/plain; charset=utf-8\r\n\r\nfuzz me\r\n"
    signer = SigningKey(rsa.cert, rsa.key, (inter.cert,))
    detached = build_signed_data(content, signer)
    opaque = build_signed_data(content, signer, detached=False)
    rcpts = [Recipient("rsa", rsa.cert, is_self=True), Recipient("ec", ec.cert, is_self=True)]
    gcm = encrypt(content, rcpts, preference=Preference.GCM).der
    cbc = encrypt(_detached(content, detached), rcpts, preference=Preference.CBC).der
    head = b"From: rsa@example.org\r\nTo: ec@example.org\r\nSubject: fuzz\r\nMIME-Version: 1.0\r\n"
    mails = (
        head + _detached(content, detached),
        head + _p7m(opaque, "signed-data"),
        head + _p7m(gcm, "authEnveloped-data"),
        head + _p7m(cbc, "enveloped-data"),
        head + _detached(_p7m(cbc, "enveloped-data"), build_signed_data(_p7m(cbc, "x"), signer)),
    )
    certs = tuple(c.cert.public_bytes(Encoding.DER) for c in (root, inter, rsa, ec))
    keys = (StaticKeyCandidate(rsa.cert, rsa.key), StaticKeyCandidate(ec.cert, ec.key))
    return Seeds(mails, (detached, opaque, gcm, cbc), certs, keys, content)


# -- DER-aware mutation -----------------------------------------------------------------------


def tlv_spans(der: bytes, limit: int = 4096) -> list[tuple[int, int, int]]:
    """(start, header length, content length) of every TLV found by walking constructed ones."""
    spans: list[tuple[int, int, int]] = []
    stack = [(0, len(der))]
    while stack and len(spans) < limit:
        pos, end = stack.pop()
        while pos < end and len(spans) < limit:
            tag = der[pos]
            if pos + 1 >= end:
                break
            first = der[pos + 1]
            head = 2
            if first & 0x80:
                count = first & 0x7F
                if count == 0 or count > 4 or pos + 2 + count > end:
                    break
                length = int.from_bytes(der[pos + 2 : pos + 2 + count], "big")
                head += count
            else:
                length = first
            if pos + head + length > end:
                break
            spans.append((pos, head, length))
            if tag & 0x20:
                stack.append((pos + head, pos + head + length))
            pos += head + length
    return spans


def mutate_der(der: bytes, ops: list[Op]) -> bytes:
    data = bytearray(der)
    for kind, where, value, blob in ops:
        spans = tlv_spans(bytes(data))
        if not spans:
            return bytes(mutate_bytes(bytes(data), [("flip", where, value, blob)]))
        start, head, length = spans[int(where * len(spans)) % len(spans)]
        end = start + head + length
        if kind == "tag":
            data[start] = value & 0xFF
        elif kind == "length":
            data[start + 1 : start + head] = bytes([min(value & 0x7F, 0x7F)])
        elif kind == "indefinite":
            data[start + 1 : start + head] = b"\x80"
        elif kind == "huge":
            data[start + 1 : start + head] = b"\x84\x7f\xff\xff\xff"
        elif kind == "truncate":
            del data[start + head + (length * (value & 0xFF)) // 256 :]
        elif kind == "drop":
            del data[start:end]
        elif kind == "dup":
            data[end:end] = data[start:end]
        elif kind == "noise":
            data[start + head : end] = (blob * (length // max(len(blob), 1) + 1))[:length]
        else:
            data = bytearray(mutate_bytes(bytes(data), [("flip", where, value, blob)]))
    return bytes(data)


def mutate_bytes(data: bytes, ops: list[Op]) -> bytes:
    buf = bytearray(data)
    for kind, where, value, blob in ops:
        if not buf:
            buf = bytearray(blob)
            continue
        i = int(where * len(buf)) % len(buf)
        if kind == "flip":
            buf[i] ^= (value & 0xFF) or 1
        elif kind == "cut":
            del buf[i : i + 1 + (value & 0x3FF)]
        elif kind == "dup":
            buf[i:i] = buf[i : i + 1 + (value & 0x3FF)]
        else:
            buf[i:i] = blob
    return bytes(buf)


def random_ops(rng: random.Random, kinds: tuple[str, ...], most: int = 4) -> list[Op]:
    return [
        (
            rng.choice(kinds),
            rng.random(),
            rng.randrange(1 << 16),
            rng.randbytes(rng.randrange(1, 9)),
        )
        for _ in range(rng.randrange(1, most + 1))
    ]


# -- random MIME trees ------------------------------------------------------------------------


def random_entity(rng: random.Random, seeds: Seeds, depth: int = 0) -> bytes:
    """A random MIME entity: multiparts with odd boundaries, S/MIME parts, broken encodings."""
    if depth < 4 and rng.random() < 0.4:
        boundary = rng.choice(["b", "=_x", "", "a b", "--", "b" * 80])
        sub = rng.choice(MULTIPARTS)
        children = [random_entity(rng, seeds, depth + 1) for _ in range(rng.randrange(0, 4))]
        body = b"".join(f"--{boundary}\r\n".encode() + c + b"\r\n" for c in children)
        if rng.random() < 0.8:
            body += f"--{boundary}--\r\n".encode()
        head = f'Content-Type: multipart/{sub}; boundary="{boundary}"\r\n\r\n'
        return head.encode() + body
    ctype = rng.choice(CONTENT_TYPES)
    encoding = rng.choice(["", "base64", "quoted-printable", "7bit", "x-unknown"])
    if ctype.startswith("application/pkcs7") and rng.random() < 0.7:
        payload = mutate_der(rng.choice(seeds.cms), random_ops(rng, DER_OPS, 2))
    elif ctype == "message/rfc822":
        payload = rng.choice(seeds.mails)
    else:
        payload = rng.randbytes(rng.randrange(0, 200))
    if encoding == "base64":
        payload = _b64(payload)
    head = f"Content-Type: {ctype}\r\n"
    if encoding:
        head += f"Content-Transfer-Encoding: {encoding}\r\n"
    if rng.random() < 0.2:
        head += "Content-Disposition: attachment; filename*=utf-8''%1B%5Dx.p7m\r\n"
    return head.encode() + b"\r\n" + payload


def random_message(rng: random.Random, seeds: Seeds) -> bytes:
    headers = [
        "From: " + rng.choice(["a@b.c", "", "x <a@b.c>, y@z.d", "=?utf-8?b?4oCu?= <a@b.c>"]),
        "Subject: " + rng.choice(["hi", "=?bogus?q?x?=", "\x1b]0;t\x07"]),
        "MIME-Version: 1.0",
    ]
    return "\r\n".join(headers).encode() + b"\r\n" + random_entity(rng, seeds)


# -- the targets --------------------------------------------------------------------------------


def targets(seeds: Seeds) -> dict[str, Callable[[bytes], object]]:
    """The public core API, each taking one input; only SmimeTuiError may come out."""
    import tempfile

    from smimetui.core.cms.certinfo import CertInfo
    from smimetui.core.cms.envelope import decrypt_envelope, describe_envelope
    from smimetui.core.cms.signeddata import verify_signed_data
    from smimetui.core.pki.trust import ChainValidator, TrustStore
    from smimetui.core.read.inspect import InspectContext, inspect_message
    from smimetui.core.read.mimewalk import parse_message
    from smimetui.core.settings.home import Home

    store = TrustStore(Home.at(tempfile.mkdtemp(prefix="smimetui-fuzz-")), use_system=False)
    store.add(seeds.certs[0])
    ctx = InspectContext(validator=ChainValidator(store), keys=seeds.keys)
    return {
        "inspect_message": lambda raw: inspect_message(raw, ctx).to_json(),
        "parse_message": parse_message,
        "verify_signed_data": lambda der: verify_signed_data(der, seeds.content),
        "describe_envelope": describe_envelope,
        "decrypt_envelope": lambda der: decrypt_envelope(der, seeds.keys),
        "CertInfo.from_der": lambda der: CertInfo.from_der(der).to_json(),
    }


def run_one(target: Callable[[bytes], object], data: bytes) -> BaseException | None:
    """None when ``target`` returned or raised a SmimeTuiError; the exception otherwise."""
    try:
        target(data)
    except SmimeTuiError:
        return None
    except Exception as exc:  # that is what we are looking for
        return exc
    return None
