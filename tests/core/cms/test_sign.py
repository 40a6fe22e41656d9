"""SignedData built by smimetui verifies with the real ``openssl cms`` CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from asn1crypto import cms

from smimetui.core.cms.sign import OUR_CAPABILITIES, SigningKey, SignOptions, build_signed_data
from smimetui.core.errors import IdentityError
from smimetui.core.pki import makecerts as pki
from tests.support.openssl import ok
from tests.support.openssl import openssl_run as openssl

CONTENT = b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello from smimetui.\r\n"


def _signer(fixture_pki, name: str) -> SigningKey:  # type: ignore[no-untyped-def]
    issued = getattr(fixture_pki, name)
    return SigningKey(
        issued.cert, issued.key, (fixture_pki.intermediate.cert, fixture_pki.root.cert)
    )


def _verify(tmp_path: Path, pki_dir: dict[str, Path], der: bytes, content: bytes | None):  # type: ignore[no-untyped-def]
    sig = tmp_path / "sig.der"
    sig.write_bytes(der)
    args: list[str | Path] = ["cms", "-verify", "-binary", "-inform", "DER", "-in", sig]
    if content is not None:
        data = tmp_path / "content"
        data.write_bytes(content)
        args += ["-content", data]
    args += ["-CAfile", pki_dir["root"], "-purpose", "smimesign", "-out", tmp_path / "out"]
    return openssl(*args)


def _signer_info(der: bytes) -> cms.SignerInfo:
    return cms.ContentInfo.load(der)["content"]["signer_infos"][0]


class TestDetached:
    @pytest.mark.parametrize("who", ["alice", "bob", "frank_p384"])
    def test_openssl_verifies(self, fixture_pki, pki_dir, tmp_path, who) -> None:  # type: ignore[no-untyped-def]
        der = build_signed_data(CONTENT, _signer(fixture_pki, who))
        ok(_verify(tmp_path, pki_dir, der, CONTENT))

    def test_rsa_pss_verifies(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        der = build_signed_data(
            CONTENT, _signer(fixture_pki, "alice"), options=SignOptions(rsa_pss=True)
        )
        assert _signer_info(der)["signature_algorithm"]["algorithm"].native == "rsassa_pss"
        ok(_verify(tmp_path, pki_dir, der, CONTENT))

    def test_altered_content_fails_in_openssl(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        der = build_signed_data(CONTENT, _signer(fixture_pki, "alice"))
        proc = _verify(tmp_path, pki_dir, der, CONTENT.replace(b"Hello", b"Jello"))
        assert proc.returncode != 0

    def test_no_content_embedded(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        der = build_signed_data(CONTENT, _signer(fixture_pki, "alice"))
        encap = cms.ContentInfo.load(der)["content"]["encap_content_info"]
        assert encap["content"].native is None


class TestOpaque:
    @pytest.mark.parametrize("who", ["alice", "bob"])
    def test_openssl_verifies_and_extracts(self, fixture_pki, pki_dir, tmp_path, who) -> None:  # type: ignore[no-untyped-def]
        der = build_signed_data(CONTENT, _signer(fixture_pki, who), detached=False)
        ok(_verify(tmp_path, pki_dir, der, None))
        assert (tmp_path / "out").read_bytes() == CONTENT


class TestAttributes:
    def test_signed_attributes(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        when = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        der = build_signed_data(CONTENT, _signer(fixture_pki, "alice"), signing_time=when)
        attrs = {a["type"].native: a["values"] for a in _signer_info(der)["signed_attrs"]}
        assert attrs["content_type"][0].native == "data"
        assert attrs["signing_time"][0].native == when
        caps = [c["capability_id"].dotted for c in attrs["smime_capabilities"][0]]
        assert caps[0] == "2.16.840.1.101.3.4.1.46"  # aes256-gcm first: most preferred
        assert len(caps) == len(OUR_CAPABILITIES)
        pref = attrs["encrypt_key_pref"][0].chosen
        assert pref["serial_number"].native == fixture_pki.alice.cert.serial_number

    def test_separate_encryption_cert_is_preferred_and_included(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        enc = pki.make_leaf(fixture_pki.intermediate, "alice@example.org", usage="encrypt")
        signer = SigningKey(
            fixture_pki.alice.cert,
            fixture_pki.alice.key,
            (fixture_pki.intermediate.cert,),
            enc.cert,
        )
        der = build_signed_data(CONTENT, signer)
        attrs = {a["type"].native: a["values"] for a in _signer_info(der)["signed_attrs"]}
        assert attrs["encrypt_key_pref"][0].chosen["serial_number"].native == enc.cert.serial_number
        serials = [
            c.chosen.serial_number for c in cms.ContentInfo.load(der)["content"]["certificates"]
        ]
        assert enc.cert.serial_number in serials

    def test_chain_included_root_left_out(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        der = build_signed_data(CONTENT, _signer(fixture_pki, "alice"))
        certs = cms.ContentInfo.load(der)["content"]["certificates"]
        serials = {c.chosen.serial_number for c in certs}
        assert fixture_pki.alice.cert.serial_number in serials
        assert fixture_pki.intermediate.cert.serial_number in serials
        assert fixture_pki.root.cert.serial_number not in serials

    def test_certs_left_out_on_request(self, fixture_pki, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        der = build_signed_data(
            CONTENT, _signer(fixture_pki, "alice"), options=SignOptions(include_certs=False)
        )
        assert not cms.ContentInfo.load(der)["content"]["certificates"]
        # Without certificates openssl cannot find the signer unless given it: proves absence.
        assert _verify(tmp_path, pki_dir, der, CONTENT).returncode != 0

    def test_ed25519_signature_is_over_der_attributes(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        # OpenSSL 3.0 cannot do Ed25519 CMS at all, so check RFC 8419 structure directly.
        ed = pki.make_leaf(fixture_pki.intermediate, "ed@example.org", key_kind="ed25519")
        der = build_signed_data(CONTENT, SigningKey(ed.cert, ed.key))
        info = _signer_info(der)
        assert info["digest_algorithm"]["algorithm"].native == "sha512"
        assert info["signature_algorithm"]["algorithm"].native == "ed25519"
        ed.key.public_key().verify(info["signature"].native, info["signed_attrs"].untag().dump())

    def test_unsupported_key_is_an_identity_error(self, fixture_pki) -> None:  # type: ignore[no-untyped-def]
        from cryptography.hazmat.primitives.asymmetric import dsa

        key = dsa.generate_private_key(2048)
        with pytest.raises(IdentityError):
            build_signed_data(CONTENT, SigningKey(fixture_pki.alice.cert, key))  # type: ignore[arg-type]
