"""CMS SignedData verification: interop with `openssl cms -sign`, and one test per failure case."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from asn1crypto import algos, cms, core, x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.cms.signeddata import (
    load_signed_data,
    verify_signed_data,
)
from smimetui.core.errors import CmsError
from smimetui.core.pki import makecerts as pki
from tests.support.asn1_cms import CONTENT, asn1_cert, asn1_signed_data
from tests.support.openssl import cms_encrypt, cms_sign, openssl, requires_openssl
from tests.support.pki import FixturePKI

ALTERED = "altered after signing"

pytestmark = [pytest.mark.openssl, requires_openssl]


def signer(pki_dir: dict[str, Path], name: str) -> tuple[Path, Path]:
    return pki_dir[name], pki_dir[f"{name}.key"]


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


# -- interop: openssl signs, we verify ------------------------------------------------------------


class TestOpensslInterop:
    @pytest.mark.parametrize(
        ("name", "extra", "sig_alg", "digest"),
        [
            ("alice", [], "RSA PKCS#1 v1.5", "SHA-256"),
            ("alice", ["-keyopt", "rsa_padding_mode:pss"], "RSA-PSS", "SHA-256"),
            ("alice", ["-md", "sha384"], "RSA PKCS#1 v1.5", "SHA-384"),
            ("alice", ["-md", "sha512", "-keyid"], "RSA PKCS#1 v1.5", "SHA-512"),
            ("alice", ["-keyid", "-keyopt", "rsa_padding_mode:pss"], "RSA-PSS", "SHA-256"),
            ("bob", [], "ECDSA P-256", "SHA-256"),
            ("bob", ["-keyid"], "ECDSA P-256", "SHA-256"),
            ("frank_p384", ["-md", "sha384"], "ECDSA P-384", "SHA-384"),
        ],
    )
    def test_detached_der_verifies(
        self,
        pki_dir: dict[str, Path],
        name: str,
        extra: list[str],
        sig_alg: str,
        digest: str,
    ) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, name)], extra=extra)
        result = verify_signed_data(der, CONTENT)
        assert result.econtent is None and not result.content_mismatch
        assert result.content_type == "data"
        (outcome,) = result.signers
        assert outcome.valid, outcome.problems
        assert outcome.problems == ()
        assert (outcome.signature_algorithm, outcome.digest_algorithm) == (sig_alg, digest)
        assert not outcome.weak_digest
        assert outcome.cert is not None
        assert (
            outcome.cert.dump()
            == x509.Certificate.load(
                openssl("x509", "-outform", "DER", "-in", pki_dir[name])
            ).dump()
        )
        assert isinstance(outcome.signing_time, dt.datetime)
        assert "aes256-cbc" in outcome.capabilities

    def test_p521_verifies(self, fixture_pki: FixturePKI, tmp_path: Path) -> None:
        leaf = pki.make_leaf(fixture_pki.intermediate, "p521@example.org", key_kind="p521")
        (tmp_path / "c.pem").write_bytes(leaf.cert_pem)
        (tmp_path / "k.pem").write_bytes(leaf.key_pem())
        der = cms_sign(CONTENT, [(tmp_path / "c.pem", tmp_path / "k.pem")], extra=["-md", "sha512"])
        (outcome,) = verify_signed_data(der, CONTENT).signers
        assert outcome.valid and outcome.signature_algorithm == "ECDSA P-521"

    def test_opaque_ber_stream_verifies(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "bob")], detached=False, extra=["-stream"])
        assert der[1] == 0x80  # indefinite length: BER, as openssl streams it
        result = verify_signed_data(der)
        assert result.econtent == CONTENT
        assert result.signers[0].valid

    def test_opaque_der_verifies(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")], detached=False)
        result = verify_signed_data(der)
        assert result.econtent == CONTENT and result.signers[0].valid

    def test_chain_certificates_are_carried(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(
            CONTENT, [signer(pki_dir, "alice")], extra=["-certfile", pki_dir["intermediate"]]
        )
        result = verify_signed_data(der, CONTENT)
        subjects = {c.subject.native["common_name"] for c in result.certificates}
        assert subjects == {"Alice Liddell", "Fixture Intermediate CA"}
        assert result.signers[0].valid

    def test_multipart_signed_smime_output(self, pki_dir: dict[str, Path]) -> None:
        """openssl's default S/MIME output: verify the first part, canonicalised to CRLF."""
        text = b"Content-Type: text/plain\n\nHello from openssl\nsecond line\n"
        mime = cms_sign(text, [signer(pki_dir, "alice")], outform="SMIME", binary=False)
        boundary = re.search(rb'boundary="([^"]+)"', mime)
        assert boundary is not None
        delim = b"--" + boundary.group(1)
        parts = mime.split(delim)
        signed_part = parts[1].removeprefix(b"\r\n").removeprefix(b"\n")
        # the line break before the delimiter belongs to the delimiter (RFC 2046)
        signed_part = signed_part[:-2] if signed_part.endswith(b"\r\n") else signed_part[:-1]
        canonical = re.sub(rb"\r?\n", b"\r\n", signed_part)
        b64 = parts[2].split(b"\n\n", 1)[1]
        der = base64.b64decode(b"".join(b64.split()))
        assert verify_signed_data(der, canonical).signers[0].valid
        assert (
            not verify_signed_data(der, canonical.replace(b"noon", b"nine") + b"x").signers[0].valid
        )

    def test_sha1_is_valid_but_weak(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")], extra=["-md", "sha1"])
        (outcome,) = verify_signed_data(der, CONTENT).signers
        assert outcome.valid and outcome.weak_digest
        assert outcome.digest_algorithm == "SHA-1"
        assert any("weak SHA-1 digest" in p for p in outcome.problems)

    def test_two_signers(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice"), signer(pki_dir, "bob")])
        result = verify_signed_data(der, CONTENT)
        assert len(result.signers) == 2
        assert all(s.valid for s in result.signers)
        assert {s.signature_algorithm for s in result.signers} == {
            "RSA PKCS#1 v1.5",
            "ECDSA P-256",
        }

    def test_no_signed_attributes(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")], extra=["-noattr"])
        (outcome,) = verify_signed_data(der, CONTENT).signers
        assert outcome.valid and outcome.signing_time is None
        (bad,) = verify_signed_data(der, CONTENT + b" ").signers
        assert not bad.valid and ALTERED in bad.problems[0]


# -- failure cases ------------------------------------------------------------------------------


class TestFailures:
    def test_tampered_content(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")])
        (outcome,) = verify_signed_data(der, CONTENT.replace(b"noon", b"nine")).signers
        assert not outcome.valid
        assert ALTERED in outcome.problems[0]
        assert outcome.cert is not None  # we still say who claimed to sign

    def test_tampered_signature_value(self, pki_dir: dict[str, Path]) -> None:
        der = bytearray(cms_sign(CONTENT, [signer(pki_dir, "bob")], extra=["-noattr"]))
        info = load_signed_data(bytes(der))["signer_infos"][0]
        sig = info["signature"].native
        pos = bytes(der).rindex(sig)
        der[pos + 10] ^= 0x01
        (outcome,) = verify_signed_data(bytes(der), CONTENT).signers
        assert not outcome.valid and ALTERED in outcome.problems[0]

    def test_opaque_tampered_econtent(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")], detached=False)
        forged = der.replace(b"noon", b"nine")
        (outcome,) = verify_signed_data(forged).signers
        assert not outcome.valid and ALTERED in outcome.problems[0]

    def test_econtent_and_detached_mismatch(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")], detached=False)
        result = verify_signed_data(der, b"something else entirely")
        assert result.content_mismatch
        assert result.econtent == CONTENT
        assert result.signers[0].valid  # over the eContent, which the caller must show instead

    def test_econtent_and_same_detached_is_no_mismatch(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")], detached=False)
        assert not verify_signed_data(der, CONTENT).content_mismatch

    def test_no_content_at_all(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")])
        (outcome,) = verify_signed_data(der, None).signers
        assert not outcome.valid and "content is missing" in outcome.problems[0]

    def test_signer_certificate_missing(
        self, pki_dir: dict[str, Path], fixture_pki: FixturePKI
    ) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")], extra=["-nocerts"])
        (outcome,) = verify_signed_data(der, CONTENT).signers
        assert not outcome.valid and outcome.cert is None
        assert "certificate is not in the message" in outcome.problems[0]
        (found,) = verify_signed_data(
            der, CONTENT, extra_certs=[asn1_cert(fixture_pki.alice)]
        ).signers
        assert found.valid

    def test_keyid_signer_found_in_extra_certs(
        self, pki_dir: dict[str, Path], fixture_pki: FixturePKI
    ) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "bob")], extra=["-nocerts", "-keyid"])
        (outcome,) = verify_signed_data(
            der, CONTENT, extra_certs=[asn1_cert(fixture_pki.bob)]
        ).signers
        assert outcome.valid

    def test_impostor_certificate_with_same_issuer_and_serial(
        self, pki_dir: dict[str, Path], fixture_pki: FixturePKI
    ) -> None:
        """A look-alike certificate (same issuer name and serial, other key) does not verify."""
        fake_ca = pki.make_ca("Fixture Intermediate CA", org="smimetui tests")
        impostor = pki.make_leaf(
            fake_ca, "alice@example.org", serial=fixture_pki.alice.cert.serial_number
        )
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")])
        info = cms.ContentInfo.load(der)
        info["content"]["certificates"] = cms.CertificateSet([asn1_cert(impostor)])
        (outcome,) = verify_signed_data(info.dump(force=True), CONTENT).signers
        assert outcome.cert is not None and outcome.cert.dump() == impostor.der
        assert not outcome.valid and ALTERED in outcome.problems[0]

    def test_damaged_certificate_is_left_out(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(
            CONTENT, [signer(pki_dir, "alice")], extra=["-certfile", pki_dir["intermediate"]]
        )
        carried = cms.ContentInfo.load(der)["content"]["certificates"]
        (inter,) = [
            c.chosen.dump()
            for c in carried
            if c.chosen.subject.native["common_name"] == "Fixture Intermediate CA"
        ]
        assert inter[4] == 0x30  # tbsCertificate SEQUENCE; same length, wrong type
        blob = der.replace(inter, inter[:4] + b"\x04" + inter[5:])
        result = verify_signed_data(blob, CONTENT)
        assert len(result.certificates) == 1
        assert result.signers[0].valid

    def test_zero_signers(self, pki_dir: dict[str, Path]) -> None:
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")])
        info = cms.ContentInfo.load(der)
        info["content"]["signer_infos"] = cms.SignerInfos([])
        result = verify_signed_data(info.dump(force=True), CONTENT)
        assert result.signers == ()
        assert len(result.certificates) == 1

    def test_enveloped_data_is_not_a_signature(self, pki_dir: dict[str, Path]) -> None:
        der = cms_encrypt(CONTENT, [pki_dir["alice"]])
        with pytest.raises(CmsError, match="not a signature"):
            verify_signed_data(der, CONTENT)

    @pytest.mark.parametrize(
        "garbage",
        [b"", b"\x00", b"hello world", b"\x30\x03\x02\x01", b"\x30\x80" * 50, bytes(range(256))],
    )
    def test_garbage_raises_cms_error(self, garbage: bytes) -> None:
        with pytest.raises(CmsError):
            verify_signed_data(garbage)

    def test_pem_input_is_accepted(self, pki_dir: dict[str, Path]) -> None:
        pem_data = cms_sign(CONTENT, [signer(pki_dir, "alice")], outform="PEM")
        assert pem_data.startswith(b"-----BEGIN CMS-----")
        assert verify_signed_data(pem_data, CONTENT).signers[0].valid


class TestAttributes:
    def test_own_builder_roundtrip(self, fixture_pki: FixturePKI) -> None:
        der = asn1_signed_data(fixture_pki.alice)
        assert verify_signed_data(der, CONTENT).signers[0].valid

    def test_ed25519(self, fixture_pki: FixturePKI) -> None:
        leaf = pki.make_leaf(fixture_pki.intermediate, "ed@example.org", key_kind="ed25519")
        for attrs in (True, False):
            der = asn1_signed_data(leaf, digest="sha512", attrs=attrs)
            (outcome,) = verify_signed_data(der, CONTENT).signers
            assert outcome.valid, outcome.problems
            assert outcome.signature_algorithm == "Ed25519"
            assert not verify_signed_data(der, CONTENT + b"!").signers[0].valid

    def test_missing_message_digest(self, fixture_pki: FixturePKI) -> None:
        der = asn1_signed_data(
            fixture_pki.alice,
            mutate_attrs=lambda a: [x for x in a if x["type"].native != "message_digest"],
        )
        (outcome,) = verify_signed_data(der, CONTENT).signers
        assert not outcome.valid and "message digest" in outcome.problems[0]

    def test_missing_content_type(self, fixture_pki: FixturePKI) -> None:
        der = asn1_signed_data(
            fixture_pki.alice,
            mutate_attrs=lambda a: [x for x in a if x["type"].native != "content_type"],
        )
        (outcome,) = verify_signed_data(der, CONTENT).signers
        assert not outcome.valid and "content type" in outcome.problems[0]

    def test_content_type_mismatch(self, fixture_pki: FixturePKI) -> None:
        def swap(attrs: list[cms.CMSAttribute]) -> list[cms.CMSAttribute]:
            other = cms.CMSAttribute({"type": "content_type", "values": ["enveloped_data"]})
            return [other if x["type"].native == "content_type" else x for x in attrs]

        (outcome,) = verify_signed_data(
            asn1_signed_data(fixture_pki.alice, mutate_attrs=swap), CONTENT
        ).signers
        assert not outcome.valid and "content type differs" in outcome.problems[0]

    @staticmethod
    def _protection(signature_algorithm: str) -> Callable[[list[cms.CMSAttribute]], list]:  # type: ignore[type-arg]
        """RFC 6211 CMSAlgorithmProtection: the digest algorithm and a [1] IMPLICIT signature
        algorithm, as Bouncy Castle adds it to every signature."""

        def add(attrs: list[cms.CMSAttribute]) -> list[cms.CMSAttribute]:
            value = cms.CMSAlgorithmProtection(
                {
                    "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                    "signature_algorithm": algos.SignedDigestAlgorithm(
                        {"algorithm": signature_algorithm}
                    ),
                }
            )
            protection = {"type": "cms_algorithm_protection", "values": [value]}
            return [*attrs, cms.CMSAttribute(protection)]

        return add

    def test_algorithm_protection_that_agrees(self, fixture_pki: FixturePKI) -> None:
        der = asn1_signed_data(fixture_pki.alice, mutate_attrs=self._protection("rsassa_pkcs1v15"))
        (outcome,) = verify_signed_data(der, CONTENT).signers
        assert outcome.valid, outcome.problems

    def test_algorithm_protection_that_contradicts(self, fixture_pki: FixturePKI) -> None:
        der = asn1_signed_data(fixture_pki.alice, mutate_attrs=self._protection("rsassa_pss"))
        (outcome,) = verify_signed_data(der, CONTENT).signers
        assert not outcome.valid and "algorithm protection" in outcome.problems[0]

    def test_duplicate_message_digest(self, fixture_pki: FixturePKI) -> None:
        def dup(attrs: list[cms.CMSAttribute]) -> list[cms.CMSAttribute]:
            bogus = cms.CMSAttribute({"type": "message_digest", "values": [b"\x00" * 32]})
            return [*attrs, bogus]

        (outcome,) = verify_signed_data(
            asn1_signed_data(fixture_pki.alice, mutate_attrs=dup), CONTENT
        ).signers
        assert not outcome.valid and "more than once" in outcome.problems[0]

    def test_ber_signed_attrs_are_reencoded(self, pki_dir: dict[str, Path]) -> None:
        """The signature covers the DER SET; signedAttrs sent in BER must still verify."""
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")])
        info = cms.ContentInfo.load(der)
        si = info["content"]["signer_infos"][0]
        original = si["signed_attrs"].dump()
        ber = b"\xa0\x80" + si["signed_attrs"].contents + b"\x00\x00"  # indefinite length
        contents = si.contents.replace(original, ber)
        ber_si = cms.SignerInfo.load(b"\x30" + _der_length(len(contents)) + contents)
        info["content"]["signer_infos"] = cms.SignerInfos([ber_si])
        blob = info.dump()
        assert ber in blob
        (outcome,) = verify_signed_data(blob, CONTENT).signers
        assert outcome.valid, outcome.problems
        assert not verify_signed_data(blob, CONTENT + b"x").signers[0].valid

    def test_ber_inside_signed_attrs_is_reencoded(self, pki_dir: dict[str, Path]) -> None:
        """An attribute inside signedAttrs in BER (indefinite length): full DER re-encoding."""
        der = cms_sign(CONTENT, [signer(pki_dir, "alice")])
        info = cms.ContentInfo.load(der)
        si = info["content"]["signer_infos"][0]
        attrs = si["signed_attrs"]
        first = attrs[0].dump()
        ber_first = b"\x30\x80" + attrs[0].contents + b"\x00\x00"
        inner = attrs.contents.replace(first, ber_first, 1)
        ber_attrs = b"\xa0" + _der_length(len(inner)) + inner
        contents = si.contents.replace(attrs.dump(), ber_attrs)
        ber_si = cms.SignerInfo.load(b"\x30" + _der_length(len(contents)) + contents)
        info["content"]["signer_infos"] = cms.SignerInfos([ber_si])
        blob = info.dump()
        assert ber_first in blob
        (outcome,) = verify_signed_data(blob, CONTENT).signers
        assert outcome.valid, outcome.problems

    @pytest.mark.parametrize("form", ["issuer_serial", "ski"])
    def test_encryption_key_preference(self, fixture_pki: FixturePKI, form: str) -> None:
        bob = asn1_cert(fixture_pki.bob)
        if form == "issuer_serial":
            choice = {
                "issuer_and_serial_number": {
                    "issuer": bob.issuer,
                    "serial_number": bob.serial_number,
                }
            }
            expected = (
                "issuer_serial",
                f"{bob.issuer.human_friendly}|{bob.serial_number:X}",
            )
        else:
            choice = {"recipientKeyId": {"subjectKeyIdentifier": bob.key_identifier}}
            expected = ("ski", bob.key_identifier.hex())
        pref = cms.SMIMEEncryptionKeyPreference(choice)

        def add(attrs: list[cms.CMSAttribute]) -> list[cms.CMSAttribute]:
            return [*attrs, cms.CMSAttribute({"type": "encrypt_key_pref", "values": [pref]})]

        der = asn1_signed_data(fixture_pki.alice, mutate_attrs=add)
        (outcome,) = verify_signed_data(der, CONTENT).signers
        assert outcome.valid
        assert outcome.encryption_key_preference == expected

    def test_unsupported_digest(self, fixture_pki: FixturePKI) -> None:
        der = asn1_signed_data(fixture_pki.alice)
        info = cms.ContentInfo.load(der)
        si = info["content"]["signer_infos"][0]
        si["digest_algorithm"] = algos.DigestAlgorithm({"algorithm": "sha3_256"})
        (outcome,) = verify_signed_data(info.dump(force=True), CONTENT).signers
        assert not outcome.valid and "unsupported digest algorithm sha3_256" in outcome.problems[0]

    def test_unsupported_signature_algorithm(self, fixture_pki: FixturePKI) -> None:
        der = asn1_signed_data(fixture_pki.alice)
        info = cms.ContentInfo.load(der)
        si = info["content"]["signer_infos"][0]
        si["signature_algorithm"] = algos.SignedDigestAlgorithm({"algorithm": "sha256_dsa"})
        (outcome,) = verify_signed_data(info.dump(force=True), CONTENT).signers
        assert not outcome.valid and "unsupported algorithm sha256_dsa" in outcome.problems[0]

    def test_damaged_signer_info_is_a_problem_not_a_crash(self, fixture_pki: FixturePKI) -> None:
        der = asn1_signed_data(fixture_pki.alice)
        info = cms.ContentInfo.load(der)
        si = info["content"]["signer_infos"][0]
        si["sid"] = cms.SignerIdentifier({"subject_key_identifier": b"\x01" * 20})
        (outcome,) = verify_signed_data(info.dump(force=True), CONTENT).signers
        assert not outcome.valid and outcome.cert is None


# -- hypothesis: nothing but CmsError ever escapes ----------------------------------------------


_SEED: dict[str, bytes] = {}


def _seed_der() -> bytes:
    if "der" not in _SEED:
        root = pki.make_ca("Hypothesis Root", key_kind="p256")
        leaf = pki.make_leaf(root, "h@example.org", key_kind="p256")
        _SEED["der"] = asn1_signed_data(leaf, embed=True)
    return _SEED["der"]


class TestFuzz:
    @settings(max_examples=200, deadline=None)
    @given(st.binary(max_size=600))
    def test_random_bytes(self, data: bytes) -> None:
        with contextlib.suppress(CmsError):
            verify_signed_data(data, CONTENT)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8))
    def test_mutated_der(self, edits: list[tuple[int, int]]) -> None:
        der = bytearray(_seed_der())
        for pos, value in edits:
            der[pos % len(der)] = value
        try:
            result = verify_signed_data(bytes(der), CONTENT)
        except CmsError:
            return
        for outcome in result.signers:
            assert isinstance(outcome.problems, tuple)
        for cert in result.certificates:  # every carried certificate is safe to describe
            CertInfo.from_asn1(cert)

    @settings(max_examples=100, deadline=None)
    @given(st.integers(1, 400))
    def test_truncated_der(self, cut: int) -> None:
        der = _seed_der()
        with pytest.raises(CmsError):
            verify_signed_data(der[: max(0, len(der) - cut)], CONTENT)


def test_key_serialization_matches_fixture(fixture_pki: FixturePKI) -> None:
    """Guard: the builder signs with the fixture's own key (so a pass is meaningful)."""
    pub = fixture_pki.alice.key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert asn1_cert(fixture_pki.alice).public_key.dump() == pub
    assert isinstance(core.OctetString(b"x").dump(), bytes)
