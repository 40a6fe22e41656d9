"""The IMAP backend against a real Dovecot: login, TLS, folders, cache, resync, operations."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import imapclient
import pytest

from smimetui.core.backends.base import FLAGGED, SEEN, FolderRole, MailBackend, SecurityHint
from smimetui.core.backends.cache import HeaderCache
from smimetui.core.backends.cached_index import SortKey
from smimetui.core.backends.imap import ImapBackend
from smimetui.core.errors import AuthenticationError, FolderNotFoundError, TlsError

from .conftest import MailUser
from .messages import make_message

pytestmark = pytest.mark.dovecot

Make = Callable[..., ImapBackend]


def other_client(user: MailUser) -> imapclient.IMAPClient:
    """A second, independent client (plain imapclient), like another mail program."""
    client = imapclient.IMAPClient("127.0.0.1", port=user.server.imap_port, ssl=False)
    client.login(user.name, user.password)
    return client


def fill(backend: ImapBackend, count: int, folder: str = "INBOX", seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    messages = [make_message(rng, i) for i in range(count)]
    for raw in messages:
        backend.append(folder, raw)
    return messages


def server_flags(user: MailUser, folder: str = "INBOX") -> dict[int, frozenset[str]]:
    client = other_client(user)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search()  # imapclient 4.1 cannot fetch "1:*"
        data = client.fetch(uids, ["FLAGS"]) if uids else {}
        return {
            uid: frozenset(f.decode() for f in d[b"FLAGS"] if f != b"\\Recent")
            for uid, d in data.items()
        }
    finally:
        client.logout()


def index_state(backend: ImapBackend, folder: str = "INBOX") -> dict[int, frozenset[str]]:
    index = backend.open_folder(folder)
    return {index.uid_at(p): index.summary(p).flags for p in range(len(index))}


class TestLogin:
    def test_login_and_protocol(self, make_backend: Make) -> None:
        backend = make_backend()
        assert isinstance(backend, MailBackend)
        assert [f.name for f in backend.list_folders()]
        assert backend.connects == 1

    def test_wrong_password(self, make_backend: Make, mail_user: MailUser) -> None:
        backend = make_backend(password=lambda: "wrong")
        with pytest.raises(AuthenticationError) as err:
            backend.list_folders()
        assert f"Login failed for {mail_user.name}" in str(err.value)
        assert str(err.value).endswith(".")

    def test_tls_with_the_account_ca(self, make_backend: Make, mail_user: MailUser) -> None:
        server = mail_user.server
        backend = make_backend(port=server.imaps_port, security="tls", ca_file=str(server.ca_pem))
        assert backend.folder_for_role(FolderRole.SENT) == "Sent"

    def test_starttls_with_the_account_ca(self, make_backend: Make, mail_user: MailUser) -> None:
        server = mail_user.server
        backend = make_backend(security="starttls", ca_file=str(server.ca_pem))
        assert backend.folder_for_role(FolderRole.TRASH) == "Trash"

    def test_tls_without_the_ca_fails_clearly(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = make_backend(port=mail_user.server.imaps_port, security="tls")
        with pytest.raises(TlsError) as err:
            backend.list_folders()
        assert "could not be verified" in str(err.value)
        assert "CA file" in str(err.value)


class TestFolders:
    @pytest.mark.parametrize("extensions", [True, False])
    def test_roles_and_counts(self, make_backend: Make, extensions: bool) -> None:
        backend = make_backend(use_extensions=extensions)
        fill(backend, 3)
        backend.set_flags("INBOX", [1], add=[SEEN])
        folders = {f.name: f for f in backend.list_folders()}
        roles = {f.role for f in folders.values()}
        assert roles >= {FolderRole.INBOX, FolderRole.SENT, FolderRole.DRAFTS, FolderRole.TRASH}
        assert folders["Junk"].role is FolderRole.JUNK
        assert folders["Archive"].role is FolderRole.ARCHIVE
        assert (folders["INBOX"].total, folders["INBOX"].unread) == (3, 2)
        assert folders["Sent"].delimiter == "/"

    def test_missing_folder(self, make_backend: Make) -> None:
        with pytest.raises(FolderNotFoundError, match="does not exist"):
            make_backend().open_folder("Nope")


class TestCache:
    def test_cold_then_warm_without_refetch(self, make_backend: Make) -> None:
        writer = make_backend()
        fill(writer, 30)
        cold = make_backend()
        index = cold.open_folder("INBOX")
        assert len(index) == 30 and cold.last_sync is not None and cold.last_sync.cold
        assert [index.uid_at(p) for p in range(3)] == [30, 29, 28]  # newest first
        warm = make_backend()  # a new process on the same cache
        assert warm.cached_index("INBOX") is not None  # shown before any network
        index2 = warm.open_folder("INBOX")
        assert warm.last_sync is not None
        assert not warm.last_sync.cold and warm.last_sync.new == 0
        assert warm.last_sync.bytes_read == 0  # QRESYNC: HIGHESTMODSEQ unchanged, nothing fetched
        assert [index2.summary(p) for p in range(30)] == [index.summary(p) for p in range(30)]

    def test_warm_open_reads_the_snapshot_and_changes_replace_it(
        self, make_backend: Make, cache: HeaderCache, mail_user: MailUser
    ) -> None:
        writer = make_backend()
        fill(writer, 12)
        writer.open_folder("INBOX")
        state = cache.folder_state(mail_user.name, "INBOX")
        assert state is not None and cache.has_snapshot(state.id)
        writer.set_flags("INBOX", [5], add=[FLAGGED])  # changes the table: snapshot dropped
        assert not cache.has_snapshot(state.id)
        writer.close()  # closing stores the index again
        assert cache.has_snapshot(state.id)
        # the snapshot must agree with the table it stands for
        from_table = list(cache.index_columns(state.id))
        uids, dates, bits = cache.columns(state.id)
        assert list(zip(uids, dates, bits, strict=True)) == from_table
        assert dict((u, b) for u, _, b in from_table)[5] == 2  # \Flagged
        warm = make_backend()
        index = warm.open_folder("INBOX")
        assert index.summary(index.position_of(5) or 0).flagged  # type: ignore[arg-type]
        assert warm.last_sync is not None and not warm.last_sync.cold  # our own STORE comes back

    @pytest.mark.parametrize("extensions", [True, False])
    def test_keywords_changed_elsewhere(
        self, make_backend: Make, mail_user: MailUser, extensions: bool
    ) -> None:
        backend = make_backend(use_extensions=extensions)
        fill(backend, 4)
        other = other_client(mail_user)
        other.select_folder("INBOX")
        other.add_flags([1, 2], [b"$Label1"])
        backend.open_folder("INBOX")
        other.remove_flags([1], [b"$Label1"])
        other.add_flags([1], [b"$Label2"])  # same system-flag bits, other keywords
        other.add_flags([3], [b"\\Seen"])
        other.logout()
        backend.sync("INBOX")
        assert index_state(backend) == server_flags(mail_user)
        assert index_state(backend)[1] == {"$Label2"}

    def test_cache_format_upgrade_invalidates(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        path = tmp_path / "c.sqlite3"
        cache = HeaderCache(path)
        state = cache.begin_folder("a", "INBOX", 7)
        cache.put_rows(state.id, [(1, 0, 0, 0, 0, "", b"")])
        cache._db.execute("UPDATE meta SET value='0' WHERE key='format'")
        cache.close()
        reopened = HeaderCache(path)
        assert reopened.folder_state("a", "INBOX") is None
        reopened.close()

    @pytest.mark.parametrize("extensions", [True, False])
    def test_resync_flags_new_and_expunged(
        self, make_backend: Make, mail_user: MailUser, extensions: bool
    ) -> None:
        backend = make_backend(use_extensions=extensions)
        fill(backend, 20)
        backend.open_folder("INBOX")
        other = other_client(mail_user)
        other.select_folder("INBOX")
        other.add_flags([2, 3, 4], [b"\\Flagged"])
        other.add_flags([5, 6, 7, 8], [b"\\Deleted"])
        other.expunge()
        other.remove_flags([3], [b"\\Flagged"])
        other.append("INBOX", make_message(random.Random(9), 99))
        other.logout()
        stats = backend.sync("INBOX")
        assert not stats.cold
        assert stats.expunged == 4 and stats.new == 1
        assert index_state(backend) == server_flags(mail_user)
        index = backend.open_folder("INBOX")
        assert index.uid_at(0) == 21 and index.position_of(5) is None
        assert index.summary(index.position_of(2) or 0).flagged  # type: ignore[arg-type]

    def test_two_rounds_of_changes_on_a_selected_folder(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = make_backend()
        fill(backend, 6)
        backend.open_folder("INBOX")
        other = other_client(mail_user)
        other.select_folder("INBOX")
        for uid in (2, 4):
            other.add_flags([uid], [b"\\Flagged"])
            other.append("INBOX", b"Subject: round %d\r\n\r\nx\r\n" % uid)
            stats = backend.sync("INBOX")
            assert (stats.flag_changes, stats.new) == (1, 1)
        other.logout()
        assert index_state(backend) == server_flags(mail_user)

    def test_uidvalidity_change_invalidates(self, make_backend: Make, mail_user: MailUser) -> None:
        backend = make_backend()
        other = other_client(mail_user)
        other.create_folder("Work")
        fill(backend, 5, folder="Work")
        assert len(backend.open_folder("Work")) == 5
        other.delete_folder("Work")
        time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
        other.create_folder("Work")
        other.append("Work", b"Subject: the only one now\r\n\r\nx\r\n")
        other.logout()
        stats = backend.sync("Work")
        assert stats.invalidated and stats.cold
        index = backend.open_folder("Work")
        assert len(index) == 1 and index.summary(0).subject == "the only one now"


class TestOperations:
    def test_fetch_raw_is_byte_identical_and_cached(self, make_backend: Make, mail_user) -> None:  # type: ignore[no-untyped-def]
        backend = make_backend()
        messages = fill(backend, 4)
        backend.open_folder("INBOX")
        assert backend.fetch_raw("INBOX", 3) == messages[2]
        cached = list((mail_user.tmp / "messages").rglob("3.eml"))
        assert len(cached) == 1 and cached[0].read_bytes() == messages[2]
        assert backend.fetch_raw("INBOX", 3) == messages[2]

    def test_structure_hints(self, make_backend: Make) -> None:
        backend = make_backend()
        fill(backend, 60, seed=3)
        index = backend.open_folder("INBOX")
        rows = [index.summary(p) for p in range(len(index))]
        hints = {r.security for r in rows}
        assert hints == {SecurityHint.NONE, SecurityHint.SIGNED, SecurityHint.ENCRYPTED}
        assert any(r.has_attachments for r in rows)
        for r in rows:
            raw = backend.fetch_raw("INBOX", r.uid)
            if b"multipart/signed" in raw.split(b"\r\n\r\n")[0]:
                assert r.security is SecurityHint.SIGNED and not r.has_attachments

    def test_flags_roundtrip(self, make_backend: Make, mail_user: MailUser) -> None:
        backend = make_backend()
        fill(backend, 5)
        backend.open_folder("INBOX")
        backend.set_flags("INBOX", [1, 2, 3], add=[SEEN, FLAGGED])
        backend.set_flags("INBOX", [2], remove=[FLAGGED])
        assert server_flags(mail_user)[2] == {SEEN}
        assert server_flags(mail_user)[3] == {SEEN, FLAGGED}
        index = backend.cached_index("INBOX")
        assert index is not None and index.summary(index.position_of(3) or 0).flagged  # type: ignore[arg-type]
        assert backend.pending_changes() == 0

    @pytest.mark.parametrize("extensions", [True, False])
    def test_copy_move_delete(self, make_backend: Make, extensions: bool) -> None:
        backend = make_backend(use_extensions=extensions)
        fill(backend, 6)
        backend.open_folder("INBOX")
        backend.copy("INBOX", [1], "Archive")
        backend.move("INBOX", [2, 3], "Archive")
        backend.delete("INBOX", [4])
        assert backend.open_folder("INBOX").uids() == [6, 5, 1]  # type: ignore[attr-defined]
        assert len(backend.open_folder("Archive")) == 3
        assert len(backend.open_folder("Trash")) == 1
        backend.delete("Trash", [1])  # in Trash already: gone for good
        assert len(backend.open_folder("Trash")) == 0

    def test_expunge(self, make_backend: Make) -> None:
        backend = make_backend()
        fill(backend, 3)
        backend.open_folder("INBOX")
        backend.set_flags("INBOX", [2], add=["\\Deleted"])
        backend.expunge("INBOX")
        assert backend.open_folder("INBOX").uids() == [3, 1]  # type: ignore[attr-defined]

    def test_append_returns_uid_and_search(self, make_backend: Make) -> None:
        backend = make_backend()
        fill(backend, 3)
        uid = backend.append("Sent", b"Subject: zebra crossing\r\n\r\nstripes\r\n", [SEEN])
        assert uid == 1
        assert backend.search("Sent", "zebra") == [1]
        assert backend.search("Sent", "stripes") == [1]
        assert backend.search("INBOX", "zebra") == []
        assert backend.open_folder("Sent").summary(0).seen

    def test_sort_by_subject_and_sender(self, make_backend: Make) -> None:
        backend = make_backend()
        fill(backend, 25)
        index = backend.open_folder("INBOX")
        by_subject = index.sorted_by(SortKey.SUBJECT, descending=False)  # type: ignore[attr-defined]
        subjects = [by_subject.summary(p).subject.casefold() for p in range(len(by_subject))]
        assert subjects == sorted(subjects)
        by_from = index.sorted_by(SortKey.FROM)  # type: ignore[attr-defined]
        senders = [by_from.summary(p).sender.casefold() for p in range(len(by_from))]
        assert senders == sorted(senders, reverse=True)
        assert by_from.position_of(by_from.uid_at(7)) == 7


class TestIdle:
    def test_idle_sees_a_message_from_another_client(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = make_backend()
        fill(backend, 2)
        backend.open_folder("INBOX")
        seen = threading.Event()
        stop = threading.Event()

        def on_change() -> None:
            backend.sync("INBOX")
            index = backend.cached_index("INBOX")
            if index is not None and index.position_of(3) is not None:
                seen.set()

        watcher = threading.Thread(target=backend.idle, args=("INBOX", on_change, stop))
        watcher.start()
        try:
            time.sleep(0.3)
            other = other_client(mail_user)
            other.append("INBOX", b"Subject: ping\r\n\r\nx\r\n")
            other.logout()
            assert seen.wait(10)
        finally:
            stop.set()
            watcher.join(10)
        assert not watcher.is_alive()

    def test_new_mail_is_in_the_index_before_on_change(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = make_backend()
        fill(backend, 3)
        backend.open_folder("INBOX")
        found: list[int] = []
        seen = threading.Event()
        stop = threading.Event()

        def on_change() -> None:  # no sync here: IDLE itself fetched the new rows
            index = backend.cached_index("INBOX")
            if index is not None and index.position_of(5) is not None:
                found.extend(index.uid_at(p) for p in range(len(index)))
                seen.set()

        watcher = threading.Thread(target=backend.idle, args=("INBOX", on_change, stop))
        watcher.start()
        try:
            time.sleep(0.3)
            other = other_client(mail_user)
            for i in (4, 5):  # a burst
                other.append("INBOX", b"Subject: ping %d\r\n\r\nx\r\n" % i)
            other.logout()
            assert seen.wait(10)
        finally:
            stop.set()
            watcher.join(10)
        assert found == [5, 4, 3, 2, 1]
        assert backend.last_exists_at > 0
        index = backend.cached_index("INBOX")
        assert index is not None and index.summary(0).subject == "ping 5"
        stats = backend.sync("INBOX")  # the cache agrees: nothing new, nothing twice
        assert stats.new == 0 and stats.total == 5
        assert backend.open_folder("INBOX").uids() == [5, 4, 3, 2, 1]  # type: ignore[attr-defined]
