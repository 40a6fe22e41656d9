"""The strict DER reader, and the fast SignedData path agreeing with the full one.

The fast path may only ever *accept*: for any input it returns either None (the full path then
decides) or exactly what the full path returns.  These tests check that on real signatures from
openssl and on mutations of them that leave the signature intact or break it.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smimetui.core.cms import der_read, signeddata_fast
from smimetui.core.cms.der_read import DerError
from smimetui.core.cms.signeddata import verify_full, verify_signed_data
from smimetui.core.cms.signeddata_fast import fast_verify
from smimetui.core.pki.makecerts import Issued
from tests.support.asn1_cms import CONTENT, asn1_signed_data
from tests.support.openssl import openssl, requires_openssl
from tests.support.pki import FixturePKI

# -- the reader -----------------------------------------------------------------------------------


class TestRead:
    def test_short_and_long_forms(self) -> None:
        buf = b"\x04\x02ab" + b"\x04\x81\x80" + b"x" * 128
        first = der_read.read(buf, 0, len(buf))
        assert first == (0x04, 2, 4, 0)
        second = der_read.read(buf, 4, len(buf))
        assert der_read.contents(buf, second) == b"x" * 128
        assert der_read.children(buf, 0, len(buf)) == [first, second]

    @pytest.mark.parametrize(
        ("buf", "why"),
        [
            (b"\x30\x80\x00\x00", "indefinite length"),
            (b"\x04\x81\x05hello", "long form for a short length"),
            (b"\x04\x82\x00\x05hello", "leading zero length byte"),
            (b"\x1f\x01\x00", "high tag number"),
            (b"\x04\x05abc", "overrun"),
            (b"\x04", "truncated"),
            (b"\x04\x85\x00\x00\x00\x00\x01a", "five length bytes"),
        ],
    )
    def test_refuses_what_is_not_strict_der(self, buf: bytes, why: str) -> None:
        with pytest.raises(DerError):
            der_read.read(buf, 0, len(buf))
        assert not der_read.is_strict(buf, 0, len(buf)), why

    def test_only_wants_the_whole_buffer(self) -> None:
        with pytest.raises(DerError):
            der_read.only(b"\x04\x01a\x00", 0x04)
        with pytest.raises(DerError):
            der_read.only(b"\x04\x01a", 0x30)

    def test_constructed_string_is_not_strict(self) -> None:
        ber = b"\x24\x06\x04\x01a\x04\x01b"
        assert not der_read.is_strict(ber, 0, len(ber))
        nested = b"\x31\x05\x30\x03\x02\x01\x01"
        assert der_read.is_strict(nested, 0, len(nested))

    def test_oid_minimality(self) -> None:
        good = core.ObjectIdentifier("1.2.840.113549.1.9.4").dump()
        padded = b"\x06\x0a\x2a\x86\x48\x86\xf7\x0d\x01\x09\x80\x04"
        assert der_read.oid_is_minimal(good, der_read.only(good, 0x06))
        assert not der_read.oid_is_minimal(padded, der_read.only(padded, 0x06))
        # both name the same attribute to asn1crypto: only the minimal one is read fast
        assert core.ObjectIdentifier.load(padded).dotted == "1.2.840.113549.1.9.4"


# -- fast path == full path -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def openssl_seeds(pki_dir: dict[str, Path]) -> list[tuple[bytes, bytes | None]]:
    """(SignedData DER, detached content) from openssl: RSA, PSS, ECDSA, key id, opaque."""
    seeds = []
    variants = [
        ("alice", []),
        ("alice", ["-keyopt", "rsa_padding_mode:pss"]),
        ("bob", ["-keyid"]),
        ("bob", ["-md", "sha512", "-nodetach"]),
    ]
    for name, extra in variants:
        der = openssl(
            "cms",
            "-sign",
            "-binary",
            "-outform",
            "DER",
            "-signer",
            pki_dir[name],
            "-inkey",
            pki_dir[f"{name}.key"],
            "-certfile",
            pki_dir["intermediate"],
            *extra,
            data=CONTENT,
        )
        seeds.append((der, None if "-nodetach" in extra else CONTENT))
    return seeds


def _same(der: bytes, detached: bytes | None) -> bool:
    """True when the fast path accepted; asserts it agrees with the full path either way."""
    fast = fast_verify(der, detached, ())
    if fast is None:
        return False
    full = verify_full(der, detached, ())
    assert fast == full
    assert all(s.valid and not s.problems for s in fast.signers)
    return True


class TestFastPath:
    @requires_openssl
    def test_openssl_signatures_take_the_fast_path(
        self, openssl_seeds: list[tuple[bytes, bytes | None]]
    ) -> None:
        for der, detached in openssl_seeds:
            assert _same(der, detached)
            assert verify_signed_data(der, detached) == verify_full(der, detached)

    @requires_openssl
    def test_every_failure_goes_to_the_full_path(
        self, openssl_seeds: list[tuple[bytes, bytes | None]]
    ) -> None:
        der, detached = openssl_seeds[0]
        assert fast_verify(der, detached + b"x", ()) is None  # altered content
        assert fast_verify(der, None, ()) is None  # detached, no content
        assert fast_verify(der[:-1], detached, ()) is None  # truncated
        assert fast_verify(der + b"\x00", detached, ()) is None  # trailing bytes

    def test_own_builder_and_ed25519(self, fixture_pki: FixturePKI) -> None:
        assert _same(asn1_signed_data(fixture_pki.alice), CONTENT)
        assert _same(asn1_signed_data(fixture_pki.bob, embed=True), None)
        assert _same(asn1_signed_data(fixture_pki.alice, attrs=False), CONTENT)
        assert _same(asn1_signed_data(fixture_pki.alice, signers=2), CONTENT)

    def test_weak_digest_is_left_to_the_full_path(self, fixture_pki: FixturePKI) -> None:
        der = asn1_signed_data(fixture_pki.alice, digest="sha1")
        assert fast_verify(der, CONTENT, ()) is None
        assert verify_signed_data(der, CONTENT).signers[0].weak_digest

    @pytest.mark.parametrize(
        "mutate",
        [
            lambda attrs: attrs + [attrs[1]],  # messageDigest twice
            lambda attrs: attrs[1:],  # no contentType
            lambda attrs: [a for a in attrs if a["type"].native != "message_digest"],
        ],
    )
    def test_attribute_failures_are_not_accepted(self, fixture_pki: FixturePKI, mutate) -> None:
        der = asn1_signed_data(fixture_pki.alice, mutate_attrs=mutate)
        assert fast_verify(der, CONTENT, ()) is None
        assert not verify_signed_data(der, CONTENT).signers[0].valid

    def test_padded_attribute_type_is_not_read_fast(self, fixture_pki: FixturePKI) -> None:
        # A second messageDigest whose type OID is padded: asn1crypto reads it as a duplicate.
        def add_padded_digest(attrs: list[cms.CMSAttribute]) -> list[cms.CMSAttribute]:
            return attrs + [
                cms.CMSAttribute.load(
                    b"\x30\x13\x06\x0a\x2a\x86\x48\x86\xf7\x0d\x01\x09\x80\x04\x31\x05\x04\x03abc"
                )
            ]

        der = asn1_signed_data(fixture_pki.alice, mutate_attrs=add_padded_digest)
        assert fast_verify(der, CONTENT, ()) is None
        assert not verify_signed_data(der, CONTENT).signers[0].valid


_SEEDS: dict[str, bytes] = {}


def _seed(fixture_pki: FixturePKI) -> bytes:
    if "der" not in _SEEDS:
        _SEEDS["der"] = asn1_signed_data(fixture_pki.bob, embed=True)
    return _SEEDS["der"]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutations_never_make_the_paths_disagree(
    fixture_pki: FixturePKI, edits: list[tuple[int, int]]
) -> None:
    der = bytearray(_seed(fixture_pki))
    for pos, value in edits:
        der[pos % len(der)] = value
    _same(bytes(der), None)


class TestCertificateFacts:
    """The fast path's per-certificate cache belongs to the object: it cannot mix two up."""

    @staticmethod
    def _load(issued: Issued) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(issued.cert.public_bytes(serialization.Encoding.DER))

    def test_each_object_has_its_own_facts(self, fixture_pki: FixturePKI) -> None:
        alice, bob = self._load(fixture_pki.alice), self._load(fixture_pki.bob)
        assert signeddata_fast._facts(alice).serial == fixture_pki.alice.cert.serial_number
        assert signeddata_fast._facts(bob).serial == fixture_pki.bob.cert.serial_number
        assert signeddata_fast._facts(alice) is signeddata_fast._facts(alice)

    def test_an_entry_goes_with_its_certificate(self, fixture_pki: FixturePKI) -> None:
        cert = self._load(fixture_pki.carol_expired)
        signeddata_fast._facts(cert)
        before = len(signeddata_fast._FACTS)
        del cert
        gc.collect()
        assert len(signeddata_fast._FACTS) == before - 1
