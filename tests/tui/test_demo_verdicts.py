"""Every demo message behaves as its subject says: the read path over each, against Expect."""

from __future__ import annotations

import pytest

from smimetui.core.demo.home import DemoMessage, build_messages, make_demo_pki
from smimetui.core.pki.keycandidates import StaticKeyCandidate
from smimetui.core.read.inspect import InspectContext, inspect_message
from smimetui.core.settings.home import Home

PKI = make_demo_pki()
MESSAGES = build_messages(PKI)


def _subject(msg: DemoMessage) -> str:
    for line in msg.raw.split(b"\r\n"):
        if line.startswith(b"Subject: "):
            return line[9:40].decode("ascii", "replace")
    return "?"


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> InspectContext:
    from smimetui.core.demo.home import _write_stores

    home = Home.at(tmp_path_factory.mktemp("demo-verdicts"))
    _write_stores(home, PKI)
    return InspectContext.from_home(home, keys=[StaticKeyCandidate(PKI.you.cert, PKI.you.key)])


def test_about_25_messages_in_several_folders() -> None:
    assert 24 <= len(MESSAGES) <= 30
    assert {m.folder for m in MESSAGES} >= {"INBOX", "Sent", "Archive"}


@pytest.mark.parametrize("msg", MESSAGES, ids=_subject)
def test_message_matches_its_subject(msg: DemoMessage, context: InspectContext) -> None:
    report = inspect_message(msg.raw, context)
    want = msg.expect
    sig = report.signature
    if not want.signed:
        assert sig is None
    else:
        assert sig is not None
        assert sig.verdict is want.signature
        if want.chain is not None:
            assert sig.chain is want.chain
        if want.from_match is not None:
            assert sig.from_match is want.from_match
        if want.covers is not None:
            assert sig.covers is want.covers
    enc = report.encryption
    if want.encryption is None:
        assert enc is None
    else:
        assert enc is not None and enc.status is want.encryption
        if want.authenticated is not None:
            assert enc.authenticated is want.authenticated
    if want.certificates:
        assert len(report.certificates) == want.certificates


def test_demo_home_created_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from smimetui.core.demo.home import DEMO_PASSPHRASE, ensure_demo_home
    from smimetui.core.pki.keystore import Keystore

    home = Home.at(tmp_path / "d")
    first = ensure_demo_home(home)
    marker = (tmp_path / "d" / "demo.json").stat().st_mtime_ns
    second = ensure_demo_home(home)
    assert first.messages == second.messages
    assert (tmp_path / "d" / "demo.json").stat().st_mtime_ns == marker
    ident = Keystore(home).find("robin@example.org")[0]
    Keystore(home).unlock(ident, DEMO_PASSPHRASE.encode())
