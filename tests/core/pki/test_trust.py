"""Trust store and RFC 5280 chain validation: one test per trust case, relative (frozen) time."""

from __future__ import annotations

import asyncio
import datetime as dt
import stat

import pytest
from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from smimetui.core.errors import CertificateError, TrustStoreError
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.chain import ChainStatus, RevocationStatus
from smimetui.core.pki.makecerts import Issued
from smimetui.core.pki.trust import ChainValidator, TrustStore, default_system_bundle
from smimetui.core.settings.home import Home
from tests.support.pki import FixturePKI

NOT_CHECKED = "Revocation was not checked (fetching is off)."


def asn1(issued: Issued) -> x509.Certificate:
    return x509.Certificate.load(issued.der)


@pytest.fixture
def store(home: Home, fixture_pki: FixturePKI) -> TrustStore:
    """A store without system anchors that trusts the fixture root."""
    trust = TrustStore(home, use_system=False)
    trust.add(fixture_pki.root.cert_pem)
    return trust


@pytest.fixture
def validator(store: TrustStore) -> ChainValidator:
    ChainValidator.clear_cache()
    return ChainValidator(store)


def day(moment: dt.datetime) -> str:
    return moment.date().isoformat()


class TestTrustStore:
    def test_add_pem_and_list(self, home: Home, fixture_pki: FixturePKI) -> None:
        trust = TrustStore(home, use_system=False)
        info = trust.add(fixture_pki.root.cert_pem)
        assert info.display_name == "Fixture Root CA"
        assert [r.sha256 for r in trust.user_roots()] == [info.sha256]
        stored = home.trust_dir / f"{info.sha256}.pem"
        assert stored.is_file()
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600

    def test_add_der_intermediate(self, home: Home, fixture_pki: FixturePKI) -> None:
        trust = TrustStore(home, use_system=False)
        info = trust.add(fixture_pki.intermediate.der)
        assert info.display_name == "Fixture Intermediate CA"

    def test_add_twice_is_idempotent(self, home: Home, fixture_pki: FixturePKI) -> None:
        trust = TrustStore(home, use_system=False)
        trust.add(fixture_pki.root.der)
        trust.add(fixture_pki.root.cert_pem)
        assert len(trust.user_roots()) == 1

    def test_add_self_signed_leaf(self, home: Home, fixture_pki: FixturePKI) -> None:
        trust = TrustStore(home, use_system=False)
        assert trust.add(fixture_pki.self_signed.der).self_signed

    def test_add_end_entity_is_refused(self, home: Home, fixture_pki: FixturePKI) -> None:
        trust = TrustStore(home, use_system=False)
        with pytest.raises(TrustStoreError, match="not a certificate authority"):
            trust.add(fixture_pki.alice.cert_pem)
        assert trust.user_roots() == []

    @pytest.mark.parametrize(
        "garbage",
        [b"", b"hello", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"],
    )
    def test_add_garbage(self, home: Home, garbage: bytes) -> None:
        with pytest.raises(CertificateError):
            TrustStore(home, use_system=False).add(garbage)

    def test_add_bundle_is_refused(self, home: Home, fixture_pki: FixturePKI) -> None:
        with pytest.raises(TrustStoreError, match="holds 2 certificates"):
            TrustStore(home, use_system=False).add(
                fixture_pki.root.cert_pem + fixture_pki.rogue_root.cert_pem
            )

    def test_remove_by_fingerprint_prefix(self, store: TrustStore) -> None:
        (root,) = store.user_roots()
        assert store.remove(root.sha256[:8].upper()).sha256 == root.sha256
        assert store.user_roots() == []

    def test_remove_by_subject(self, store: TrustStore) -> None:
        assert store.remove("fixture root").display_name == "Fixture Root CA"

    def test_remove_ambiguous(self, store: TrustStore, fixture_pki: FixturePKI) -> None:
        store.add(fixture_pki.intermediate.der)
        with pytest.raises(TrustStoreError, match="matches 2 roots"):
            store.remove("Fixture")
        assert len(store.user_roots()) == 2

    def test_remove_no_match(self, store: TrustStore) -> None:
        with pytest.raises(TrustStoreError, match="No root you added matches"):
            store.remove("nobody")

    def test_system_anchors(self, home: Home) -> None:
        bundle = default_system_bundle()
        if bundle is None:
            pytest.skip("no system CA bundle on this machine")
        trust = TrustStore(home)
        assert len(trust.anchors()) > 10
        assert TrustStore(home, use_system=False).anchors() == []

    def test_damaged_file_in_trust_dir_trusts_nothing(self, store: TrustStore, home: Home) -> None:
        (home.trust_dir / "junk.pem").write_bytes(b"not a cert")
        assert len(store.user_roots()) == 1


class TestChainValidator:
    def test_trusted_rsa_chain(self, validator: ChainValidator, fixture_pki: FixturePKI) -> None:
        result = validator.validate(asn1(fixture_pki.alice), [asn1(fixture_pki.intermediate)])
        assert result.status is ChainStatus.TRUSTED
        assert result.problems == ()
        assert result.revocation is RevocationStatus.NOT_CHECKED
        assert result.notes == (NOT_CHECKED,)
        names = [link.cert.display_name for link in result.path]
        assert names == ["Alice Liddell", "Fixture Intermediate CA", "Fixture Root CA"]
        assert (
            result.path[0].status
            == f"valid until {day(fixture_pki.alice.cert.not_valid_after_utc)}"
        )
        assert result.path[-1].status == "trusted root (you added it)"
        assert all(link.ok for link in result.path)

    @pytest.mark.parametrize("name", ["bob", "frank_p384"])
    def test_trusted_ec_chains(
        self, validator: ChainValidator, fixture_pki: FixturePKI, name: str
    ) -> None:
        leaf = asn1(getattr(fixture_pki, name))
        result = validator.validate(leaf, [asn1(fixture_pki.intermediate)])
        assert result.status is ChainStatus.TRUSTED, result.problems

    def test_untrusted_rogue_root(self, validator: ChainValidator, fixture_pki: FixturePKI) -> None:
        result = validator.validate(asn1(fixture_pki.rogue_alice), [asn1(fixture_pki.rogue_root)])
        assert result.status is ChainStatus.UNTRUSTED
        assert result.problems == (
            "Signed with a certificate from Rogue Root CA, which you have not trusted. "
            "Import that root only if you trust it (smimetui trust add FILE).",
        )
        assert result.path[-1].status == "root, not trusted" and not result.path[-1].ok

    def test_root_not_added(self, home: Home, fixture_pki: FixturePKI) -> None:
        ChainValidator.clear_cache()
        validator = ChainValidator(TrustStore(home, use_system=False))
        result = validator.validate(asn1(fixture_pki.alice), [asn1(fixture_pki.intermediate)])
        assert result.status is ChainStatus.UNTRUSTED
        # the root is in neither the message nor the store: the chain stops at the intermediate
        assert "incomplete" in result.problems[0] and "(Fixture Root CA)" in result.problems[0]

    def test_adding_the_root_changes_the_answer(
        self, validator: ChainValidator, store: TrustStore, fixture_pki: FixturePKI
    ) -> None:
        rogue = (asn1(fixture_pki.rogue_alice), [asn1(fixture_pki.rogue_root)])
        assert validator.validate(*rogue).status is ChainStatus.UNTRUSTED
        store.add(fixture_pki.rogue_root.der)
        assert validator.validate(*rogue).status is ChainStatus.TRUSTED
        store.remove("Rogue Root")
        assert validator.validate(*rogue).status is ChainStatus.UNTRUSTED

    def test_expired(self, validator: ChainValidator, fixture_pki: FixturePKI) -> None:
        carol = fixture_pki.carol_expired
        result = validator.validate(asn1(carol), [asn1(fixture_pki.intermediate)])
        assert result.status is ChainStatus.EXPIRED
        expiry = day(carol.cert.not_valid_after_utc)
        assert result.problems == (
            f"The signer's certificate (carol@example.org) expired on {expiry}.",
        )
        assert result.path[0].status == f"expired on {expiry}" and not result.path[0].ok

    def test_not_yet_valid(self, validator: ChainValidator, fixture_pki: FixturePKI) -> None:
        erin = fixture_pki.erin_not_yet_valid
        result = validator.validate(asn1(erin), [asn1(fixture_pki.intermediate)])
        assert result.status is ChainStatus.NOT_YET_VALID
        assert "erin@example.org" in result.problems[0]
        assert day(erin.cert.not_valid_before_utc) in result.problems[0]

    def test_wrong_eku(self, validator: ChainValidator, fixture_pki: FixturePKI) -> None:
        result = validator.validate(
            asn1(fixture_pki.dave_wrong_eku), [asn1(fixture_pki.intermediate)]
        )
        assert result.status is ChainStatus.WRONG_USAGE
        assert result.problems == (
            "The certificate of dave@example.org is not meant for e-mail "
            "(no emailProtection usage).",
        )

    @pytest.mark.parametrize(
        "eku", [None, (ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,)], ids=["no-eku", "any-eku"]
    )
    def test_eku_absent_or_any_is_fine(
        self, validator: ChainValidator, fixture_pki: FixturePKI, eku: object
    ) -> None:
        leaf = pki.make_leaf(fixture_pki.intermediate, "eve@example.org", eku=eku)  # type: ignore[arg-type]
        result = validator.validate(asn1(leaf), [asn1(fixture_pki.intermediate)])
        assert result.status is ChainStatus.TRUSTED, result.problems

    def test_key_usage_for_signing(
        self, validator: ChainValidator, fixture_pki: FixturePKI
    ) -> None:
        enc_only = pki.make_leaf(fixture_pki.intermediate, "enc@example.org", usage="encrypt")
        inter = [asn1(fixture_pki.intermediate)]
        signed = validator.validate(asn1(enc_only), inter)
        assert signed.status is ChainStatus.WRONG_USAGE
        assert signed.problems == (
            "The certificate of enc@example.org may not be used for signing.",
        )
        assert validator.validate(asn1(enc_only), inter, usage="encrypt").status is (
            ChainStatus.TRUSTED
        )

    def test_key_usage_for_encryption(
        self, validator: ChainValidator, fixture_pki: FixturePKI
    ) -> None:
        sign_only = pki.make_leaf(
            fixture_pki.intermediate, "sig@example.org", usage="sign", key_kind="p256"
        )
        result = validator.validate(
            asn1(sign_only), [asn1(fixture_pki.intermediate)], usage="encrypt"
        )
        assert result.status is ChainStatus.WRONG_USAGE
        assert "may not be used for encryption" in result.problems[0]
        bob = validator.validate(
            asn1(fixture_pki.bob), [asn1(fixture_pki.intermediate)], usage="encrypt"
        )
        assert bob.status is ChainStatus.TRUSTED

    def test_leaf_acting_as_ca(self, validator: ChainValidator, fixture_pki: FixturePKI) -> None:
        victim = pki.make_leaf(fixture_pki.alice, "victim@example.org")  # issued by a leaf
        result = validator.validate(
            asn1(victim), [asn1(fixture_pki.alice), asn1(fixture_pki.intermediate)]
        )
        assert result.status is ChainStatus.INVALID
        assert result.problems == (
            "The certificate chain is invalid: alice@example.org is not a certificate "
            "authority, yet it issued the certificate of victim@example.org.",
        )

    def test_missing_intermediate(self, validator: ChainValidator, fixture_pki: FixturePKI) -> None:
        result = validator.validate(asn1(fixture_pki.alice), [])
        assert result.status is ChainStatus.UNTRUSTED
        assert "incomplete" in result.problems[0]
        assert "Fixture Intermediate CA" in result.problems[0]
        assert [link.status for link in result.path] == ["issuer's certificate missing"]

    def test_self_signed_signer(
        self, validator: ChainValidator, store: TrustStore, fixture_pki: FixturePKI
    ) -> None:
        sam = asn1(fixture_pki.self_signed)
        result = validator.validate(sam)
        assert result.status is ChainStatus.UNTRUSTED
        assert result.problems[0].startswith(
            "The signer's certificate (sam@example.net) is self-signed"
        )
        store.add(fixture_pki.self_signed.der)  # the user decides to trust Sam directly
        trusted = validator.validate(sam)
        assert trusted.status is ChainStatus.TRUSTED, trusted.problems
        assert [link.status for link in trusted.path] == ["trusted root (you added it)"]

    def test_forged_issuer_signature(
        self, validator: ChainValidator, fixture_pki: FixturePKI
    ) -> None:
        """Issuer name of the real intermediate, signed by another key: never trusted."""
        fake_ca = pki.make_ca("Fixture Intermediate CA", org="smimetui tests")
        forged = pki.make_leaf(fake_ca, "alice@example.org")
        result = validator.validate(asn1(forged), [asn1(fixture_pki.intermediate)])
        assert result.status in (ChainStatus.INVALID, ChainStatus.UNTRUSTED)
        assert result.problems

    def test_moment_in_the_past(self, home: Home) -> None:
        """A certificate expired today was fine when the message was signed."""
        now = pki.utcnow()
        long_ago = now - dt.timedelta(days=1000)
        root = pki.make_ca("Old Root", not_before=long_ago)
        inter = pki.make_ca("Old Intermediate", issuer=root, not_before=long_ago)
        leaf = pki.make_leaf(
            inter,
            "old@example.org",
            not_before=long_ago,
            not_after=now - dt.timedelta(days=30),
        )
        trust = TrustStore(home, use_system=False)
        trust.add(root.der)
        ChainValidator.clear_cache()
        validator = ChainValidator(trust)
        chain = (asn1(leaf), [asn1(inter)])
        assert validator.validate(*chain).status is ChainStatus.EXPIRED
        then = now - dt.timedelta(days=100)
        past = validator.validate(*chain, moment=then)
        assert past.status is ChainStatus.TRUSTED, past.problems
        before = validator.validate(*chain, moment=long_ago - dt.timedelta(days=1))
        assert before.status is ChainStatus.NOT_YET_VALID

    def test_results_are_cached(self, validator: ChainValidator, fixture_pki: FixturePKI) -> None:
        chain = (asn1(fixture_pki.alice), [asn1(fixture_pki.intermediate)])
        first = validator.validate(*chain)
        # fresh objects, same DER: a hit by fingerprint, not by identity
        again = validator.validate(
            x509.Certificate.load(fixture_pki.alice.der),
            [x509.Certificate.load(fixture_pki.intermediate.der)],
        )
        assert again is first
        assert validator.validate(*chain, usage="encrypt") is not first

    def test_revocation_fetching_without_services(
        self, store: TrustStore, fixture_pki: FixturePKI
    ) -> None:
        ChainValidator.clear_cache()
        validator = ChainValidator(store, fetch_revocation=True)
        result = validator.validate(asn1(fixture_pki.alice), [asn1(fixture_pki.intermediate)])
        assert result.status is ChainStatus.TRUSTED
        assert result.revocation is RevocationStatus.UNKNOWN
        assert result.problems == ()
        assert "names no CRL or OCSP service" in result.notes[0]

    def test_validate_inside_a_running_event_loop(
        self, validator: ChainValidator, fixture_pki: FixturePKI
    ) -> None:
        async def inside() -> ChainStatus:
            return validator.validate(
                asn1(fixture_pki.bob), [asn1(fixture_pki.intermediate)]
            ).status

        assert asyncio.run(inside()) is ChainStatus.TRUSTED

    def test_key_in_fixture_is_the_certs(self, fixture_pki: FixturePKI) -> None:
        """Guard for the tests above: the fixture leaf and its key belong together."""
        pub = fixture_pki.alice.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert asn1(fixture_pki.alice).public_key.dump() == pub
