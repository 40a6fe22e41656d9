"""Issue 14: digital IDs on PKCS#11 tokens, against SoftHSM2 (a real module) and OpenSSL.

Keys are loaded into SoftHSM2 with pkcs11-tool; smimetui signs and decrypts through the module
(C_Sign, C_Decrypt, C_DeriveKey); OpenSSL verifies what the token signed and encrypts what the
token must open.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from smimetui.cli.main import main
from smimetui.core.cms.certinfo import CertInfo
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.makecerts import Issued
from smimetui.core.pki.tokens import errors, ids
from smimetui.core.pki.tokens.pin import ChainedPins, FilePin
from smimetui.core.pki.tokens.registry import TokenModule, add_module
from smimetui.core.settings.accounts import Account, add_account
from smimetui.core.settings.home import Home
from tests.support.pki import FixturePKI
from tests.support.servers.softhsm import MODULE, PIN, SoftHsm

pytestmark = pytest.mark.openssl

DRAFT = "From: {sender}\r\nTo: {to}\r\nSubject: token test\r\n\r\nSigned on the card.\r\n"


@dataclass
class Card:
    """A SoftHSM2 token named "card" in smimetui, with one ID on it."""

    home: Home
    hsm: SoftHsm
    issued: Issued
    ref: str  # token:card/<sha256>
    pin_file: Path


def _ref(issued: Issued) -> str:
    return f"token:card/{CertInfo.from_der(issued.der).sha256}"


def _pin_file(tmp_path: Path, pin: str = PIN) -> Path:
    path = tmp_path / "pin"
    path.write_text(pin + "\n")
    return path


def _card(home: Home, hsm: SoftHsm, tmp_path: Path, issued: Issued, ca: Issued) -> Card:
    hsm.init_token("card-a")
    hsm.import_id("card-a", issued, "01")
    hsm.import_cert("card-a", ca, "c0", "issuer")  # cards often carry their issuer
    return Card(home, hsm, issued, _ref(issued), _pin_file(tmp_path))


@pytest.fixture
def rsa_card(card_home: Home, softhsm: SoftHsm, tmp_path: Path, fixture_pki: FixturePKI) -> Card:
    return _card(card_home, softhsm, tmp_path, fixture_pki.alice, fixture_pki.intermediate)


@pytest.fixture
def ec_card(card_home: Home, softhsm: SoftHsm, tmp_path: Path, fixture_pki: FixturePKI) -> Card:
    return _card(card_home, softhsm, tmp_path, fixture_pki.bob, fixture_pki.intermediate)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _sign(card: Card, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Path:
    sender = CertInfo.from_der(card.issued.der).email[0]
    draft = tmp_path / "draft.eml"
    draft.write_text(DRAFT.format(sender=sender, to="someone@example.net"))
    out = tmp_path / "signed.eml"
    code, _, err = _cli(
        capsys,
        "sign",
        str(draft),
        "-o",
        str(out),
        "--signing-id",
        card.ref,
        "--pin-file",
        str(card.pin_file),
        *extra,
    )
    assert code == 0, err
    return out


def _openssl_verify(message: Path, pki_dir: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            # Only the root: the intermediate travels in the message, taken from the card.
            "openssl",
            "cms",
            "-verify",
            "-in",
            str(message),
            "-CAfile",
            str(pki_dir["root"]),
            "-purpose",
            "smimesign",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class TestRegistration:
    def test_add_list_remove(self, home: Home, softhsm: SoftHsm, capsys) -> None:  # type: ignore[no-untyped-def]
        softhsm.init_token("empty")
        code, out, _ = _cli(capsys, "token", "add", "card", "--module", MODULE)
        assert code == 0 and "Added token card" in out
        code, out, _ = _cli(capsys, "token", "list", "--json")
        listed = json.loads(out)
        assert listed[0]["name"] == "card"
        assert [t["label"] for t in listed[0]["tokens"]] == ["empty"]
        code, out, _ = _cli(capsys, "token", "remove", "card")
        assert code == 0
        code, out, _ = _cli(capsys, "token", "list")
        assert "No tokens yet" in out

    def test_module_path_that_does_not_exist(self, home: Home, capsys) -> None:  # type: ignore[no-untyped-def]
        code, _, err = _cli(capsys, "token", "add", "card", "--module", "/nowhere/p11.so")
        assert code == 2
        assert err.strip().count("\n") == 0 and "does not exist" in err

    def test_a_file_that_is_no_module_is_refused_and_not_kept(
        self,
        home: Home,
        tmp_path: Path,
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        fake = tmp_path / "fake.so"
        fake.write_bytes(b"not a library")
        code, _, err = _cli(capsys, "token", "add", "card", "--module", str(fake))
        assert code == 2 and "cannot be loaded" in err and "Traceback" not in err
        code, out, _ = _cli(capsys, "token", "list", "--json")
        assert json.loads(out) == []

    def test_module_missing_later_is_one_sentence(
        self,
        home: Home,
        softhsm: SoftHsm,
        tmp_path: Path,
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        copy = tmp_path / "vendor-p11.so"
        shutil.copy(MODULE, copy)
        add_module(home, "vendor", str(copy))
        copy.unlink()  # the vendor package was uninstalled
        code, out, _ = _cli(capsys, "token", "list")
        assert "vendor-p11.so of token vendor is missing" in out
        code, _, err = _cli(capsys, "id", "list")
        assert code == 0 and "is missing" in err  # the keystore IDs still list
        ref = "token:vendor/" + "ab" * 16
        draft = tmp_path / "d.eml"
        draft.write_text(DRAFT.format(sender="alice@example.org", to="x@example.net"))
        code, _, err = _cli(capsys, "sign", str(draft), "--signing-id", ref)
        assert code == 2 and "is missing" in err and len(err.strip().splitlines()) == 1


def _listed(out: str, ref: str) -> dict[str, object]:
    certs = json.loads(out)[0]["tokens"][0]["certificates"]
    return next(c for c in certs if c["id"] == ref)


class TestListing:
    def test_private_keys_behind_the_pin_then_seen(self, rsa_card: Card, capsys) -> None:  # type: ignore[no-untyped-def]
        code, out, _ = _cli(capsys, "token", "list", "--json")
        cert = _listed(out, rsa_card.ref)
        assert cert["private_key"] == ids.KEY_BEHIND_PIN
        assert cert["signing"] and cert["encryption"]
        code, out, _ = _cli(capsys, "token", "list", "--json", "--pin-file", str(rsa_card.pin_file))
        cert = _listed(out, rsa_card.ref)
        assert cert["private_key"] == ids.KEY_ON_TOKEN

    def test_separate_signing_and_encryption_keys(
        self,
        card_home: Home,
        softhsm: SoftHsm,
        fixture_pki: FixturePKI,
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        inter = fixture_pki.intermediate
        signing = pki.make_leaf(inter, "piv@example.org", common_name="PIV", usage="sign")
        encryption = pki.make_leaf(inter, "piv@example.org", common_name="PIV", usage="encrypt")
        softhsm.init_token("piv")
        softhsm.import_id("piv", signing, "9c", "Digital Signature")
        softhsm.import_id("piv", encryption, "9d", "Key Management")
        softhsm.import_cert("piv", inter, "c0", "issuer")  # a CA certificate, no key
        code, out, _ = _cli(capsys, "token", "list", "--json")
        certs = {c["label"]: c for c in json.loads(out)[0]["tokens"][0]["certificates"]}
        assert (
            certs["Digital Signature"]["signing"],
            certs["Digital Signature"]["encryption"],
        ) == (True, False)
        assert (certs["Key Management"]["signing"], certs["Key Management"]["encryption"]) == (
            False,
            True,
        )
        assert certs["issuer"]["private_key"] == ids.NO_KEY
        code, out, _ = _cli(capsys, "token", "list")
        assert "for signing;" in out and "for encryption;" in out

    def test_id_list_marks_token_ids(self, rsa_card: Card, capsys) -> None:  # type: ignore[no-untyped-def]
        code, out, _ = _cli(capsys, "id", "list")
        line = next(row for row in out.splitlines() if row.startswith("token:card/"))
        assert "alice@example.org" in line and "(on token)" in line
        code, out, _ = _cli(capsys, "id", "list", "--json")
        entry = json.loads(out)[-1]
        assert entry["id"] == rsa_card.ref and entry["token"] == "card"

    def test_a_card_inserted_later_is_found(
        self,
        card_home: Home,
        softhsm: SoftHsm,
        fixture_pki: FixturePKI,
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        code, out, _ = _cli(capsys, "token", "list")
        assert "no token inserted" in out
        softhsm.init_token("late")
        softhsm.import_id("late", fixture_pki.alice, "01")
        code, out, _ = _cli(capsys, "token", "list")  # same process, module not restarted by us
        assert "token late" in out and "alice@example.org" in out


class TestSigning:
    @pytest.mark.parametrize(
        ("card_name", "extra", "algorithm"),
        [
            ("rsa_card", (), "rsaEncryption"),
            ("rsa_card", ("--rsa-pss",), "rsassaPss"),
            ("ec_card", (), "ecdsa-with-SHA256"),
        ],
    )
    def test_openssl_verifies_what_the_token_signed(
        self,
        request: pytest.FixtureRequest,
        card_name: str,
        extra: tuple[str, ...],
        algorithm: str,
        tmp_path: Path,
        pki_dir: dict[str, Path],
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        card: Card = request.getfixturevalue(card_name)
        signed = _sign(card, tmp_path, capsys, *extra)
        done = _openssl_verify(signed, pki_dir)
        assert done.returncode == 0, done.stderr
        assert "Verification successful" in done.stderr
        printed = subprocess.run(
            ["openssl", "cms", "-cmsout", "-print", "-in", str(signed)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert algorithm in printed

    def test_the_key_never_leaves_the_token(self, rsa_card: Card) -> None:
        pins = ChainedPins(FilePin(rsa_card.pin_file))
        found, _chain = ids.find_id(rsa_card.home, rsa_card.ref)
        key = ids.private_key(found, pins)
        with pytest.raises(errors.TokenError, match="never leaves the token"):
            key.private_numbers()

    def test_send_with_a_token_id_bound_to_the_account(
        self,
        rsa_card: Card,
        tmp_path: Path,
        pki_dir: dict[str, Path],
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        from smimetui.core.mail.maildir.backend import MaildirBackend

        maildir = tmp_path / "Mail"
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True)
        add_account(
            rsa_card.home,
            Account(
                name="work",
                email="alice@example.org",
                maildir=str(maildir),
                signing_id=rsa_card.ref,
                encryption_id=rsa_card.ref,
            ),
        )
        draft = tmp_path / "out.eml"
        draft.write_text(DRAFT.format(sender="alice@example.org", to="bob@example.org"))
        code, out, err = _cli(
            capsys,
            "send",
            str(draft),
            "--sign",
            "--no-encrypt",
            "--pin-file",
            str(rsa_card.pin_file),
        )
        assert code == 0, err
        backend = MaildirBackend(maildir)
        outbox = [f for f in backend.list_folders() if "Outbox" in str(f)]
        assert outbox, backend.list_folders()
        index = backend.open_folder(getattr(outbox[0], "name", outbox[0]), None)
        raw = backend.fetch_raw(getattr(outbox[0], "name", outbox[0]), index.summary(0).uid)
        sent = tmp_path / "sent.eml"
        sent.write_bytes(raw)
        done = _openssl_verify(sent, pki_dir)
        assert done.returncode == 0, done.stderr

    def test_the_write_path_encrypts_to_yourself_on_the_token(
        self, rsa_card: Card, tmp_path: Path
    ) -> None:
        """The compose screen's copy to yourself and its recipient line use the token's
        certificate when encryption_id is a token ID (core/write, shared with the CLI)."""
        from cryptography.hazmat.primitives.serialization import Encoding

        from smimetui.core.pki.passphrase import ChainedPassphrases
        from smimetui.core.write.recipient_check import _self_line
        from smimetui.core.write.send import Writer, self_recipient

        account = Account(
            name="work",
            email="alice@example.org",
            maildir=str(tmp_path / "Mail"),
            encryption_id=rsa_card.ref,
        )
        writer = Writer(rsa_card.home, account, ChainedPassphrases())
        me = self_recipient(writer)
        assert me.is_self and me.cert.public_bytes(Encoding.PEM) == (rsa_card.issued.cert_pem)
        assert _self_line(writer, "alice@example.org").ok


def _openssl_encrypt(card: Card, tmp_path: Path, *keyopt: str) -> Path:
    body = tmp_path / "body.txt"
    body.write_text("Content-Type: text/plain\r\n\r\nThe door code is 4711.\r\n")
    cert = tmp_path / "recipient.pem"
    cert.write_bytes(card.issued.cert_pem)
    out = tmp_path / "encrypted.eml"
    args = [
        "openssl",
        "cms",
        "-encrypt",
        "-aes256",
        "-in",
        str(body),
        "-out",
        str(out),
        "-from",
        "sender@example.net",
        "-subject",
        "for the card",
    ]
    if keyopt:
        args += ["-recip", str(cert), *keyopt]
    else:
        args += [str(cert)]
    subprocess.run(args, capture_output=True, timeout=60, check=True)
    return out


class TestDecrypting:
    @pytest.mark.parametrize(
        ("card_name", "keyopt", "how"),
        [
            ("rsa_card", (), "RSA PKCS#1 v1.5"),
            ("rsa_card", ("-keyopt", "rsa_padding_mode:oaep"), "RSA-OAEP"),
            ("ec_card", (), "ECDH P-256"),
        ],
    )
    def test_what_openssl_encrypts_to_the_token_opens(
        self,
        request: pytest.FixtureRequest,
        card_name: str,
        keyopt: tuple[str, ...],
        how: str,
        tmp_path: Path,
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        card: Card = request.getfixturevalue(card_name)
        message = _openssl_encrypt(card, tmp_path, *keyopt)
        code, out, err = _cli(
            capsys, "inspect", str(message), "--json", "--pin-file", str(card.pin_file)
        )
        assert code in (0, 1), err
        assert "The door code is 4711." in out
        report = json.loads(out)
        assert how in json.dumps(report["encryption"])  # the key management that was used

    def test_oaep_with_sha256_says_what_the_token_cannot_do(
        self,
        rsa_card: Card,
        tmp_path: Path,
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        # SoftHSM2 2.6 knows RSA-OAEP only with SHA-1: the sentence names what was refused.
        message = _openssl_encrypt(
            rsa_card,
            tmp_path,
            "-keyopt",
            "rsa_padding_mode:oaep",
            "-keyopt",
            "rsa_oaep_md:sha256",
            "-keyopt",
            "rsa_mgf1_md:sha256",
        )
        code, out, err = _cli(capsys, "inspect", str(message), "--pin-file", str(rsa_card.pin_file))
        text = out + err
        assert "4711" not in text
        assert "cannot decrypt RSA-OAEP with SHA256" in text


class TestPin:
    def test_wrong_pin_is_one_sentence_with_tries_left(
        self,
        rsa_card: Card,
        tmp_path: Path,
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        wrong = tmp_path / "wrong-pin"
        wrong.write_text("000000\n")
        draft = tmp_path / "d.eml"
        draft.write_text(DRAFT.format(sender="alice@example.org", to="x@example.net"))
        code, _, err = _cli(
            capsys, "sign", str(draft), "--signing-id", rsa_card.ref, "--pin-file", str(wrong)
        )
        assert code == 2
        # SoftHSM2 raises CKF_USER_PIN_COUNT_LOW after a wrong PIN: "few tries left".
        assert err.strip() == (
            "smimetui: The PIN for token card was wrong (few tries left); nothing was unlocked."
        )
        assert len(err.strip().splitlines()) == 1

    def test_no_pin_without_a_terminal_says_where_to_give_it(
        self,
        rsa_card: Card,
        tmp_path: Path,
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        draft = tmp_path / "d.eml"
        draft.write_text(DRAFT.format(sender="alice@example.org", to="x@example.net"))
        code, _, err = _cli(capsys, "sign", str(draft), "--signing-id", rsa_card.ref)
        assert code == 2 and "needs its PIN" in err and "--pin-file" in err

    def test_pin_not_set_on_the_token(
        self,
        card_home: Home,
        softhsm: SoftHsm,
        tmp_path: Path,  # type: ignore[no-untyped-def]
    ) -> None:
        # pkcs11-tool initialises a token without a user PIN: C_Login says so, in a sentence.
        softhsm.run(
            "pkcs11-tool",
            "--module",
            MODULE,
            "--init-token",
            "--label",
            "blank",
            "--so-pin",
            "12345678",
        )
        module = TokenModule("card", MODULE)
        views = ids.scan(module)
        assert [v.pin for v in views if v.label == "blank"] == ["no PIN set"]
        token = next(t for _s, t in ids.session.tokens(module) if t.label.strip() == "blank")
        with pytest.raises(errors.TokenPinError, match="no user PIN set"):
            ids.session.login(module, token, ChainedPins(FilePin(_pin_file(tmp_path))))

    def test_locked_pin_flag_is_one_sentence(self) -> None:
        # SoftHSM2 2.6.1 keeps no retry counter, so it never locks a PIN (CKR_PIN_LOCKED,
        # CKF_USER_PIN_LOCKED).  This checks the mapping with the binding's own flag value on
        # a token object that reports it; a real card's lock goes through the same branch.
        from pkcs11 import TokenFlag

        class LockedToken:
            serial = b"0042"
            flags = TokenFlag.USER_PIN_LOCKED | TokenFlag.LOGIN_REQUIRED

            def open(self, **_kw: object) -> None:
                raise AssertionError("a locked token must not be tried")

        with pytest.raises(errors.TokenPinLockedError) as caught:
            ids.session.login(TokenModule("card", MODULE), LockedToken(), ChainedPins())  # type: ignore[arg-type]
        assert str(caught.value) == (
            "The PIN of token card is locked after too many wrong tries; unblock it with the "
            "card's PUK or administrator tool, then try again."
        )


class TestRemoval:
    def test_a_token_that_disappears_mid_session(
        self,
        rsa_card: Card,
        tmp_path: Path,
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        found, _chain = ids.find_id(rsa_card.home, rsa_card.ref)
        key = ids.private_key(found, ChainedPins(FilePin(rsa_card.pin_file)))  # logged in
        key.sign(b"data", padding.PKCS1v15(), hashes.SHA256())
        rsa_card.hsm.delete_token("card-a")  # pulled out between two operations
        with pytest.raises(errors.TokenRemovedError, match="was removed|is not inserted"):
            key.sign(b"data", padding.PKCS1v15(), hashes.SHA256())
        draft = tmp_path / "again.eml"
        draft.write_text(DRAFT.format(sender="alice@example.org", to="x@example.net"))
        code, _, err = _cli(
            capsys,
            "sign",
            str(draft),
            "--signing-id",
            rsa_card.ref,
            "--pin-file",
            str(rsa_card.pin_file),
        )
        assert code == 2 and len(err.strip().splitlines()) == 1
        assert "insert the card" in err.lower() or "insert it" in err


class TestRememberedPin:
    def test_remember_checks_the_pin_then_signing_needs_no_pin_file(
        self,
        rsa_card: Card,
        tmp_path: Path,
        capsys,  # type: ignore[no-untyped-def]
    ) -> None:
        import keyring

        from tests.support.keyring import DictKeyring

        previous = keyring.get_keyring()
        backend = DictKeyring()
        keyring.set_keyring(backend)
        try:
            wrong = tmp_path / "wrong-pin"
            wrong.write_text("000000\n")
            code, _, err = _cli(
                capsys, "token", "pin", "card", "--remember", "--pin-file", str(wrong)
            )
            assert code == 2 and "was wrong" in err
            assert backend.data == {}  # a wrong PIN is never saved
            code, out, _ = _cli(
                capsys, "token", "pin", "card", "--remember", "--pin-file", str(rsa_card.pin_file)
            )
            assert code == 0 and "token:card" in out
            assert backend.data == {("smimetui", "token:card"): PIN}
            ids.session.reset()  # a new process: logged out
            draft = tmp_path / "d.eml"
            draft.write_text(DRAFT.format(sender="alice@example.org", to="x@example.net"))
            code, _, err = _cli(capsys, "sign", str(draft), "--signing-id", rsa_card.ref)
            assert code == 0, err
            code, _, _ = _cli(capsys, "token", "remove", "card")
            assert backend.data == {}  # removing the token forgets its PIN
        finally:
            keyring.set_keyring(previous)
