"""Build CMS SignedData (RFC 5652) for outgoing S/MIME mail.

pyca/cryptography's ``PKCS7SignatureBuilder`` cannot add SMIMEEncryptionKeyPreference or choose
RSA-PSS, so the structure is assembled with asn1crypto and signed with cryptography primitives.
Signed attributes: contentType, messageDigest, signingTime, SMIMECapabilities (what we can read,
so that correspondents pick good algorithms for us) and SMIMEEncryptionKeyPreference (RFC 8551
§2.5.3: which of our certificates to encrypt to).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from smimetui.core.cms import der as der_
from smimetui.core.errors import IdentityError

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

# What we advertise, most preferred first (RFC 8551 §2.5.2): names are the ones the read path
# reports in ``SignatureReport.capabilities``.
CAPABILITY_OIDS: dict[str, str] = {
    "aes256-gcm": "2.16.840.1.101.3.4.1.46",
    "aes128-gcm": "2.16.840.1.101.3.4.1.6",
    "aes256-cbc": "2.16.840.1.101.3.4.1.42",
    "aes128-cbc": "2.16.840.1.101.3.4.1.2",
    "rsaes-oaep": "1.2.840.113549.1.1.7",
}
OUR_CAPABILITIES: tuple[str, ...] = tuple(CAPABILITY_OIDS)


def capability_name(dotted_oid: str) -> str | None:
    """The capability name for an OID in SMIMECapabilities, None for ones we do not use."""
    for name, oid in CAPABILITY_OIDS.items():
        if oid == dotted_oid:
            return name
    return None


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An unlocked signing identity: key, certificate, chain and the preferred encryption cert."""

    cert: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...] = ()
    # Our certificate that others should encrypt to (None: the signing cert if it can).
    encryption_cert: x509.Certificate | None = None


@dataclass(frozen=True, slots=True)
class SignOptions:
    include_certs: bool = True  # signer certificate and chain travel with the signature
    rsa_pss: bool = False  # RSASSA-PSS instead of PKCS#1 v1.5 for RSA keys
    capabilities: tuple[str, ...] = OUR_CAPABILITIES


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _issuer_serial(cert: asn1_x509.Certificate) -> cms.IssuerAndSerialNumber:
    return cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number})


def _digest_name(key: PrivateKey) -> str:
    """The digest that matches the key's strength.

    RFC 8419: Ed25519 with signed attributes uses SHA-512.  ECDSA follows the curve (RFC 5008,
    RFC 5753): a 256-bit hash would cap a P-384 key at 128-bit security, and gpgsm rejects it.
    """
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "sha512"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {384: "sha384", 521: "sha512"}.get(key.curve.key_size, "sha256")
    return "sha256"


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def micalg(key: PrivateKey) -> str:
    """The ``micalg`` parameter of multipart/signed for this key (RFC 8551 §3.5.3.2)."""
    return "sha-" + _digest_name(key).removeprefix("sha")


def _pss_params() -> algos.RSASSAPSSParams:
    sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
    return algos.RSASSAPSSParams(
        {
            "hash_algorithm": sha256,
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": sha256},
            "salt_length": 32,
            "trailer_field": "trailer_field_bc",
        }
    )


def _signature_algorithm(key: PrivateKey, rsa_pss: bool) -> algos.SignedDigestAlgorithm:
    if isinstance(key, rsa.RSAPrivateKey):
        if rsa_pss:
            return algos.SignedDigestAlgorithm(
                {"algorithm": "rsassa_pss", "parameters": _pss_params()}
            )
        return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"})
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return algos.SignedDigestAlgorithm({"algorithm": f"{_digest_name(key)}_ecdsa"})
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return algos.SignedDigestAlgorithm({"algorithm": "ed25519"})
    raise IdentityError(
        f"This key type ({type(key).__name__}) cannot sign S/MIME mail; "
        "use an RSA, EC (P-256/P-384/P-521) or Ed25519 key."
    )


def _sign(key: PrivateKey, data: bytes, rsa_pss: bool) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        pad: padding.AsymmetricPadding = (
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            if rsa_pss
            else padding.PKCS1v15()
        )
        return key.sign(data, pad, hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(_HASHES[_digest_name(key)]()))
    return key.sign(data)


def _capabilities_value(names: Sequence[str]) -> cms.SMIMECapabilites:
    caps = []
    for name in names:
        oid = CAPABILITY_OIDS[name]
        if name == "rsaes-oaep":
            sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
            params = algos.RSAESOAEPParams(
                {
                    "hash_algorithm": sha256,
                    "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": sha256},
                }
            )
            caps.append({"capability_id": oid, "parameters": params})
        else:
            caps.append({"capability_id": oid})
    return cms.SMIMECapabilites(caps)


@dataclass(frozen=True, slots=True)
class _Static:
    """The DER parts that are the same for every message one signer signs."""

    sid: bytes  # IssuerAndSerialNumber
    digest_alg: bytes
    sig_alg: bytes
    certificates: bytes  # [0] IMPLICIT CertificateSet, or b""
    fixed_attrs: tuple[bytes, ...]  # contentType, SMIMECapabilities, SMIMEEncryptionKeyPreference


_STATIC_CACHE: dict[tuple[object, ...], _Static] = {}
_CACHE_LIMIT = 64
_CONTENT_TYPE = der_.oid("1.2.840.113549.1.9.3")
_MESSAGE_DIGEST = der_.oid("1.2.840.113549.1.9.4")
_SIGNING_TIME = der_.oid("1.2.840.113549.1.9.5")
_ID_DATA = der_.oid("1.2.840.113549.1.7.1")
_ID_SIGNED_DATA = der_.oid("1.2.840.113549.1.7.2")
_VERSION_1 = der_.small_int(1)


def _can_encrypt(cert: x509.Certificate) -> bool:
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(ku.key_encipherment or ku.key_agreement)


def _certificate_set(signer: SigningKey, enc: x509.Certificate | None) -> bytes:
    ders = [signer.cert.public_bytes(serialization.Encoding.DER)]
    extra = list(signer.chain)
    if enc is not None and enc is not signer.cert:
        extra.insert(0, enc)
    for cert in extra:
        a = _asn1_cert(cert)
        # Roots are left out: the recipient must already trust them, sending adds nothing.
        if a.self_signed in ("yes", "maybe") and a.ca:
            continue
        der = a.dump()
        if der not in ders:
            ders.append(der)
    return der_.context(0, b"".join(sorted(ders)))  # SET OF: DER order


def _static(signer: SigningKey, opts: SignOptions) -> _Static:
    key = signer.key
    enc = signer.encryption_cert
    cache_key = (
        der_.fingerprint(signer.cert),
        tuple(der_.fingerprint(c) for c in signer.chain),
        der_.fingerprint(enc) if enc is not None else None,
        opts,
        type(key).__name__,
    )
    hit = _STATIC_CACHE.get(cache_key)
    if hit is not None:
        return hit
    if enc is None and _can_encrypt(signer.cert) and not isinstance(key, ed25519.Ed25519PrivateKey):
        enc = signer.cert
    attrs = [der_.seq(_CONTENT_TYPE, der_.set_of([_ID_DATA]))]
    if opts.capabilities:
        value = _capabilities_value(opts.capabilities)
        attrs.append(cms.CMSAttribute({"type": "smime_capabilities", "values": [value]}).dump())
    if enc is not None:
        pref = cms.SMIMEEncryptionKeyPreference(
            name="issuer_and_serial_number", value=_issuer_serial(_asn1_cert(enc))
        )
        attrs.append(cms.CMSAttribute({"type": "encrypt_key_pref", "values": [pref]}).dump())
    static = _Static(
        sid=_issuer_serial(_asn1_cert(signer.cert)).dump(),
        digest_alg=algos.DigestAlgorithm({"algorithm": _digest_name(key)}).dump(),
        sig_alg=_signature_algorithm(
            key, opts.rsa_pss and isinstance(key, rsa.RSAPrivateKey)
        ).dump(),
        certificates=_certificate_set(signer, enc) if opts.include_certs else b"",
        fixed_attrs=tuple(attrs),
    )
    if len(_STATIC_CACHE) >= _CACHE_LIMIT:
        _STATIC_CACHE.clear()
    _STATIC_CACHE[cache_key] = static
    return static


def _time_attr(signing_time: dt.datetime) -> bytes:
    when = signing_time.astimezone(dt.UTC)
    # RFC 5652 §11.3: UTCTime for 1950..2049, GeneralizedTime otherwise.
    if 1950 <= when.year < 2050:
        value = der_.tlv(0x17, when.strftime("%y%m%d%H%M%SZ").encode())
    else:
        value = der_.tlv(0x18, when.strftime("%Y%m%d%H%M%SZ").encode())
    return der_.seq(_SIGNING_TIME, der_.set_of([value]))


def build_signed_data(
    content: bytes,
    signer: SigningKey,
    *,
    detached: bool = True,
    options: SignOptions | None = None,
    signing_time: dt.datetime | None = None,
) -> bytes:
    """DER ContentInfo(SignedData) over ``content`` (already canonical: CRLF line ends).

    ``detached`` leaves the content out (for multipart/signed); otherwise it is embedded
    (opaque application/pkcs7-mime signed-data).
    """
    opts = options or SignOptions()
    static = _static(signer, opts)
    digest = hashlib.new(_digest_name(signer.key), content).digest()
    attrs = [
        *static.fixed_attrs,
        _time_attr(signing_time or dt.datetime.now(dt.UTC)),
        der_.seq(_MESSAGE_DIGEST, der_.set_of([der_.octets(digest)])),
    ]
    attr_set = der_.set_of(attrs)
    # The signature covers the DER of the attributes as a SET OF (tag 0x31), not as [0].
    signature = _sign(signer.key, attr_set, opts.rsa_pss)
    signer_info = der_.seq(
        _VERSION_1,
        static.sid,
        static.digest_alg,
        der_.context(0, der_.contents(attr_set)),
        static.sig_alg,
        der_.octets(signature),
    )
    encap = (
        der_.seq(_ID_DATA)
        if detached
        else der_.seq(_ID_DATA, der_.context(0, der_.octets(content)))
    )
    signed_data = der_.seq(
        _VERSION_1,
        der_.set_of([static.digest_alg]),
        encap,
        static.certificates,
        der_.set_of([signer_info]),
    )
    return der_.seq(_ID_SIGNED_DATA, der_.context(0, signed_data))
