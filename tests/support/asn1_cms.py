"""A small SignedData builder of our own, independent of core/cms/sign.py, written with asn1crypto.

It makes what ``openssl cms`` 3.0 cannot (Ed25519 signers, broken or padded signed attributes,
several signers with one key) so the tests of the reader see CMS that neither our signer nor
OpenSSL writes.
"""

from __future__ import annotations

from collections.abc import Callable

from asn1crypto import algos, cms, x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.makecerts import Issued

CONTENT = b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello Bob,\r\nsee you at noon.\r\n"


def asn1_cert(issued: Issued) -> x509.Certificate:
    return x509.Certificate.load(issued.der)


def asn1_signed_data(
    issued: Issued,
    content: bytes = CONTENT,
    *,
    digest: str = "sha256",
    attrs: bool = True,
    embed: bool = False,
    include_cert: bool = True,
    mutate_attrs: Callable[[list[cms.CMSAttribute]], list[cms.CMSAttribute]] | None = None,
    signers: int = 1,
) -> bytes:
    """SignedData signed by ``issued`` with asn1crypto + cryptography (Ed25519, broken attrs...)."""
    digest_algo = algos.DigestAlgorithm({"algorithm": digest})
    hash_cls = {"sha256": hashes.SHA256, "sha512": hashes.SHA512, "sha1": hashes.SHA1}[digest]
    cert = asn1_cert(issued)
    key = issued.key
    infos = []
    for _ in range(signers):
        signed_attrs = None
        to_sign = content
        if attrs:
            h = hashes.Hash(hash_cls())
            h.update(content)
            attr_list = [
                cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
                cms.CMSAttribute({"type": "message_digest", "values": [h.finalize()]}),
                cms.CMSAttribute(
                    {"type": "signing_time", "values": [cms.Time({"utc_time": pki.utcnow()})]}
                ),
            ]
            if mutate_attrs:
                attr_list = mutate_attrs(attr_list)
            signed_attrs = cms.CMSAttributes(attr_list)
            to_sign = signed_attrs.dump()  # a SET OF: the universal tag, as signed
        if isinstance(key, rsa.RSAPrivateKey):
            sig_algo = "rsassa_pkcs1v15"
            signature = key.sign(to_sign, padding.PKCS1v15(), hash_cls())
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            sig_algo = f"{digest}_ecdsa"
            signature = key.sign(to_sign, ec.ECDSA(hash_cls()))
        else:
            assert isinstance(key, ed25519.Ed25519PrivateKey)
            sig_algo = "ed25519"
            signature = key.sign(to_sign)
        info = {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": cert.issuer,
                        "serial_number": cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": digest_algo,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": sig_algo}),
            "signature": signature,
        }
        if signed_attrs is not None:
            info["signed_attrs"] = signed_attrs
        infos.append(cms.SignerInfo(info))
    encap: dict[str, object] = {"content_type": "data"}
    if embed:
        encap["content"] = content
    sd: dict[str, object] = {
        "version": "v1",
        "digest_algorithms": [digest_algo],
        "encap_content_info": encap,
        "signer_infos": infos,
    }
    if include_cert:
        sd["certificates"] = [cert]
    return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(sd)}).dump()
