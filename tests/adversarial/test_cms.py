"""CMS-level signature spoofing ("Johnny, You Are Fired!", Müller et al. 2019, CMS class).

Each test names the attack and says in a comment what a naive client does with the mail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from smimetui.core.cms.sign import build_signed_data
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.chain import ChainStatus
from smimetui.core.pki.makecerts import Issued
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.read.report import SignatureVerdict
from smimetui.core.read.wording import report_headline
from tests.support import crafted as mail
from tests.support.pki import FixturePKI

SHOWN = mail.entity("Please transfer 10,000 EUR to the new account.\n")
ORIGINAL = mail.entity("See you at lunch.\n")


def _sig(report):  # the signature must exist in every test here
    assert report.signature is not None
    return report.signature


def test_econtent_confusion(fixture_pki: FixturePKI, ctx: InspectContext) -> None:
    # Naive: a multipart/signed whose signature is an *opaque* SignedData verifies the embedded
    # eContent ("See you at lunch") and then shows the first MIME part ("transfer 10,000 EUR")
    # as signed by Alice.
    der = build_signed_data(
        ORIGINAL, mail.key_of(fixture_pki.alice, fixture_pki.intermediate), detached=False
    )
    report = inspect_message(mail.message(mail.multipart_signed(SHOWN, der)), ctx)
    sig = _sig(report)
    assert sig.verdict is not SignatureVerdict.GOOD
    assert not sig.is_trustworthy
    assert "10,000 EUR" in report.text and "lunch" not in report.text
    assert report_headline(report).word != "Verified"


def test_signer_info_copied_from_another_mail(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: the attacker signs the mail with a throw-away key and adds Alice's signerInfo (and
    # certificate) copied from an old mail; a client that shows "signed by <any signer>" or
    # the first/trusted signer shows Alice.
    alice = mail.key_of(fixture_pki.alice, fixture_pki.intermediate)
    mallory = mail.key_of(fixture_pki.rogue_alice, fixture_pki.rogue_root)
    old = build_signed_data(ORIGINAL, alice)
    own = build_signed_data(SHOWN, mallory)
    both = mail.with_signer_infos(own, mail.signer_infos(own) + mail.signer_infos(old))
    both = mail.with_certificates(
        both,
        [mail.asn1(fixture_pki.rogue_alice), mail.asn1(fixture_pki.alice)]
        + [mail.asn1(fixture_pki.intermediate)],
    )
    report = inspect_message(mail.message(mail.multipart_signed(SHOWN, both)), ctx)
    sig = _sig(report)
    assert sig.verdict is SignatureVerdict.BAD
    assert not sig.is_trustworthy
    assert report_headline(report).word == "Invalid"


def test_signer_info_only_copied(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: Alice's signerInfo from another mail alone, put on new content: a client that
    # checks the signature over signedAttrs but not the messageDigest against the content
    # shows "verified".
    old = build_signed_data(ORIGINAL, mail.key_of(fixture_pki.alice, fixture_pki.intermediate))
    report = inspect_message(mail.message(mail.multipart_signed(SHOWN, old)), ctx)
    assert _sig(report).verdict is SignatureVerdict.BAD


def test_zero_signer_infos(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: "no signer failed" is taken as success; a SignedData with certificates but no
    # signerInfo shows the certificate's owner as the signer.
    der = build_signed_data(SHOWN, mail.key_of(fixture_pki.alice, fixture_pki.intermediate))
    empty = mail.with_signer_infos(der, [])
    report = inspect_message(mail.message(mail.multipart_signed(SHOWN, empty)), ctx)
    sig = _sig(report)
    assert sig.verdict is SignatureVerdict.ERROR
    assert sig.signer is None
    assert "no signer" in " ".join(sig.problems)


def test_leaf_acting_as_ca(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: the chain is built by names and signatures only, so a certificate issued by
    # Alice's end-entity key (basicConstraints CA:FALSE) chains up to the trusted root.
    mallory = pki.make_leaf(fixture_pki.alice, "mallory@example.org", common_name="Mallory")
    key = mail.key_of(mallory, fixture_pki.alice, fixture_pki.intermediate)
    raw = mail.message(mail.signed(SHOWN, key), sender="mallory@example.org")
    sig = _sig(inspect_message(raw, ctx))
    assert sig.verdict is SignatureVerdict.GOOD  # the math is fine ...
    assert sig.chain is not ChainStatus.TRUSTED  # ... the chain is not
    assert not sig.is_trustworthy
    assert sig.problems


def test_unrelated_extra_certificates_do_not_change_signer(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: the signer shown is the first certificate in the SignedData (or the first one whose
    # address matches From), not the one the signerInfo names.
    key = mail.key_of(fixture_pki.bob, fixture_pki.intermediate)
    der = build_signed_data(SHOWN, key)
    der = mail.with_certificates(
        der,
        [
            mail.asn1(fixture_pki.alice),
            mail.asn1(fixture_pki.rogue_alice),
            mail.asn1(fixture_pki.self_signed),
            mail.asn1(fixture_pki.intermediate),
            mail.asn1(fixture_pki.bob),
        ],
    )
    report = inspect_message(mail.message(mail.multipart_signed(SHOWN, der)), ctx)
    sig = _sig(report)
    assert sig.signer is not None
    assert sig.signer.email == ("bob@example.org",)
    assert sig.signer.sha256 == mail.asn1(fixture_pki.bob).sha256.hex()
    assert not sig.from_match  # From says Alice
    assert not sig.is_trustworthy


def test_extra_genuine_certificate_does_not_rescue_rogue_signer(fixture_pki: FixturePKI, ctx):
    # Naive: rogue Alice (untrusted root) signs and adds the genuine Alice certificate and
    # chain; a client that validates "a certificate for alice@example.org from the message"
    # instead of the signer's own certificate shows it as trusted.
    key = mail.key_of(fixture_pki.rogue_alice)
    der = build_signed_data(SHOWN, key)
    der = mail.with_certificates(
        der,
        [
            mail.asn1(fixture_pki.alice),
            mail.asn1(fixture_pki.intermediate),
            mail.asn1(fixture_pki.root),
            mail.asn1(fixture_pki.rogue_alice),
        ],
    )
    sig = _sig(inspect_message(mail.message(mail.multipart_signed(SHOWN, der)), ctx))
    assert sig.signer is not None
    assert sig.signer.sha256 == mail.asn1(fixture_pki.rogue_alice).sha256.hex()
    assert sig.chain is ChainStatus.UNTRUSTED
    assert not sig.is_trustworthy


def test_signer_certificate_substitution_same_issuer_and_serial(fixture_pki: FixturePKI, ctx):
    # Naive: the signer is looked up by issuerAndSerialNumber; the attacker forges a certificate
    # with the intermediate's *name* and Alice's serial but their own key, so the signature
    # verifies against the forgery while the chain is validated for the genuine Alice.
    fake_issuer_key = pki.new_key()
    fake_inter_cert = (
        x509.CertificateBuilder()
        .subject_name(fixture_pki.intermediate.cert.subject)
        .issuer_name(fixture_pki.intermediate.cert.subject)
        .public_key(fake_issuer_key.public_key())
        .serial_number(1)
        .not_valid_before(pki.utcnow() - dt.timedelta(days=1))
        .not_valid_after(pki.utcnow() + dt.timedelta(days=30))
        .sign(fake_issuer_key, pki._hash_for(fake_issuer_key))
    )
    fake_inter = Issued(fake_inter_cert, fake_issuer_key)
    forged = pki.make_leaf(
        fake_inter,
        "alice@example.org",
        common_name="Alice Liddell",
        serial=fixture_pki.alice.cert.serial_number,
    )
    der = build_signed_data(SHOWN, mail.key_of(forged))
    der = mail.with_certificates(
        der,
        [
            mail.asn1(forged),
            mail.asn1(fixture_pki.alice),
            mail.asn1(fixture_pki.intermediate),
        ],
    )
    sig = _sig(inspect_message(mail.message(mail.multipart_signed(SHOWN, der)), ctx))
    # Whichever certificate is tried, never "valid signature" together with "trusted chain".
    assert not (sig.verdict is SignatureVerdict.GOOD and sig.chain is ChainStatus.TRUSTED)
    assert not sig.is_trustworthy


@pytest.mark.parametrize("cut", [0, 1, 2, 10, 50, 200, 600, -400, -100, -20, -1])
def test_truncated_signed_data(fixture_pki: FixturePKI, ctx, cut: int) -> None:
    # Naive: the parser raises (crash) or hangs on a cut signature, and the message is lost.
    der = build_signed_data(SHOWN, mail.key_of(fixture_pki.alice, fixture_pki.intermediate))
    truncated = der[:cut]
    report = inspect_message(mail.message(mail.multipart_signed(SHOWN, truncated)), ctx)
    sig = _sig(report)
    assert sig.verdict is SignatureVerdict.ERROR
    assert "10,000 EUR" in report.text  # the rest of the message is still readable
    report.to_json()


@pytest.mark.parametrize(
    "blob",
    [
        b"\x30\x80" * 20000,  # deeply nested indefinite lengths
        b"\x30\x84\xff\xff\xff\xff",  # a length of 4 GiB
        b"\x30\x89" + b"\xff" * 9,  # an absurd length-of-length
        bytes(range(256)) * 8,
        b"-----BEGIN PKCS7-----\r\nnot base64 at all\r\n-----END PKCS7-----\r\n",
    ],
    ids=["nested-indefinite", "huge-length", "long-length", "noise", "bad-pem"],
)
def test_malformed_signed_data(ctx, blob: bytes) -> None:
    # Naive: recursion errors, memory blow-up on a declared 4 GiB length, or a traceback.
    for body in (mail.multipart_signed(SHOWN, blob), mail.pkcs7_mime(blob, "signed-data")):
        report = inspect_message(mail.message(body), ctx)
        assert _sig(report).verdict is SignatureVerdict.ERROR
        report.to_json()


def _compressed(inner: bytes) -> cms.CompressedData:
    return cms.CompressedData(
        {
            "version": "v0",
            "compression_algorithm": {"algorithm": "zlib"},
            "encap_content_info": {"content_type": "data", "content": zlib.compress(inner)},
        }
    )


def test_validly_signed_compressed_content_is_not_opened(fixture_pki: FixturePKI, ctx) -> None:
    # Naive: the eContent is taken as MIME whatever its eContentType says, or a CompressedData
    # inside a valid signature is decompressed (a decompression bomb behind a green badge).
    compressed = _compressed(SHOWN)
    econtent = compressed.dump()
    alice = fixture_pki.alice
    attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["compressed_data"]},
            {"type": "message_digest", "values": [hashlib.sha256(econtent).digest()]},
        ]
    )
    to_sign = b"\x31" + attrs.dump()[1:]
    signature = alice.key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
    asn1_alice = mail.asn1(alice)
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": asn1_alice.issuer,
                        "serial_number": asn1_alice.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "compressed_data", "content": compressed},
            "certificates": [asn1_alice, mail.asn1(fixture_pki.intermediate)],
            "signer_infos": [signer_info],
        }
    )
    der = cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
    report = inspect_message(mail.message(mail.pkcs7_mime(der, "signed-data")), ctx)
    assert "10,000 EUR" not in report.text  # never decompressed
    assert any("compress" in p for p in report.problems)
    report.to_json()
