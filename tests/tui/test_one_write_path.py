"""One write path: ``smimetui send`` and the compose screen's ctrl+g make the same message.

The same draft is sent once from the CLI and once from the TUI (Pilot), in the demo home (its
account delivers into the local Outbox).  Both are taken apart with asn1crypto and decrypted
with the real ``openssl cms`` using your own key, which also proves encryption to yourself
happened in both.
"""

from __future__ import annotations

import email
import subprocess
from email.utils import formataddr
from pathlib import Path

import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization

from smimetui.cli.main import main
from smimetui.core.demo.home import DEMO_ADDRESS, DEMO_PASSPHRASE
from smimetui.core.pki.keystore import Keystore
from smimetui.core.pki.passphrase import FilePassphrase
from smimetui.core.settings.accounts import get_account
from smimetui.core.settings.home import Home
from smimetui.tui.screens.compose import ComposeScreen
from smimetui.tui.screens.mailbox import MailboxScreen

from .helpers import SIZE, make_app, settle
from .test_compose import _answer_passphrase, _outbox, _strip_envelope

pytestmark = pytest.mark.openssl

TO = "alice@example.org"
SUBJECT = "Same either way"
BODY = "The minutes are attached in spirit.\n"


def _new_in_outbox(home: Home, before: list[bytes]) -> bytes:
    added = [raw for raw in _outbox(home) if raw not in before]
    assert len(added) == 1
    return _strip_envelope(added[0])


def _cli_send(home: Home, tmp: Path, cc: str) -> bytes:
    before = _outbox(home)
    draft = tmp / "draft.eml"
    cc_line = f"Cc: {cc}\n" if cc else ""
    me = formataddr((get_account(home, "demo").display_name, DEMO_ADDRESS))  # as the TUI writes
    draft.write_text(f"From: {me}\nTo: {TO}\n{cc_line}Subject: {SUBJECT}\n\n{BODY}")
    secret = tmp / "pass.txt"
    secret.write_text(DEMO_PASSPHRASE + "\n")
    args = ["send", str(draft), "--account", "demo", "--sign", "--encrypt"]
    assert main([*args, "--passphrase-file", str(secret)]) == 0
    return _new_in_outbox(home, before)


async def _tui_send(home: Home, cc: str) -> bytes:
    before = _outbox(home)
    app = make_app(home)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        for name, value in (("to", TO), ("cc", cc), ("subject", SUBJECT)):
            screen.query_one(f"#compose-{name}").value = value  # type: ignore[attr-defined]
        screen.query_one("#compose-body").load_text(BODY)  # type: ignore[attr-defined]
        if not screen.mail.sign:
            await pilot.press("ctrl+s")
        await pilot.press("ctrl+t", "ctrl+g")
        await _answer_passphrase(pilot, DEMO_PASSPHRASE)
        await settle(pilot)
        assert isinstance(app.screen, MailboxScreen)
    return _new_in_outbox(home, before)


def _recipient_ids(content: cms.ContentInfo) -> set[tuple[str, int]]:
    """(issuer, serial) of every recipient, key transport and key agreement alike."""
    found: set[tuple[str, int]] = set()
    for info in content["content"]["recipient_infos"]:
        rids = (
            [info.chosen["rid"]]
            if info.name == "ktri"
            else [k["rid"] for k in info.chosen["recipient_encrypted_keys"]]
        )
        for rid in rids:
            ias = rid.chosen
            found.add((ias["issuer"].human_friendly, ias["serial_number"].native))
    return found


def _cipher(content: cms.ContentInfo) -> str:
    inner = content["content"]
    gcm = content["content_type"].native == "authenticated_enveloped_data"
    key = "auth_encrypted_content_info" if gcm else "encrypted_content_info"
    return str(inner[key]["content_encryption_algorithm"]["algorithm"].native)


def _decrypt_as_self(home: Home, wire: bytes, tmp: Path) -> bytes:
    store = Keystore(home)
    ident = store.find(DEMO_ADDRESS)[0]
    secret = tmp / "self.pass"
    secret.write_text(DEMO_PASSPHRASE + "\n")
    key = store.unlock_with(ident, FilePassphrase(secret))
    (tmp / "self.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp / "self.crt").write_bytes(ident.load_cert().public_bytes(serialization.Encoding.PEM))
    proc = subprocess.run(
        ["openssl", "cms", "-decrypt", "-recip", str(tmp / "self.crt")]
        + ["-inkey", str(tmp / "self.key")],
        input=wire,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def _signer(inner: bytes) -> dict[str, object]:
    """What the signature is made of: signer, algorithms, signed attribute types, certificates."""
    msg = email.message_from_bytes(inner)
    assert msg.get_content_type() == "multipart/signed"
    parts = msg.get_payload()
    assert isinstance(parts, list)
    der = parts[1].get_payload(decode=True)
    signed = cms.ContentInfo.load(der)["content"]
    info = signed["signer_infos"][0]
    attrs = {a["type"].native: a["values"].dump() for a in info["signed_attrs"]}
    for volatile in ("signing_time", "message_digest"):
        attrs.pop(volatile)
    body = parts[0].get_payload(decode=True)
    return {
        "sid": info["sid"].chosen["serial_number"].native,
        "digest": info["digest_algorithm"]["algorithm"].native,
        "signature": info["signature_algorithm"]["algorithm"].native,
        "attributes": attrs,  # types and values (capabilities, encryption key preference, ...)
        "certificates": sorted(c.chosen.sha256 for c in signed["certificates"]),
        "body": body,
        "subject": parts[0].get("Subject"),
    }


def _shape(home: Home, wire: bytes, tmp: Path) -> dict[str, object]:
    msg = email.message_from_bytes(wire)
    assert msg.get_content_type() == "application/pkcs7-mime"
    content = cms.ContentInfo.load(msg.get_payload(decode=True))
    return {
        "type": content["content_type"].native,
        "cipher": _cipher(content),
        "recipients": _recipient_ids(content),
        "outer": {k: msg[k] for k in ("From", "To", "Cc", "Subject")},
        "inner": _signer(_decrypt_as_self(home, wire, tmp)),
    }


def _self_id(home: Home) -> tuple[str, int]:
    cert = Keystore(home).find(DEMO_ADDRESS)[0].load_cert()
    parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    return parsed.issuer.human_friendly, parsed.serial_number


@pytest.mark.parametrize("cc", ["", DEMO_ADDRESS], ids=["to-alice", "cc-yourself"])
async def test_cli_and_tui_send_the_same_message(demo_home: Home, tmp_path: Path, cc: str) -> None:
    from_cli = _shape(demo_home, _cli_send(demo_home, tmp_path, cc), tmp_path)
    from_tui = _shape(demo_home, await _tui_send(demo_home, cc), tmp_path)
    assert from_cli == from_tui
    assert from_cli["recipients"] == {_self_id(demo_home), *from_cli["recipients"]}  # type: ignore[misc]
    assert len(from_cli["recipients"]) == 2  # type: ignore[arg-type]  # Alice and you, once


async def test_encrypt_to_self_in_both(demo_home: Home, tmp_path: Path) -> None:
    """Yourself among the recipients, though only Alice is in To (openssl decrypts as you)."""
    me = _self_id(demo_home)
    cli = _cli_send(demo_home, tmp_path, "")
    tui = await _tui_send(demo_home, "")
    for wire in (cli, tui):
        content = cms.ContentInfo.load(email.message_from_bytes(wire).get_payload(decode=True))
        assert me in _recipient_ids(content)
        assert len(_recipient_ids(content)) == 2  # Alice and you, once each
        assert BODY.strip() in _decrypt_as_self(demo_home, wire, tmp_path).decode()
