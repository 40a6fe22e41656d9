"""The keystore: PKCS#12 import (cryptography- and openssl-made), keys encrypted at rest, lookup,
lazy unlocking through passphrase sources, and decrypting real openssl mail with stored IDs."""

from __future__ import annotations

import datetime as dt
import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from keyring.backends import fail

from smimetui.core.cms.envelope import decrypt_envelope
from smimetui.core.errors import IdentityError, InputError, KeyUnlockError
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.keystore import DigitalId, Keystore
from smimetui.core.pki.makecerts import Issued
from smimetui.core.pki.passphrase import (
    CachedPassphrases,
    ChainedPassphrases,
    FilePassphrase,
    KeyringPassphrase,
    PromptPassphrase,
    read_passphrase_file,
)
from smimetui.core.settings.home import Home
from tests.support.keyring import DictKeyring
from tests.support.openssl import openssl, requires_openssl

PW = b"correct horse battery staple"
MIME = b"Content-Type: text/plain\r\n\r\nfor your eyes only\r\n"


def p12_of(issued: Issued, chain: list[Issued], passphrase: bytes | None = PW) -> bytes:
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        b"my id", issued.key, issued.cert, [c.cert for c in chain], enc
    )


@pytest.fixture
def store(home: Home) -> Keystore:
    return Keystore(home)


@pytest.fixture
def alice_id(store: Keystore, fixture_pki) -> DigitalId:
    return store.import_pkcs12(p12_of(fixture_pki.alice, [fixture_pki.intermediate]), PW)


class TestImportPkcs12:
    def test_cryptography_made_file(self, store: Keystore, fixture_pki) -> None:
        ident = store.import_pkcs12(p12_of(fixture_pki.alice, [fixture_pki.intermediate]), PW)
        assert ident.id == hashlib.sha256(fixture_pki.alice.der).hexdigest()
        assert ident.emails == ("alice@example.org",)
        assert ident.cert.display_name == "Alice Liddell"
        assert [c.display_name for c in ident.chain] == ["Fixture Intermediate CA"]
        assert ident.can_sign and ident.can_encrypt
        assert ident.load_cert() == fixture_pki.alice.cert
        assert store.unlock(ident, PW).private_numbers() == fixture_pki.alice.key.private_numbers()

    @requires_openssl
    @pytest.mark.parametrize("legacy", [False, True], ids=["aes-default", "legacy-rc2-3des"])
    def test_openssl_made_file(self, store, fixture_pki, pki_dir, tmp_path, legacy) -> None:
        out = tmp_path / "bob.p12"
        openssl(
            "pkcs12", "-export", *(["-legacy"] if legacy else []),
            "-in", pki_dir["bob"], "-inkey", pki_dir["bob.key"],
            "-certfile", pki_dir["intermediate"], "-passout", "pass:s3cret", "-out", out,
        )  # fmt: skip
        ident = store.import_pkcs12(out.read_bytes(), b"s3cret")
        assert ident.emails == ("bob@example.org",)
        assert len(ident.chain) == 1
        key = store.unlock(ident, b"s3cret")
        assert key.private_numbers() == fixture_pki.bob.key.private_numbers()

    def test_wrong_passphrase(self, store: Keystore, fixture_pki) -> None:
        data = p12_of(fixture_pki.alice, [])
        with pytest.raises(KeyUnlockError, match=r"^The passphrase for alice\.p12 is wrong\.$"):
            store.import_pkcs12(data, b"nope", name="alice.p12")
        assert store.list() == []

    def test_missing_passphrase(self, store: Keystore, fixture_pki) -> None:
        with pytest.raises(KeyUnlockError, match="protected by a passphrase"):
            store.import_pkcs12(p12_of(fixture_pki.alice, []), None)

    @pytest.mark.parametrize("data", [b"", b"not a p12 at all", b"\x30\x03\x02\x01\x03"])
    def test_garbage_is_input_error(self, store: Keystore, data: bytes) -> None:
        with pytest.raises(InputError, match="not a PKCS#12"):
            store.import_pkcs12(data, PW, name="x.p12")

    @requires_openssl
    def test_certificates_only(self, store, pki_dir, tmp_path) -> None:
        out = tmp_path / "certs.p12"
        openssl(
            "pkcs12", "-export", "-nokeys", "-in", pki_dir["alice"],
            "-passout", "pass:x", "-out", out,
        )  # fmt: skip
        with pytest.raises(InputError, match="no private key"):
            store.import_pkcs12(out.read_bytes(), b"x")

    def test_unprotected_file_needs_a_new_passphrase(self, store: Keystore, fixture_pki) -> None:
        data = p12_of(fixture_pki.alice, [], passphrase=None)
        with pytest.raises(IdentityError, match="keys are never stored unencrypted"):
            store.import_pkcs12(data, None)
        ident = store.import_pkcs12(data, None, store_passphrase=b"fresh")
        assert store.unlock(ident, b"fresh")

    def test_store_passphrase_replaces_the_file_passphrase(self, store, fixture_pki) -> None:
        ident = store.import_pkcs12(p12_of(fixture_pki.bob, []), PW, store_passphrase=b"other")
        store.unlock(ident, b"other")
        with pytest.raises(KeyUnlockError, match="bob@example.org is wrong"):
            store.unlock(ident, PW)

    def test_reimport_keeps_chain_and_added(self, store: Keystore, fixture_pki) -> None:
        first = store.import_pkcs12(p12_of(fixture_pki.alice, [fixture_pki.intermediate]), PW)
        again = store.import_pkcs12(p12_of(fixture_pki.alice, []), PW, store_passphrase=b"new")
        assert again.id == first.id and again.added == first.added
        assert len(again.chain) == 1
        assert len(store.list()) == 1
        store.unlock(again, b"new")

    def test_add_refuses_a_key_of_another_certificate(self, store, fixture_pki) -> None:
        with pytest.raises(InputError, match="does not belong"):
            store.add(fixture_pki.alice.cert, fixture_pki.carol_expired.key, [], PW)

    def test_add_refuses_an_empty_passphrase(self, store, fixture_pki) -> None:
        with pytest.raises(IdentityError, match="never stored unencrypted"):
            store.add(fixture_pki.alice.cert, fixture_pki.alice.key, [], b"")


class TestAtRest:
    def test_key_file_is_encrypted(self, store, alice_id, fixture_pki) -> None:
        folder = store.root / alice_id.id
        key_pem = (folder / "key.pem").read_bytes()
        assert key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        clear_der = fixture_pki.alice.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        d = fixture_pki.alice.key.private_numbers().d
        secret = d.to_bytes((d.bit_length() + 7) // 8, "big")
        for path in store.root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert b"BEGIN PRIVATE KEY" not in data and b"BEGIN RSA PRIVATE KEY" not in data
                assert clear_der not in data and secret[:32] not in data

    def test_file_and_directory_modes(self, store, alice_id) -> None:
        assert stat.S_IMODE(store.root.stat().st_mode) == 0o700
        folder = store.root / alice_id.id
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        for path in folder.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


class TestLookup:
    @pytest.fixture
    def renewed(self, store, fixture_pki, alice_id) -> DigitalId:
        """A second, newer certificate for alice@example.org with a new key."""
        later = pki.utcnow() + dt.timedelta(minutes=1)
        issued = pki.make_leaf(
            fixture_pki.intermediate, "alice@example.org", common_name="Alice", not_before=later
        )
        return store.add(issued.cert, issued.key, [fixture_pki.intermediate.cert], b"renewed")

    def test_several_ids_per_address_newest_first(self, store, alice_id, renewed) -> None:
        assert [i.id for i in store.find("alice@example.org")] == [renewed.id, alice_id.id]
        assert [i.id for i in store.list()] == [renewed.id, alice_id.id]

    def test_domain_is_case_insensitive(self, store, alice_id) -> None:
        assert store.find("alice@EXAMPLE.Org") == [alice_id]
        assert store.find("bob@example.org") == []

    def test_get_by_prefix_and_address(self, store, alice_id, renewed) -> None:
        assert store.get(alice_id.id[:8]) == alice_id
        assert store.get(alice_id.id.upper()[:10]) == alice_id
        with pytest.raises(IdentityError, match="matches 2 digital IDs"):
            store.get("alice@example.org")
        with pytest.raises(IdentityError, match="No digital ID matches"):
            store.get("ffff" if not alice_id.id.startswith("ffff") else "0000")
        with pytest.raises(IdentityError):
            store.get("")

    def test_remove(self, store, alice_id, renewed) -> None:
        removed = store.remove(alice_id.id[:12])
        assert removed == alice_id
        assert not (store.root / alice_id.id).exists()
        assert store.list() == [renewed]

    def test_unreadable_entry_is_skipped_not_deleted(self, store, alice_id) -> None:
        broken = store.root / ("0" * 64)
        broken.mkdir()
        (broken / "cert.pem").write_text("garbage")
        assert store.list() == [alice_id]
        assert store.skipped == [broken] and broken.exists()


class Prompter:
    """A terminal stand-in: answers prompts from a script and records them."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers.pop(0) if self.answers else ""

    def source(self) -> PromptPassphrase:
        return PromptPassphrase(reader=self, is_interactive=lambda: True)


class TestPassphraseSources:
    def test_file_first_line_without_newline(self, tmp_path: Path) -> None:
        f = tmp_path / "pw"
        f.write_bytes(b"s3cret\r\nsecond line\n")
        assert read_passphrase_file(f) == b"s3cret"
        f.write_bytes(b"trailing space \n")
        assert read_passphrase_file(f) == b"trailing space "

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="cannot be read"):
            read_passphrase_file(tmp_path / "missing")

    def test_file_source_unlocks(self, store, alice_id, tmp_path) -> None:
        (tmp_path / "pw").write_bytes(PW + b"\n")
        assert store.unlock_with(alice_id, FilePassphrase(tmp_path / "pw"))

    def test_wrong_file_names_what_was_tried(self, store, alice_id, tmp_path) -> None:
        (tmp_path / "pw").write_bytes(b"wrong\n")
        with pytest.raises(KeyUnlockError) as err:
            store.unlock_with(alice_id, FilePassphrase(tmp_path / "pw"))
        assert str(err.value) == (
            "The passphrase for your digital ID alice@example.org is wrong "
            "(tried the passphrase file)."
        )

    def test_no_prompt_without_a_terminal(self, store, alice_id) -> None:
        prompter = Prompter(PW.decode())
        source = PromptPassphrase(reader=prompter, is_interactive=lambda: False)
        with pytest.raises(KeyUnlockError, match="no passphrase was given"):
            store.unlock_with(alice_id, source)
        assert prompter.prompts == []

    def test_prompt_three_attempts(self, store, alice_id) -> None:
        prompter = Prompter("no", "still no", PW.decode())
        assert store.unlock_with(alice_id, prompter.source())
        assert len(prompter.prompts) == 3 and "alice@example.org" in prompter.prompts[0]

    def test_prompt_gives_up_after_three(self, store, alice_id) -> None:
        prompter = Prompter("a", "b", "c", PW.decode())
        with pytest.raises(KeyUnlockError, match=r"\(tried a prompt\)"):
            store.unlock_with(alice_id, prompter.source())
        assert len(prompter.prompts) == 3

    def test_chain_file_then_prompt(self, store, alice_id, tmp_path) -> None:
        (tmp_path / "pw").write_bytes(b"stale\n")
        prompter = Prompter("x")
        chain = ChainedPassphrases(FilePassphrase(tmp_path / "pw"), prompter.source())
        with pytest.raises(KeyUnlockError, match=r"\(tried the passphrase file and a prompt\)"):
            store.unlock_with(alice_id, chain)
        prompter = Prompter(PW.decode())
        chain = ChainedPassphrases(FilePassphrase(tmp_path / "pw"), prompter.source())
        assert store.unlock_with(alice_id, chain)
        assert chain.get(alice_id, 0) == b"stale"  # the protocol's get walks the chain too

    def test_cache_remembers_for_a_bounded_time(self, store, alice_id) -> None:
        now = [1000.0]
        prompter = Prompter(PW.decode(), PW.decode())
        cached = CachedPassphrases(prompter.source(), ttl_seconds=60, clock=lambda: now[0])
        store.unlock_with(alice_id, cached)
        store.unlock_with(alice_id, cached)
        assert len(prompter.prompts) == 1
        now[0] += 61
        store.unlock_with(alice_id, cached)
        assert len(prompter.prompts) == 2
        cached.clear()
        with pytest.raises(KeyUnlockError):
            store.unlock_with(alice_id, cached)  # the prompter has no answers left


@pytest.fixture
def memory_keyring() -> Iterator[DictKeyring]:
    previous = keyring.get_keyring()
    backend = DictKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


class TestKeyring:
    def test_opt_in_save_unlock_forget(self, store, alice_id, memory_keyring) -> None:
        source = KeyringPassphrase()
        assert source.get(alice_id, 0) is None  # nothing saved: not opted in
        KeyringPassphrase.save(alice_id, PW)
        assert memory_keyring.data == {("smimetui", f"key:{alice_id.id}"): PW.decode()}
        assert store.unlock_with(alice_id, source)
        store.remove(alice_id.id)
        assert memory_keyring.data == {}

    def test_no_keyring_moves_on(self, alice_id, no_keyring) -> None:
        assert KeyringPassphrase().get(alice_id, 0) is None


@requires_openssl
class TestCandidates:
    def test_decrypts_openssl_mail_unlocking_only_the_matching_id(
        self, store, fixture_pki, pki_dir
    ) -> None:
        store.import_pkcs12(p12_of(fixture_pki.alice, []), PW)
        store.import_pkcs12(p12_of(fixture_pki.bob, []), PW, store_passphrase=b"bob's")
        store.import_pkcs12(p12_of(fixture_pki.frank_p384, []), PW, store_passphrase=b"frank's")
        der = openssl(
            "cms", "-encrypt", "-binary", "-outform", "DER", "-aes-256-gcm",
            pki_dir["bob"], data=MIME,
        )  # fmt: skip
        prompter = Prompter("bob's")
        outcome = decrypt_envelope(der, store.candidates(prompter.source()))
        assert outcome.content == MIME
        assert outcome.used_cert == fixture_pki.bob.cert
        assert len(prompter.prompts) == 1 and "bob@example.org" in prompter.prompts[0]

    def test_locked_key_surfaces_as_unlock_error(self, store, fixture_pki, pki_dir) -> None:
        store.import_pkcs12(p12_of(fixture_pki.alice, []), PW)
        der = openssl(
            "cms", "-encrypt", "-binary", "-outform", "DER", "-aes-128-cbc",
            pki_dir["alice"], data=MIME,
        )  # fmt: skip
        with pytest.raises(KeyUnlockError, match="alice@example.org"):
            decrypt_envelope(der, store.candidates(Prompter("wrong").source()))


def test_concurrent_unlocks_ask_once(home, fixture_pki) -> None:
    """Two workers that need the same key at once get one passphrase question between them."""
    import threading
    import time

    from smimetui.core.pki.keystore import Keystore

    store = Keystore(home)
    issued = fixture_pki.alice
    store.add(issued.cert, issued.key, [fixture_pki.intermediate.cert], b"secret")
    asked: list[int] = []

    class SlowAsk:
        name = "a slow prompt"

        def get(self, ident, attempt):  # type: ignore[no-untyped-def]
            asked.append(attempt)
            time.sleep(0.2)  # the user typing while the second worker arrives
            return b"secret"

    (candidate,) = store.candidates(SlowAsk())
    keys: list[object] = []
    workers = [
        threading.Thread(target=lambda: keys.append(candidate.private_key())) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(asked) == 1 and len(keys) == 2 and keys[0] is keys[1]
