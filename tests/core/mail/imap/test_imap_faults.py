"""Fault tests: server restarts, dead sockets, folders deleted elsewhere. Each ends with a
recovered session or a clear error, and no cached or pending data is lost."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest

from smimetui.core.errors import ConnectionLostError, FolderNotFoundError
from smimetui.core.mail.base import FLAGGED, SEEN
from smimetui.core.mail.imap.backend import ImapBackend
from tests.support.servers.imap import MailUser, fill, other_client, server_flags

pytestmark = pytest.mark.dovecot

Make = Callable[..., ImapBackend]


class TestServerRestart:
    def test_next_call_reconnects(self, make_backend: Make, mail_user: MailUser) -> None:
        backend = make_backend()
        fill(backend, 3)
        backend.open_folder("INBOX")
        mail_user.server.restart()
        assert len(backend.open_folder("INBOX")) == 3
        assert backend.connects == 2

    def test_server_down_keeps_cache_and_pending_flags(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = make_backend(retry_delays=(0.1, 0.2))
        fill(backend, 4)
        backend.open_folder("INBOX")
        server = mail_user.server
        server.stop()
        try:
            with pytest.raises(ConnectionLostError) as err:
                backend.set_flags("INBOX", [2, 3], add=[FLAGGED])
            assert "will be sent after reconnecting" in str(err.value)
            assert backend.pending_changes() == 1
            # the cache still answers, with the change applied locally
            index = backend.open_folder("INBOX")
            assert len(index) == 4 and index.summary(index.position_of(2) or 0).flagged  # type: ignore[arg-type]
            with pytest.raises(ConnectionLostError, match="Could not connect"):
                backend.fetch_raw("INBOX", 1)
        finally:
            server.start()
        backend.list_folders()  # reconnects and replays the journal
        assert backend.pending_changes() == 0
        assert server_flags(mail_user)[2] == {FLAGGED}
        assert server_flags(mail_user)[3] == {FLAGGED}
        index = backend.open_folder("INBOX")
        assert index.summary(index.position_of(3) or 0).flagged  # type: ignore[arg-type]

    def test_pending_changes_survive_a_new_process(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = make_backend()
        fill(backend, 2)
        backend.open_folder("INBOX")
        mail_user.server.stop()
        try:
            with pytest.raises(ConnectionLostError):
                backend.set_flags("INBOX", [1], add=[SEEN])
        finally:
            mail_user.server.start()
        backend.close()
        later = make_backend()  # same cache file, as after a restart of smimetui
        later.open_folder("INBOX")
        assert server_flags(mail_user)[1] == {SEEN}


class TestBackoff:
    def test_server_back_within_the_retries(self, make_backend: Make, mail_user: MailUser) -> None:
        backend = make_backend(retry_delays=(0.5, 1.0, 2.0))
        fill(backend, 2)
        backend.open_folder("INBOX")
        server = mail_user.server
        server.stop()
        restarter = threading.Timer(0.6, server.start)  # down for a moment, as in a restart
        restarter.start()
        try:
            assert backend.search("INBOX", "zzz-not-there") == []
        finally:
            restarter.join()
        assert backend.connects == 2

    def test_down_longer_fails_in_bounded_time(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = make_backend(retry_delays=(0.2, 0.4))
        fill(backend, 1)
        backend.open_folder("INBOX")
        mail_user.server.stop()
        try:
            started = time.monotonic()
            with pytest.raises(ConnectionLostError) as err:
                backend.fetch_raw("INBOX", 1)
            assert time.monotonic() - started < 5  # bounded: 0.6 s of waiting plus connects
            assert str(err.value).endswith(".") and "127.0.0.1" in str(err.value)
        finally:
            mail_user.server.start()

    def test_reconnect_forever_replays_pending_flags(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = make_backend(retry_delays=())
        fill(backend, 3)
        backend.open_folder("INBOX")
        server = mail_user.server
        server.stop()
        waits: list[float] = []
        result: list[bool] = []
        stop = threading.Event()
        try:
            with pytest.raises(ConnectionLostError):
                backend.set_flags("INBOX", [2], add=[FLAGGED])
            worker = threading.Thread(
                target=lambda: result.append(backend.reconnect_forever(stop, waits.append))
            )
            worker.start()
            time.sleep(1.0)  # several attempts, each wait twice the one before
            assert waits[:3] == [0.5, 1.0, 2.0][: len(waits[:3])] and len(waits) >= 2
        finally:
            server.start()
        worker.join(10)
        assert result == [True]
        assert backend.pending_changes() == 0
        assert server_flags(mail_user)[2] == {FLAGGED}

    def test_reconnect_forever_stops_when_asked(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = make_backend()
        mail_user.server.stop()
        stop = threading.Event()
        try:
            threading.Timer(0.3, stop.set).start()
            assert backend.reconnect_forever(stop) is False
        finally:
            mail_user.server.start()


class TestIdleRestart:
    def test_idle_survives_a_server_restart(self, make_backend: Make, mail_user: MailUser) -> None:
        backend = make_backend()
        fill(backend, 1)
        backend.open_folder("INBOX")
        calls: list[float] = []
        stop = threading.Event()
        watcher = threading.Thread(
            target=backend.idle, args=("INBOX", lambda: calls.append(time.monotonic()), stop)
        )
        watcher.start()
        try:
            time.sleep(0.3)
            mail_user.server.restart()
            deadline = time.monotonic() + 10
            while len(calls) < 2 and time.monotonic() < deadline:  # 2nd: after reconnecting
                time.sleep(0.05)
            assert len(calls) >= 2
        finally:
            stop.set()
            watcher.join(10)
        assert not watcher.is_alive()


class TestDeadSocket:
    def test_closed_socket_is_reopened(self, make_backend: Make) -> None:
        backend = make_backend()
        fill(backend, 2)
        backend.open_folder("INBOX")
        assert backend._client is not None
        backend._client.socket().shutdown(socket.SHUT_RDWR)  # as a NAT timeout or RST would
        assert backend.search("INBOX", "zzz-not-there") == []
        assert backend.connects == 2

    def test_shutdown_socket_during_sync(self, make_backend: Make) -> None:
        backend = make_backend()
        fill(backend, 2)
        backend.open_folder("INBOX")
        assert backend._client is not None
        backend._client.shutdown()
        stats = backend.sync("INBOX")
        assert stats.total == 2 and backend.connects == 2


class TestFolderDeletedElsewhere:
    def test_open_and_operations_say_folder_not_found(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = make_backend()
        other = other_client(mail_user)
        other.create_folder("Projects")
        fill(backend, 2, folder="Projects")
        backend.open_folder("Projects")
        other.delete_folder("Projects")
        other.logout()
        with pytest.raises(FolderNotFoundError, match="Projects"):
            backend.sync("Projects")
        with pytest.raises(FolderNotFoundError):
            backend.fetch_raw("Projects", 1)
        assert "Projects" not in [f.name for f in backend.list_folders()]
