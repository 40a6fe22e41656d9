"""The fast SignedData verifier against the full one on mutated, RE-SIGNED signatures.

Flipping bytes of a signed message almost never gets past the signature check, so it tests
only the decline path.  Here hypothesis changes what is signed -- the signed attributes (missing,
doubled, reordered, wrong values, unknown types, capabilities, encryption key preference), the
digest, the certificates (re-issued with another serial, left out, extra ones, duplicates) and
how the signer is named -- and then signs again, so most examples are valid signatures and the
fast path's accept path is exercised.  Whenever the fast path accepts, its result must equal the
full path's; whenever the full path cannot read the input, the fast path must have declined.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smimetui.core.cms.signeddata import verify_full
from smimetui.core.cms.signeddata_fast import fast_verify
from smimetui.core.errors import CmsError
from smimetui.core.pki.makecerts import Issued
from tests.support.pki import FixturePKI

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha1": hashes.SHA1,
}
CAPABILITIES = [
    "2.16.840.1.101.3.4.1.46",  # aes256-gcm
    "2.16.840.1.101.3.4.1.6",  # aes128-gcm
    "2.16.840.1.101.3.4.1.42",  # aes256-cbc
    "2.16.840.1.101.3.4.1.2",  # aes128-cbc
    "1.2.840.113549.1.1.7",  # rsaes-oaep
    "1.2.3.4.5.6.7",  # unknown
]


def _der(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _reissued(leaf: Issued, issuer: Issued, serial: int) -> x509.Certificate:
    """The same subject and key under another serial, signed by the real issuer."""
    old = leaf.cert
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(old.issuer)
        .public_key(old.public_key())
        .serial_number(serial)
        .not_valid_before(old.not_valid_before_utc)
        .not_valid_after(old.not_valid_after_utc)
    )
    for ext in old.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    return builder.sign(issuer.key, hashes.SHA256())  # type: ignore[arg-type]


def _sign(key: Any, data: bytes, hash_name: str) -> tuple[bytes, str]:
    hash_cls = HASHES[hash_name]
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hash_cls()), "rsassa_pkcs1v15"
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key.sign(data, ec.ECDSA(hash_cls())), f"{hash_name}_ecdsa"


def _attribute(kind: str, value: Any) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": kind, "values": [value]})


@st.composite
def _attributes(draw: st.DrawFn, digest: bytes, pref_cert: asn1_x509.Certificate) -> list[Any]:
    found: list[Any] = []
    ctype = draw(st.sampled_from(["data"] * 6 + ["signed_data", None]))
    if ctype is not None:
        found.append(_attribute("content_type", ctype))
    md = draw(st.sampled_from(["right"] * 8 + ["wrong", "short", None, "twice"]))
    if md is not None:
        value = {"right": digest, "twice": digest, "wrong": bytes(len(digest)), "short": b"x"}[md]
        found.append(_attribute("message_digest", value))
        if md == "twice":
            found.append(_attribute("message_digest", digest))
    when = draw(st.sampled_from(["utc", "generalized", None, "twice"]))
    if when is not None:
        moment = dt.datetime(2030 if when == "generalized" else 2024, 5, 1, tzinfo=dt.UTC)
        choice = "generalized_time" if when == "generalized" else "utc_time"
        found.append(_attribute("signing_time", cms.Time({choice: moment})))
        if when == "twice":
            found.append(_attribute("signing_time", cms.Time({"utc_time": moment})))
    caps = draw(st.lists(st.sampled_from(CAPABILITIES), max_size=4, unique=True))
    if caps:
        value = [{"capability_id": c} for c in caps]
        capabilities = cms.SMIMECapabilites(value)  # (asn1crypto's spelling)
        found.append(_attribute("smime_capabilities", capabilities))
    pref = draw(st.sampled_from(["issuer_serial", "ski", None]))
    if pref == "issuer_serial":
        ias = {"issuer": pref_cert.issuer, "serial_number": pref_cert.serial_number}
        value = cms.SMIMEEncryptionKeyPreference({"issuer_and_serial_number": ias})
        found.append(_attribute("encrypt_key_pref", value))
    elif pref == "ski":
        value = cms.SMIMEEncryptionKeyPreference(
            {"recipientKeyId": {"subjectKeyIdentifier": b"k" * 20}}
        )
        found.append(_attribute("encrypt_key_pref", value))
    if draw(st.booleans()):  # an attribute nobody knows: carried, signed, ignored
        extra = cms.CMSAttribute(
            {
                "type": "1.3.6.1.4.1.99999.1",
                "values": [core.OctetString(draw(st.binary(max_size=8)))],
            }
        )
        found.append(extra)
    order = draw(st.permutations(range(len(found))))
    return [found[i] for i in order]


def _build(data: st.DataObject, pki: FixturePKI) -> tuple[bytes, bytes | None]:
    leaf = data.draw(st.sampled_from([pki.alice, pki.bob, pki.frank_p384]), label="signer")
    hash_name = data.draw(
        st.sampled_from(["sha256", "sha384", "sha512"] * 3 + ["sha1"]), label="digest"
    )
    content = data.draw(st.binary(min_size=0, max_size=64), label="content")
    embed = data.draw(st.booleans(), label="embedded")
    cert = leaf.cert
    if data.draw(st.booleans(), label="re-issued"):
        cert = _reissued(leaf, pki.intermediate, data.draw(st.integers(1, 2**64), label="serial"))
    named = data.draw(st.sampled_from(["same"] * 6 + ["original", "other"]), label="sid names")
    sid_cert = {"same": cert, "original": leaf.cert, "other": pki.carol_expired.cert}[named]
    h = hashes.Hash(HASHES[hash_name]())
    h.update(content)
    with_attrs = data.draw(st.sampled_from([True] * 5 + [False]), label="signed attributes")
    attrs = data.draw(_attributes(h.finalize(), _der(pki.bob.cert))) if with_attrs else None
    signed = cms.CMSAttributes(attrs).dump() if attrs is not None else content
    signature, sig_algo = _sign(leaf.key, signed, hash_name)
    sid = _der(sid_cert)
    info: dict[str, Any] = {
        "version": "v1",
        "sid": cms.SignerIdentifier(
            {"issuer_and_serial_number": {"issuer": sid.issuer, "serial_number": sid.serial_number}}
        ),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": hash_name}),
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": sig_algo}),
        "signature": signature,
    }
    if attrs is not None:
        info["signed_attrs"] = cms.CMSAttributes(attrs)
    pool = [cert, pki.intermediate.cert, pki.bob.cert, leaf.cert]
    carried = data.draw(st.lists(st.sampled_from(pool), max_size=3), label="certificates")
    if data.draw(st.sampled_from([True] * 5 + [False]), label="signer's certificate carried"):
        carried.insert(data.draw(st.integers(0, len(carried)), label="at"), cert)
    encap: dict[str, Any] = {"content_type": "data"}
    if embed:
        encap["content"] = content
    body: dict[str, Any] = {
        "version": "v1",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": hash_name})],
        "encap_content_info": encap,
        "signer_infos": [cms.SignerInfo(info)],
    }
    if carried:
        body["certificates"] = [_der(c) for c in carried]
    der = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(body)}).dump()
    return der, None if embed else content


def _compare(der: bytes, detached: bytes | None) -> bool:
    """True when the fast path accepted (then equal to the full path)."""
    fast = fast_verify(der, detached, ())
    try:
        full = verify_full(der, detached, ())
    except CmsError:
        assert fast is None, "the fast path accepted what the full path cannot read"
        return False
    if fast is None:
        return False
    assert fast == full
    assert all(s.valid and not s.problems for s in full.signers)
    return True


def test_resigned_mutations_agree_and_reach_the_accept_path(fixture_pki: FixturePKI) -> None:
    accepted: list[bool] = []

    @settings(
        max_examples=250,
        deadline=None,
        database=None,
        derandomize=True,  # the same examples every run (mostly: see the floor below)
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        accepted.append(_compare(*_build(data, fixture_pki)))

    run()
    # Not a byte-flip fuzzer: a real share of the examples are good signatures the fast path
    # takes (and the full path agrees with), the rest are declined.
    # derandomized, yet the count moved (109 and 79 of 250 seen on two machines): the floor only
    # proves that the accept path is reached often, not how often
    assert sum(accepted) >= 25, f"the fast path accepted only {sum(accepted)} of {len(accepted)}"
    assert not all(accepted)
