"""Bouncy Castle's mail API (many Java and Android mailers) and smimetui, both directions.

Bouncy Castle writes what its S/MIME examples write: SHA-256 with RSA or ECDSA signatures with
SMIMECapabilities and the CMSAlgorithmProtection attribute (RFC 6211), detached
(multipart/signed) or opaque; AES-128-CBC EnvelopedData with RSA PKCS#1 v1.5 key transport or
ECDH (SHA-256 KDF) with AES-128 key wrap.  It reads ours with SMIMESigned/SMIMEEnveloped,
checking each signature against the certificate in the message and a PKIX path to the root.
All jobs of one direction run in one JVM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .bc import BcPeer, Outcome, available
from .ours import BODY, OurHome, assert_decrypted, assert_verified, make_home

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not available(), reason="a JDK and libbcmail-java (with JavaMail) are needed"
    ),
]

PEOPLE = {"alice": "alice@example.org", "bob": "bob@example.org"}  # RSA, P-256
OTHER = {"alice": "bob", "bob": "alice"}


@pytest.fixture(scope="module")
def bc(tmp_path_factory: pytest.TempPathFactory) -> BcPeer:
    return BcPeer(tmp_path_factory.mktemp("bc"))


@pytest.fixture(scope="module")
def bc_mail(bc: BcPeer, pki_dir: dict[str, Path]) -> dict[str, tuple[Outcome, Path]]:
    """Every message Bouncy Castle writes for the tests, made in one JVM run."""
    out = bc.work / "mail"
    out.mkdir()
    jobs: list[tuple[str, ...]] = []
    made: dict[str, Path] = {}

    def job(name: str, *fields: str | Path) -> None:
        path = out / f"{name}.eml"
        made[name] = path
        jobs.append((fields[0], str(path), *map(str, fields[1:])))

    for who, address in PEOPLE.items():
        cert, key, inter = pki_dir[who], pki_dir[f"{who}.key"], pki_dir["intermediate"]
        for mode in ("detached", "opaque"):
            job(f"sign-{who}-{mode}", "sign", cert, key, inter, address, "carol@example.org", mode)
        job(f"enc-to-{who}", "encrypt", cert, PEOPLE[OTHER[who]], address)
        other = OTHER[who]
        job(f"se-{who}", "signencrypt", cert, key, inter, pki_dir[other], address, PEOPLE[other])
    outcomes = bc.run(jobs)
    return {name: (outcomes[str(path)], path) for name, path in made.items()}


def _read(bc_mail: dict[str, tuple[Outcome, Path]], ours: OurHome, name: str) -> dict:  # type: ignore[type-arg]
    outcome, path = bc_mail[name]
    assert outcome.ok, outcome.detail
    return ours.inspect(path.read_bytes(), f"bc-{name}")


class TestWeReadBouncyCastle:
    @pytest.mark.parametrize("mode", ["detached", "opaque"])
    @pytest.mark.parametrize("who", list(PEOPLE))
    def test_signed(self, bc_mail, ours: OurHome, who: str, mode: str) -> None:  # type: ignore[no-untyped-def]
        report = _read(bc_mail, ours, f"sign-{who}-{mode}")
        assert_verified(report, PEOPLE[who])
        assert "Signed by Bouncy Castle." in report["text"]

    @pytest.mark.parametrize("who", list(PEOPLE))
    def test_encrypted(self, bc_mail, ours: OurHome, who: str) -> None:  # type: ignore[no-untyped-def]
        report = _read(bc_mail, ours, f"enc-to-{who}")  # RSA key transport / ECDH
        assert_decrypted(report)
        assert "Encrypted by Bouncy Castle." in report["text"]

    @pytest.mark.parametrize("who", list(PEOPLE))
    def test_signed_and_encrypted(self, bc_mail, ours: OurHome, who: str) -> None:  # type: ignore[no-untyped-def]
        report = _read(bc_mail, ours, f"se-{who}")
        assert_decrypted(report)
        assert_verified(report, PEOPLE[who])


@pytest.fixture(scope="module")
def bc_verdicts(  # type: ignore[no-untyped-def]
    bc: BcPeer, ours: OurHome, pki_dir: dict[str, Path], bc_mail, fixture_pki, tmp_path_factory
) -> dict[str, Outcome]:
    """Bouncy Castle's verdict on each message we write, in one JVM run."""
    jobs: list[tuple[str, ...]] = []
    names: dict[str, str] = {}
    root = str(pki_dir["root"])
    # A conversation: Alice, who knows nobody, imports Bob's signed mail and replies encrypted.
    alice = make_home(tmp_path_factory.mktemp("alice"), fixture_pki, [fixture_pki.alice], [])
    code, _, err = alice.cli("contacts", "import", bc_mail["sign-bob-detached"][1])
    assert code == 0, err
    reply = alice.write("reply", PEOPLE["alice"], PEOPLE["bob"], "--sign", command="encrypt")
    names["reply"] = str(_save(bc, "reply", reply))
    jobs.append(("decrypt", names["reply"], str(pki_dir["bob"]), str(pki_dir["bob.key"]), root))
    for who, address in PEOPLE.items():
        for opaque in (False, True):
            name = f"sign-{who}-{'opaque' if opaque else 'detached'}"
            data = ours.write(f"bc-{name}", address, "carol@example.org", *(["--opaque"] * opaque))
            names[name] = str(_save(bc, name, data))
            jobs.append(("verify", names[name], root))
            if who == "alice" and not opaque:  # the same, altered after signing
                names["altered"] = str(_save(bc, "altered", data.replace(b"noon", b"dawn")))
                jobs.append(("verify", names["altered"], root))
        other = OTHER[who]
        for name, options in ((f"enc-{who}", ()), (f"se-{who}", ("--sign",))):
            data = ours.write(f"bc-{name}", address, PEOPLE[other], *options, command="encrypt")
            names[name] = str(_save(bc, name, data))
            cert, key = pki_dir[other], pki_dir[f"{other}.key"]
            jobs.append(("decrypt", names[name], str(cert), str(key), root))
    outcomes = bc.run(jobs)
    return {name: outcomes[path] for name, path in names.items()}


def _save(bc: BcPeer, name: str, data: bytes) -> Path:
    path = bc.work / f"ours-{name}.eml"
    path.write_bytes(data)
    return path


class TestBouncyCastleReadsOurs:
    def test_reply_to_imported_signed_mail(self, bc_verdicts: dict[str, Outcome]) -> None:
        outcome = bc_verdicts["reply"]
        assert outcome.ok, outcome.detail
        assert "signer=CN=Alice Liddell trusted=true" in outcome.detail and BODY in outcome.detail

    @pytest.mark.parametrize("mode", ["detached", "opaque"])
    @pytest.mark.parametrize("who", list(PEOPLE))
    def test_signed(self, bc_verdicts: dict[str, Outcome], who: str, mode: str) -> None:
        outcome = bc_verdicts[f"sign-{who}-{mode}"]
        assert outcome.ok, outcome.detail
        assert "trusted=true" in outcome.detail and BODY in outcome.detail

    def test_altered_text_is_refused(self, bc_verdicts: dict[str, Outcome]) -> None:
        # The check above means something: Bouncy Castle refuses a signature over altered text.
        outcome = bc_verdicts["altered"]
        assert not outcome.ok and "DigestMismatch" in outcome.detail

    @pytest.mark.parametrize("who", list(PEOPLE))
    def test_encrypted(self, bc_verdicts: dict[str, Outcome], who: str) -> None:
        # Alice's mail to Bob is decrypted with Bob's EC key (ECDH), Bob's to Alice with RSA.
        outcome = bc_verdicts[f"enc-{who}"]
        assert outcome.ok, outcome.detail
        assert BODY in outcome.detail

    @pytest.mark.parametrize("who", list(PEOPLE))
    def test_signed_and_encrypted(self, bc_verdicts: dict[str, Outcome], who: str) -> None:
        outcome = bc_verdicts[f"se-{who}"]
        assert outcome.ok, outcome.detail
        assert "trusted=true" in outcome.detail and BODY in outcome.detail
