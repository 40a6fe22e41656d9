"""Both verifiers on every message of the project's corpus, and the verdicts compared.

Every SignedData and every EnvelopedData the read path meets while inspecting the corpus is
recorded (also those inside encrypted mail, reached after decryption), then given to the fast
and the full path: when the fast path accepts, its result must equal the full path's; when the
full path cannot read it, the fast path must have declined.  The corpus: the demo mailbox, the
transport corpus files, the benchmarks' generated signed mail, the adversarial helpers' signed,
opaque and encrypted mail, and the NSS peer's (Thunderbird's engine) signed and encrypted mail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from smimetui.core.cms import envelope, envelope_fast, signeddata_fast
from smimetui.core.cms.signeddata import verify_full
from smimetui.core.demo.home import DEMO_PASSPHRASE, ensure_demo_home
from smimetui.core.errors import CmsError
from smimetui.core.mail.maildir.backend import MaildirBackend
from smimetui.core.pki.keycandidates import StaticKeyCandidate, keystore_candidates
from smimetui.core.pki.trust import ChainValidator, TrustStore
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.settings.home import Home
from tests.support import crafted as mail
from tests.support.corpus import TRANSPORT
from tests.support.pki import FixturePKI

CORPUS_FILES = TRANSPORT
Signed = tuple[bytes, bytes | None, tuple[Any, ...]]


class Recorder:
    """What the read path handed to the fast paths."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.signed: list[Signed] = []
        self.enveloped: list[bytes] = []
        verify, parse = signeddata_fast.fast_verify, envelope_fast.fast_parse

        def record_verify(der: bytes, detached: bytes | None, extra: Any) -> Any:
            self.signed.append((der, detached, tuple(extra)))
            return verify(der, detached, extra)

        def record_parse(der: bytes) -> Any:
            self.enveloped.append(der)
            return parse(der)

        # The full modules call these through their module, so the read path calls the recorders.
        monkeypatch.setattr(signeddata_fast, "fast_verify", record_verify)
        monkeypatch.setattr(envelope_fast, "fast_parse", record_parse)
        self._verify, self._parse = verify, parse

    def compare(self) -> tuple[int, int]:
        """Check every recorded input; (signatures the fast path took, envelopes it took)."""
        signed = sum(self._signed_agrees(*item) for item in self.signed)
        enveloped = sum(self._envelope_agrees(der) for der in self.enveloped)
        return signed, enveloped

    def _signed_agrees(self, der: bytes, detached: bytes | None, extra: tuple[Any, ...]) -> bool:
        fast = self._verify(der, detached, extra)
        try:
            full = verify_full(der, detached, extra)
        except CmsError:
            assert fast is None, "the fast path accepted a signature the full path cannot read"
            return False
        if fast is not None:
            assert fast == full
        return fast is not None

    def _envelope_agrees(self, der: bytes) -> bool:
        fast = self._parse(der)
        try:
            full = envelope.parse_full(der)
        except CmsError:
            assert fast is None, "the fast path accepted an envelope the full path cannot read"
            return False
        if fast is not None:
            assert _normal(fast) == _normal(full)
        return fast is not None


def _normal(env: Any) -> tuple[Any, ...]:
    """An envelope as comparable values (OAEP padding objects compare by identity)."""

    def oaep(pad: Any) -> Any:
        if pad is None:
            return None
        return (type(pad._mgf._algorithm).__name__, type(pad._algorithm).__name__, pad._label)

    recipients = [
        (r.rid, r.rid.issuer_der, r.encrypted_key, oaep(r.oaep), r.agreement, r.unsupported)
        for r in env.recipients
    ]
    return (env.info, recipients, env.cipher_name, env.params, env.ciphertext, env.mac, env.aad)


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    return Recorder(monkeypatch)


def _fixture_context(home: Home, fixture_pki: FixturePKI) -> InspectContext:
    trust = TrustStore(home, use_system=False)
    trust.add(fixture_pki.root.cert_pem)
    keys = [
        StaticKeyCandidate(fixture_pki.alice.cert, fixture_pki.alice.key),
        StaticKeyCandidate(fixture_pki.bob.cert, fixture_pki.bob.key),
    ]
    return InspectContext(validator=ChainValidator(trust), keys=keys)


def _demo(home: Home, _pki: FixturePKI) -> Iterator[tuple[bytes, InspectContext]]:
    ensure_demo_home(home)
    secret = home.data_dir / "pass.txt"
    secret.write_text(DEMO_PASSPHRASE + "\n")
    context = InspectContext.from_home(home, keys=keystore_candidates(home, secret))
    backend = MaildirBackend(home.data_dir / "Mail")
    for folder in backend.list_folders():
        index = backend.open_folder(folder.name)
        for position in range(len(index)):
            yield backend.fetch_raw(folder.name, index.uid_at(position)), context


def _files(home: Home, fixture_pki: FixturePKI) -> Iterator[tuple[bytes, InspectContext]]:
    context = _fixture_context(home, fixture_pki)
    for path in sorted(CORPUS_FILES.glob("*.eml")):
        yield path.read_bytes(), context


def _bench(home: Home, fixture_pki: FixturePKI) -> Iterator[tuple[bytes, InspectContext]]:
    from tests.support.smime_corpus import make_pki, signed_messages

    bench = make_pki()
    trust = TrustStore(home, use_system=False)
    trust.add(bench.root.cert_pem)
    context = InspectContext(validator=ChainValidator(trust))
    for raw in signed_messages(bench, 12):
        yield raw, context


def _adversarial(home: Home, fixture_pki: FixturePKI) -> Iterator[tuple[bytes, InspectContext]]:
    context = _fixture_context(home, fixture_pki)
    text = mail.entity("The corpus says hello.\n")
    alice = mail.key_of(fixture_pki.alice, fixture_pki.intermediate)
    bob = mail.key_of(fixture_pki.bob, fixture_pki.intermediate)
    signed = mail.signed(text, alice)
    recipients = [fixture_pki.alice, fixture_pki.bob]
    for body in (
        signed,
        mail.signed(text, bob),
        mail.opaque(text, alice),
        mail.enveloped(text, recipients),
        mail.enveloped(text, recipients, gcm=False),
        mail.enveloped(signed, recipients),  # signed, then encrypted
        mail.enveloped(mail.opaque(text, bob), [fixture_pki.bob], gcm=False),
    ):
        yield mail.message(body), context


def _nss(home: Home, fixture_pki: FixturePKI) -> Iterator[tuple[bytes, InspectContext]]:
    if shutil.which("cmsutil") is None or shutil.which("pk12util") is None:
        missing = "libnss3-tools not installed (tests/run.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    from tests.support.nss import NssPeer

    peer_dir = home.data_dir / "nss"
    peer_dir.mkdir(parents=True)
    peer = NssPeer(peer_dir, fixture_pki.root, fixture_pki.intermediate)
    peer.add_identity("alice", fixture_pki.alice)
    context = _fixture_context(home, fixture_pki)
    text = mail.crlf(mail.entity("Thunderbird's engine says hello.\n"))
    yield (
        mail.message(mail.multipart_signed(text, peer.sign("alice", text, detached=True))),
        context,
    )
    yield (
        mail.message(mail.pkcs7_mime(peer.sign("alice", text, detached=False), "signed-data")),
        (context),
    )
    yield mail.message(mail.pkcs7_mime(peer.encrypt(["alice"], text), "enveloped-data")), context


SOURCES: dict[str, Callable[[Home, FixturePKI], Iterator[tuple[bytes, InspectContext]]]] = {
    "demo": _demo,
    "transport-files": _files,
    "bench": _bench,
    "adversarial": _adversarial,
    "nss": _nss,
}
# (at least this many signatures, at least this many taken by the fast path, envelopes seen)
# NSS writes BER (indefinite lengths), which only the full path reads: it never takes the fast
# path, and still must agree.
EXPECTED = {
    "demo": (15, 12, 5),
    "transport-files": (0, 0, 0),  # no S/MIME in them: they run through inspect all the same
    "bench": (12, 12, 0),
    "adversarial": (5, 5, 4),
    "nss": (2, 0, 1),
}


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_fast_and_full_agree_on_the_corpus(
    source: str, recorder: Recorder, fixture_pki: FixturePKI, tmp_path: Path
) -> None:
    home = Home.at(tmp_path / "home")
    count = 0
    for raw, context in SOURCES[source](home, fixture_pki):
        inspect_message(raw, context)
        count += 1
    assert count > 0
    signed, enveloped = recorder.compare()
    at_least, taken, envelopes = EXPECTED[source]
    assert len(recorder.signed) >= at_least
    assert signed >= taken  # the corpus is mostly well-formed: the fast path takes it
    assert len(recorder.enveloped) >= envelopes
