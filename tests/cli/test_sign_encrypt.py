"""``smimetui sign / encrypt / contacts`` end to end, checked with openssl and our read path."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.cms.sign import SigningKey
from smimetui.core.pki.keystore import Keystore
from smimetui.core.pki.trust import TrustStore
from smimetui.core.write.sign_encrypt import compose
from tests.support.openssl import ok
from tests.support.openssl import openssl_run as openssl

PASS = b"correct horse"
DRAFT = (
    b"From: Alice Liddell <alice@example.org>\n"
    b"To: Bob <bob@example.org>\n"
    b"Cc: frank@example.org\n"
    b"Bcc: alice@example.org\n"
    b"Subject: the real subject\n"
    b"\n"
    b"Meet at noon.\n"
)


@pytest.fixture
def setup(home, fixture_pki, tmp_path):  # type: ignore[no-untyped-def]
    """Alice's home: her ID, the fixture root trusted, a passphrase file."""
    Keystore(home).add(
        fixture_pki.alice.cert, fixture_pki.alice.key, [fixture_pki.intermediate.cert], PASS
    )
    TrustStore(home).add(fixture_pki.root.cert_pem)
    pf = tmp_path / "pass"
    pf.write_bytes(PASS + b"\n")
    draft = tmp_path / "in.eml"
    draft.write_bytes(DRAFT)
    return {"pass": str(pf), "draft": str(draft), "out": str(tmp_path / "out.eml"), "tmp": tmp_path}


def _import(path: Path | str, *extra: str) -> int:
    return main(["contacts", "import", str(path), *extra])


def _contacts(pki_dir) -> None:  # type: ignore[no-untyped-def]
    assert _import(pki_dir["bob"]) == 0
    assert _import(pki_dir["frank_p384"]) == 0


class TestSign:
    @pytest.mark.parametrize("opaque", [False, True])
    def test_sign_verifies_in_openssl(self, setup, pki_dir, opaque) -> None:  # type: ignore[no-untyped-def]
        args = ["sign", setup["draft"], "-o", setup["out"], "--passphrase-file", setup["pass"]]
        assert main(args + (["--opaque"] if opaque else [])) == 0
        data = Path(setup["out"]).read_bytes()
        assert b"alice@example.org" in data.split(b"\r\n\r\n")[0]
        content = ok(openssl("cms", "-verify", "-in", setup["out"], "-CAfile", pki_dir["root"]))
        assert b"the real subject" in content and b'hp="clear"' in content

    def test_wrong_passphrase(self, setup, capsys) -> None:  # type: ignore[no-untyped-def]
        Path(setup["pass"]).write_text("wrong\n")
        assert (
            main(["sign", setup["draft"], "-o", setup["out"], "--passphrase-file", setup["pass"]])
            == 2
        )
        err = capsys.readouterr().err
        assert "passphrase" in err and "wrong" in err and err.count("\n") == 1

    def test_no_identity_for_from(self, setup, capsys) -> None:  # type: ignore[no-untyped-def]
        Path(setup["draft"]).write_bytes(DRAFT.replace(b"alice@example.org>", b"zoe@example.org>"))
        assert (
            main(["sign", setup["draft"], "-o", setup["out"], "--passphrase-file", setup["pass"]])
            == 2
        )
        err = capsys.readouterr().err
        assert "no digital ID for zoe@example.org" in err
        assert not Path(setup["out"]).exists()

    def test_unreadable_input(self, setup, capsys) -> None:  # type: ignore[no-untyped-def]
        assert main(["sign", str(setup["tmp"] / "missing.eml")]) == 2
        assert "cannot be read" in capsys.readouterr().err


class TestEncrypt:
    @pytest.mark.parametrize("who", ["bob", "frank_p384", "alice"])
    def test_sign_and_encrypt_readable_by_all(self, setup, pki_dir, who, capsys) -> None:  # type: ignore[no-untyped-def]
        _contacts(pki_dir)
        args = [
            "encrypt",
            "--sign",
            setup["draft"],
            "-o",
            setup["out"],
            "--passphrase-file",
            setup["pass"],
        ]
        assert main(args) == 0
        assert "AES-256-CBC" in capsys.readouterr().err  # nobody told us they read GCM
        data = Path(setup["out"]).read_bytes()
        outer = email.message_from_bytes(data, policy=policy.default)
        assert outer["Subject"] == "[...]" and outer["Bcc"] is None
        signed = ok(
            openssl(
                "cms",
                "-decrypt",
                "-in",
                setup["out"],
                "-recip",
                pki_dir[who],
                "-inkey",
                pki_dir[f"{who}.key"],
            )
        )
        src = setup["tmp"] / "signed.eml"
        src.write_bytes(signed)
        inner = ok(openssl("cms", "-verify", "-in", src, "-CAfile", pki_dir["root"]))
        assert b"Subject: the real subject" in inner and b'hp="cipher"' in inner

    def test_gcm_forced(self, setup, pki_dir, capsys) -> None:  # type: ignore[no-untyped-def]
        _contacts(pki_dir)
        args = [
            "encrypt",
            setup["draft"],
            "-o",
            setup["out"],
            "--cipher",
            "gcm",
            "--passphrase-file",
            setup["pass"],
        ]
        assert main(args) == 0
        assert "AES-256-GCM" in capsys.readouterr().err
        ok(
            openssl(
                "cms",
                "-decrypt",
                "-in",
                setup["out"],
                "-recip",
                pki_dir["bob"],
                "-inkey",
                pki_dir["bob.key"],
            )
        )

    def test_every_problem_named_on_one_line(self, setup, pki_dir, capsys) -> None:  # type: ignore[no-untyped-def]
        assert _import(pki_dir["carol_expired"]) == 0
        Path(setup["draft"]).write_bytes(
            DRAFT.replace(b"Cc: frank@example.org", b"Cc: carol@example.org, zed@example.org")
        )
        capsys.readouterr()
        assert (
            main(
                ["encrypt", setup["draft"], "-o", setup["out"], "--passphrase-file", setup["pass"]]
            )
            == 2
        )
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        for name in ("bob@example.org", "carol@example.org", "zed@example.org"):
            assert name in err
        assert "expired" in err and not Path(setup["out"]).exists()

    def test_round_trip_through_inspect(self, setup, pki_dir, capsys) -> None:  # type: ignore[no-untyped-def]
        _contacts(pki_dir)
        args = [
            "encrypt",
            "--sign",
            setup["draft"],
            "-o",
            setup["out"],
            "--passphrase-file",
            setup["pass"],
        ]
        assert main(args) == 0
        capsys.readouterr()
        assert main(["inspect", setup["out"], "--json", "--passphrase-file", setup["pass"]]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["subject"] == "the real subject"
        assert report["headers_protected"] is True
        assert report["encryption"]["status"] == "decrypted"
        sig = report["signature"]
        assert (sig["status"], sig["chain"], sig["from_match"]) == ("good", "trusted", True)
        assert "Meet at noon." in report["text"]


class TestEncryptBcc:
    """RFC 5322 §3.6.3: Bcc recipients stay hidden; the To/Cc ciphertext must not name them."""

    def _draft(self, setup) -> None:  # type: ignore[no-untyped-def]
        Path(setup["draft"]).write_bytes(
            DRAFT.replace(b"Cc: frank@example.org\n", b"").replace(
                b"Bcc: alice@example.org", b"Bcc: frank@example.org"
            )
        )

    def test_bcc_copy_written_beside_the_output(self, setup, pki_dir, capsys) -> None:  # type: ignore[no-untyped-def]
        _contacts(pki_dir)
        self._draft(setup)
        args = ["encrypt", setup["draft"], "-o", setup["out"], "--passphrase-file", setup["pass"]]
        assert main(args) == 0
        err = capsys.readouterr().err
        copy = setup["tmp"] / "out.bcc1.eml"
        assert "copy for frank@example.org is encrypted separately" in err and str(copy) in err

        def decrypt(path: Path | str, who: str) -> int:
            proc = openssl(
                "cms",
                "-decrypt",
                "-in",
                path,
                "-recip",
                pki_dir[who],
                "-inkey",
                pki_dir[f"{who}.key"],
            )
            return proc.returncode

        assert decrypt(setup["out"], "bob") == 0 and decrypt(setup["out"], "frank_p384") != 0
        assert decrypt(copy, "frank_p384") == 0 and decrypt(copy, "bob") != 0

    def test_bcc_needs_an_output_file(self, setup, pki_dir, capsys) -> None:  # type: ignore[no-untyped-def]
        _contacts(pki_dir)
        self._draft(setup)
        capsys.readouterr()
        assert main(["encrypt", setup["draft"], "--passphrase-file", setup["pass"]]) == 2
        captured = capsys.readouterr()
        assert "give -o OUT.eml" in captured.err and captured.out == ""


class TestContacts:
    def test_import_pem_list_show_remove(self, home, pki_dir, capsys) -> None:  # type: ignore[no-untyped-def]
        _contacts(pki_dir)
        capsys.readouterr()
        assert main(["contacts", "list", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert [c["addresses"][0]["address"] for c in data] == [
            "bob@example.org",
            "frank@example.org",
        ]
        assert main(["contacts", "show", "bob@example.org"]) == 0
        assert "file" in capsys.readouterr().out
        assert main(["contacts", "remove", "bob@example.org"]) == 0
        assert main(["contacts", "show", "bob@example.org"]) == 2

    def test_import_p7b_bundle_and_der(self, home, pki_dir, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        bundle = tmp_path / "b.p7b"
        ok(
            openssl(
                "crl2pkcs7",
                "-nocrl",
                "-certfile",
                pki_dir["bob"],
                "-certfile",
                pki_dir["intermediate"],
                "-outform",
                "DER",
                "-out",
                bundle,
            )
        )
        assert _import(bundle) == 0
        der = tmp_path / "a.der"
        ok(openssl("x509", "-in", pki_dir["alice"], "-outform", "DER", "-out", der))
        assert _import(der) == 0
        assert "Imported 1 certificate" in capsys.readouterr().out

    def test_import_certs_only_message(self, home, pki_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
        p7 = tmp_path / "c.p7c"
        ok(
            openssl(
                "crl2pkcs7", "-nocrl", "-certfile", pki_dir["bob"], "-outform", "DER", "-out", p7
            )
        )
        import base64

        msg = (
            b"From: bob@example.org\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: application/pkcs7-mime; smime-type=certs-only; name=smime.p7c\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(p7.read_bytes())
        )
        eml = tmp_path / "certs.eml"
        eml.write_bytes(msg)
        assert _import(eml) == 0
        assert main(["contacts", "show", "bob@example.org"]) == 0

    def _signed_by_bob(self, fixture_pki, tmp_path, sender: bytes = b"bob@example.org") -> Path:  # type: ignore[no-untyped-def]
        signer = SigningKey(
            fixture_pki.bob.cert, fixture_pki.bob.key, (fixture_pki.intermediate.cert,)
        )
        raw = b"From: " + sender + b"\nTo: alice@example.org\nSubject: hi\n\nhello\n"
        path = tmp_path / "signed.eml"
        path.write_bytes(compose(raw, signer=signer).data)
        return path

    def test_import_signed_mail_harvests_capabilities(
        self, setup, fixture_pki, tmp_path, capsys
    ) -> None:  # type: ignore[no-untyped-def]
        assert _import(self._signed_by_bob(fixture_pki, tmp_path)) == 0
        capsys.readouterr()
        assert main(["contacts", "show", "bob@example.org", "--json"]) == 0
        addr = json.loads(capsys.readouterr().out)["addresses"][0]
        assert addr["capabilities"][0] == "aes256-gcm"
        assert addr["certificates"][0]["source"] == "signed mail"
        # Now bob reads GCM: encryption picks it.
        Path(setup["draft"]).write_bytes(DRAFT.replace(b"Cc: frank@example.org\n", b""))
        assert (
            main(
                ["encrypt", setup["draft"], "-o", setup["out"], "--passphrase-file", setup["pass"]]
            )
            == 0
        )
        assert "AES-256-GCM" in capsys.readouterr().err

    def test_signed_mail_from_someone_else_refused(
        self, setup, fixture_pki, tmp_path, capsys
    ) -> None:  # type: ignore[no-untyped-def]
        assert _import(self._signed_by_bob(fixture_pki, tmp_path, b"mallory@example.org")) == 2
        assert "does not match From" in capsys.readouterr().err
        assert main(["contacts", "show", "bob@example.org"]) == 2

    def test_tampered_signed_mail_refused(self, setup, fixture_pki, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        path = self._signed_by_bob(fixture_pki, tmp_path)
        path.write_bytes(path.read_bytes().replace(b"hello", b"jello"))
        assert _import(path) == 2
        assert "signature is not good" in capsys.readouterr().err

    def test_changed_certificate_needs_yes(self, home, pki_dir, capsys) -> None:  # type: ignore[no-untyped-def]
        assert _import(pki_dir["alice"]) == 0
        assert _import(pki_dir["rogue_alice"]) == 2
        err = capsys.readouterr().err
        assert "changed" in err and "--yes" in err
        assert main(["contacts", "show", "alice@example.org", "--json"]) == 0
        assert len(json.loads(capsys.readouterr().out)["addresses"][0]["certificates"]) == 1
        assert _import(pki_dir["rogue_alice"], "--yes") == 0
        capsys.readouterr()
        assert main(["contacts", "show", "alice@example.org", "--json"]) == 0
        certs = json.loads(capsys.readouterr().out)["addresses"][0]["certificates"]
        assert len(certs) == 2 and not any(c["pending"] for c in certs)

    def test_garbage_file(self, home, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
        junk = tmp_path / "junk.bin"
        junk.write_bytes(b"\x00\x01not a certificate")
        assert _import(junk) == 2
        assert "neither a certificate" in capsys.readouterr().err
