"""Broken and hostile servers, through a real TCP proxy in front of a real Dovecot.

A damaged literal is never cached as a row; a server that dies (or any listener that accepts and
closes) is a lost connection, retried, not a TLS problem; what a man in the middle injects before
STARTTLS is dropped; a huge literal and an endless stream of untagged responses end in one
sentence; control characters and bidi overrides from the server never reach --json output."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from smimetui.core.errors import ConnectionLostError, ServerResponseError
from smimetui.core.mail.imap.backend import ImapBackend
from smimetui.core.mail.imap.header_cache import HeaderCache
from smimetui.core.settings.home import Home
from tests.support.servers.faultproxy import (
    Fault,
    FaultProxy,
    FramedFault,
    HalveLiteral,
    InjectBeforeTls,
    Link,
    OnCommand,
    cut_after,
    flood,
    huge_literal,
)
from tests.support.servers.imap import MailUser, other_client

from .test_cache_faults import cli
from .test_imap_resync import truth

pytestmark = pytest.mark.dovecot


def eight_bit(user: MailUser, count: int, folder: str = "INBOX", pad: int = 0) -> None:
    """Messages whose raw UTF-8 subjects Dovecot sends as literals in the ENVELOPE (``pad``
    makes them long: half of such a literal swallows the next response too)."""
    messages = [
        (
            f"From: Jörg Müller <jm@example.org>\r\nSubject: Grüße aus Köln, Nummer {i}"
            f"{' ö' * pad}\r\n"
            f"Message-ID: <m{i}@example.org>\r\nDate: Mon, 1 Jan 2024 10:{i % 60:02d}:00 +0000"
            "\r\n\r\nHallo\r\n"
        ).encode()
        for i in range(count)
    ]
    user.server.write_maildir(user.name, messages, folder)


@pytest.fixture
def proxy(mail_user: MailUser) -> Iterator[FaultProxy]:
    p = FaultProxy(mail_user.server.imap_port)
    yield p
    p.close()


def through(
    user: MailUser, proxy: FaultProxy, cache: HeaderCache | None = None, **kw: object
) -> ImapBackend:
    return user.backend(port=proxy.port, cache=cache or HeaderCache(), **kw)


def listed(backend: ImapBackend, folder: str = "INBOX") -> list[object]:
    index = backend.cached_index(folder)
    assert index is not None
    return [index.summary(p) for p in range(len(index))]


class TestDamagedLiteral:
    @pytest.mark.parametrize("pad", [0, 600], ids=["short", "swallows-the-next"])
    def test_cold_fetch_asks_again_for_a_damaged_summary(
        self, pad: int, mail_user: MailUser, proxy: FaultProxy
    ) -> None:
        eight_bit(mail_user, 30, pad=pad)
        faults: list[HalveLiteral] = []

        def halve() -> HalveLiteral:
            faults.append(HalveLiteral(times=2))
            return faults[-1]

        proxy.fault = halve
        backend = through(mail_user, proxy)
        try:
            backend.sync("INBOX")
            assert faults[0].damaged == 2  # the fault did happen
            assert listed(backend) == truth(mail_user)
        finally:
            backend.close()

    def test_new_mail_asks_again_for_a_damaged_summary(
        self, mail_user: MailUser, proxy: FaultProxy
    ) -> None:
        eight_bit(mail_user, 3)
        cache = HeaderCache()
        backend = through(mail_user, proxy, cache)
        try:
            backend.sync("INBOX")
            backend.close()
            other = other_client(mail_user)
            other.append("INBOX", "Subject: Neue Grüße\r\n\r\nx\r\n".encode())
            other.logout()
            proxy.fault = lambda: HalveLiteral(times=1)
            backend = through(mail_user, proxy, cache)
            assert backend.sync("INBOX").new == 1
            assert listed(backend) == truth(mail_user)
        finally:
            backend.close()

    def test_damaged_twice_fails_and_stores_nothing_damaged(
        self, mail_user: MailUser, proxy: FaultProxy
    ) -> None:
        eight_bit(mail_user, 10)
        cache = HeaderCache()
        proxy.fault = lambda: HalveLiteral(times=1000)
        backend = through(mail_user, proxy, cache)
        with pytest.raises(ServerResponseError) as err:
            backend.sync("INBOX")
        assert "damaged" in str(err.value) and str(err.value).endswith(".")
        good = truth(mail_user)
        state = cache.folder_state(mail_user.name, "INBOX")
        assert state is not None and not state.complete  # the next sync starts again
        stored = listed(backend)
        assert all(row in good for row in stored)  # whatever was stored is right
        backend.close()
        direct = mail_user.backend(cache=cache)
        try:
            direct.sync("INBOX")
            assert listed(direct) == good
        finally:
            direct.close()


class TestServerDies:
    def test_a_listener_that_accepts_and_closes_is_a_lost_connection(
        self, mail_user: MailUser, proxy: FaultProxy
    ) -> None:
        proxy.refuse = True
        backend = through(mail_user, proxy, retry_delays=(0.05, 0.05))
        with pytest.raises(ConnectionLostError) as err:
            backend.list_folders()
        assert "STARTTLS" not in str(err.value) and str(err.value).endswith(".")
        assert proxy.accepted == 3  # retried, as a lost connection is
        proxy.refuse = False
        assert backend.list_folders()  # and it comes back

    def test_killed_during_login_is_not_a_wrong_password(
        self, mail_user: MailUser, proxy: FaultProxy
    ) -> None:
        proxy.fault = lambda: OnCommand(b"LOGIN", cut_after(0))
        backend = through(mail_user, proxy, retry_delays=(0.05,))
        with pytest.raises(ConnectionLostError, match="during login"):
            backend.list_folders()
        assert proxy.accepted == 2  # retried

    def test_killed_mid_sync(self, mail_user: MailUser, proxy: FaultProxy) -> None:
        eight_bit(mail_user, 20)

        def dies() -> Fault:
            proxy.refuse = True  # from now on the "server" is down
            return OnCommand(b"FETCH", cut_after(30))

        proxy.fault = dies
        backend = through(mail_user, proxy, retry_delays=(0.05,))
        try:
            with pytest.raises(ConnectionLostError) as err:
                backend.sync("INBOX")
            assert "STARTTLS" not in str(err.value) and "127.0.0.1" in str(err.value)
            proxy.refuse, proxy.fault = False, Fault
            backend.sync("INBOX")
            assert listed(backend) == truth(mail_user)
        finally:
            backend.close()


class TestHostile:
    def test_untagged_responses_before_starttls_are_dropped(
        self, mail_user: MailUser, proxy: FaultProxy
    ) -> None:
        proxy.fault = lambda: InjectBeforeTls(
            b'* LIST () "/" Injected\r\n* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n'
        )
        backend = through(  # without extensions: LIST goes through imaplib's response store
            mail_user,
            proxy,
            security="starttls",
            ca_file=str(mail_user.server.ca_pem),
            use_extensions=False,
        )
        try:
            names = [f.name for f in backend.list_folders()]
            assert "INBOX" in names and "Injected" not in names
        finally:
            backend.close()

    def test_a_huge_literal_is_refused_without_buffering_it(
        self, mail_user: MailUser, proxy: FaultProxy
    ) -> None:
        eight_bit(mail_user, 1)
        proxy.fault = lambda: OnCommand(b"FETCH", huge_literal(320 << 20))
        backend = through(mail_user, proxy)
        started = time.monotonic()
        with pytest.raises(ServerResponseError) as err:
            backend.sync("INBOX")
        assert time.monotonic() - started < 5
        assert "over the limit" in str(err.value) and str(err.value).endswith(".")
        backend.close()

    @pytest.mark.parametrize("command", [b"FETCH", b"LIST", b"LOGIN"])
    def test_untagged_responses_for_ever_end_at_the_deadline(
        self, command: bytes, mail_user: MailUser, proxy: FaultProxy
    ) -> None:
        eight_bit(mail_user, 1)
        proxy.fault = lambda: OnCommand(command, flood)
        backend = through(mail_user, proxy, command_timeout=1.5)
        started = time.monotonic()
        with pytest.raises(ServerResponseError) as err:
            backend.sync("INBOX") if command == b"FETCH" else backend.list_folders()
        assert time.monotonic() - started < 6
        assert "did not finish" in str(err.value) and "\n" not in str(err.value)
        backend.close()

    def test_the_deadline_never_cuts_a_connection_between_commands(
        self, mail_user: MailUser
    ) -> None:
        eight_bit(mail_user, 3)
        backend = mail_user.backend(cache=HeaderCache(), command_timeout=0.5)
        try:
            backend.sync("INBOX")
            backend.list_folders()
            time.sleep(1.0)  # idle for longer than a command may take
            backend.sync("INBOX")
            assert backend.connects == 1
        finally:
            backend.close()


class Rewrite(FramedFault):
    """Replaces bytes in every server response (hostile names and flags)."""

    def __init__(self, pairs: list[tuple[bytes, bytes]]) -> None:
        super().__init__()
        self.pairs = pairs

    def response(self, link: Link, frame: bytes) -> None:
        for old, new in self.pairs:
            frame = frame.replace(old, new)
        link.to_client(frame)


BAD = ("\x1b", "\x07", "\u202e", "\x9b")


class TestJsonIsClean:
    @pytest.fixture
    def hostile_home(
        self,
        home: Home,
        mail_user: MailUser,
        proxy: FaultProxy,
        capsys: pytest.CaptureFixture[str],
    ) -> Home:
        other = other_client(mail_user)
        other.create_folder("Projects")
        other.append("INBOX", b"Subject: hi\r\n\r\nx\r\n", flags=[b"$Label"])
        other.logout()
        evil = "\x1b[2J\x07\u202e\x9b".encode()
        proxy.fault = lambda: Rewrite([(b"Projects", b"Pro" + evil + b"jects"),
                                       (b"$Label", b"$La" + evil + b"bel")])  # fmt: skip
        code, _, err = cli(
            capsys, "account", "add", "h", "--email", "h@example.org",
            "--imap-host", "127.0.0.1", "--imap-port", str(proxy.port),
            "--imap-security", "none", "--username", mail_user.name,
            "--password-command", f"echo {mail_user.password}",
        )  # fmt: skip
        assert code == 0, err
        return home

    def test_folders_json(self, hostile_home: Home, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = cli(capsys, "folders", "--json")
        assert code == 0, err
        assert not any(c in out for c in BAD)
        names = [f["name"] for f in json.loads(out)]
        assert any(n.startswith("Pro") and n.endswith("jects") for n in names)
        assert not any(c in json.dumps(names, ensure_ascii=False) for c in BAD)

    def test_list_json(self, hostile_home: Home, capsys: pytest.CaptureFixture[str]) -> None:
        code, out, err = cli(capsys, "list", "--json")
        assert code == 0, err
        assert not any(c in out for c in BAD)
        (row,) = json.loads(out)
        assert any(f.startswith("$La") for f in row["flags"])
        assert not any(c in "".join(row["flags"]) for c in BAD)


def test_faultproxy_passes_everything_through(mail_user: MailUser, tmp_path: Path) -> None:
    proxy = FaultProxy(mail_user.server.imap_port)
    eight_bit(mail_user, 5)
    backend = through(mail_user, proxy)
    try:
        backend.sync("INBOX")
        assert listed(backend) == truth(mail_user)
    finally:
        backend.close()
        proxy.close()
