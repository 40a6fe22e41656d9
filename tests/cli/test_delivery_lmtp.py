"""Mail delivered by a real Dovecot over LMTP (which stamps its own Received line), read back over
IMAP with ``smimetui show``: full headers, source, the delivery path and your server's
Authentication-Results (issue 15)."""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.settings.config import load_config, save_config
from smimetui.core.settings.home import Home
from tests.support.corpus import TRANSPORT
from tests.support.keyring import MemoryKeyring, memory_keyring  # noqa: F401
from tests.support.servers.dovecot import Dovecot
from tests.support.servers.ports import free_port, wait_port

LMTP = Path("/usr/lib/dovecot/lmtp")
CORPUS = TRANSPORT
SERVER = "mx.example.org"


@pytest.fixture(scope="module")
def lmtp_dovecot() -> Iterator[tuple[Dovecot, int]]:
    if not LMTP.exists():
        pytest.skip("dovecot-lmtpd is not installed (tests/run.sh installs it)")
    port = free_port()
    extra = (
        f"protocols = imap lmtp\nhostname = {SERVER}\n"
        f"service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n"
        f"    port = {port}\n  }}\n}}\n"
    )
    server = Dovecot.create(extra_conf=extra)
    server.add_user("dana", "lmtp-Secret-7")
    server.start()
    wait_port(port, "Dovecot LMTP")
    with smtplib.LMTP("127.0.0.1", port) as lmtp:
        for name in ("outlook_dmarc_fail.eml", "gmail_dmarc_pass.eml"):
            lmtp.sendmail("sender@example.net", ["dana"], (CORPUS / name).read_bytes())
        forged = b"Received: from evil\x1b[31m.example ([203.0.113.9]) by relay.example\x07 with"
        forged += b" SMTP; Thu, 3 Dec 2026 10:00:01 +0000\r\n"
        forged += b"".join(
            b"Received: from h%d.example (h%d [192.0.2.1]) by h%d.example with SMTP;"
            b" Thu, 3 Dec 2026 10:00:00 +0000\r\n" % (i, i, i)
            for i in range(10_000)
        )
        forged += (
            b"Authentication-Results: mx.example.org.evil.example; dmarc=pass\r\n"
            b"Authentication-Results: x; dkim=pass header.d=\x1b[2Jbank.example\r\n"
            b"From: ceo@bank.example\r\nSubject: forged path\r\n\r\nPay now.\r\n"
        )
        lmtp.sendmail("sender@example.net", ["dana"], forged)
    time.sleep(0.2)
    yield server, port
    server.destroy()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def account(
    home: Home,
    lmtp_dovecot: tuple[Dovecot, int],
    capsys: pytest.CaptureFixture[str],
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> Home:
    server, _port = lmtp_dovecot
    code, _, err = run(capsys, "account", "add", "dana", "--email", "dana@example.org",
                       "--imap-host", "127.0.0.1", "--imap-port", str(server.imaps_port),
                       "--imap-security", "tls", "--ca-file", str(server.ca_pem),
                       "--username", "dana")  # fmt: skip
    assert code == 0, err
    config = load_config(home)
    config["accounts"]["dana"]["authserv_id"] = SERVER
    save_config(home, config)
    memory_keyring.set_password("smimetui", "account:dana", "lmtp-Secret-7")
    return home


def show(capsys: pytest.CaptureFixture[str], subject: str, *options: str) -> str:
    code, out, err = run(capsys, "list", "--json")
    assert code == 0, err
    uid = next(row["uid"] for row in json.loads(out) if row["subject"] == subject)
    code, out, err = run(capsys, "show", str(uid), *options)
    assert code == 0, err
    return out


@pytest.mark.dovecot
class TestDeliveredByDovecot:
    def test_lmtp_hop_is_your_server(
        self, account: Home, capsys: pytest.CaptureFixture[str]
    ) -> None:
        data = json.loads(show(capsys, "Verify your account", "--json"))
        hops = data["delivery"]["hops"]
        newest = hops[-1]
        assert newest["with"] == "LMTP" and newest["by"] == SERVER and newest["own"]
        assert hops[-2]["own"] and hops[0]["claimed"]  # Postfix is ours, Exchange's is a claim
        assert data["delivery"]["sender_ip"] == "40.107.22.101"
        assert (
            data["authentication"]["found"] and "not confirmed" in data["authentication"]["summary"]
        )

    def test_headers_and_source_over_imap(
        self, account: Home, capsys: pytest.CaptureFixture[str]
    ) -> None:
        headers = show(capsys, "Lunch on Friday?", "--headers").splitlines()
        assert headers[0] == "Return-Path: <sender@example.net>"
        assert any(h.startswith(f"Received: from [127.0.0.1] ([127.0.0.1]) by {SERVER} with LMTP")
                   for h in headers)  # fmt: skip
        source = show(capsys, "Lunch on Friday?", "--source")
        assert '<a href="https://evil.example/login">' in source

    def test_hostile_path_within_limits(
        self, account: Home, capsys: pytest.CaptureFixture[str]
    ) -> None:
        started = time.monotonic()
        data = json.loads(show(capsys, "forged path", "--json"))
        assert time.monotonic() - started < 20
        delivery, auth = data["delivery"], data["authentication"]
        assert delivery["total_hops"] == 10_002 and len(delivery["hops"]) == 200
        assert delivery["hops"][-1]["own"] and all(h["claimed"] for h in delivery["hops"][:-1])
        assert auth["found"] is False and auth["ignored"] == 2  # neither is your server's
        assert "\\u001b" not in json.dumps(data) and "\\u0007" not in json.dumps(data)
        unreadable = delivery["hops"][-2]["from"]
        assert unreadable.startswith("unreadable trace field: from evil[31m.example")
