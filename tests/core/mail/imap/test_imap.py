"""The IMAP backend against real servers: login, TLS, folders, cache, resync, operations.

Everything but TLS runs on Dovecot, Cyrus and Courier; where they differ, the expectation says
which server it is for (``mail_user.server``: kind, folder prefix, delimiter, QRESYNC)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import pytest

from smimetui.core.errors import (
    AuthenticationError,
    FolderNotFoundError,
    NoTrashError,
    TlsError,
)
from smimetui.core.mail.base import FLAGGED, SEEN, FolderRole, MailBackend, SecurityHint
from smimetui.core.mail.factory import PasswordSource
from smimetui.core.mail.imap.backend import ImapBackend
from smimetui.core.mail.imap.cached_index import SortKey
from smimetui.core.mail.imap.header_cache import HeaderCache
from smimetui.core.settings.accounts import Account
from tests.support.messages import make_message
from tests.support.servers.imap import SERVERS, MailUser, fill, other_client, server_flags

pytestmark = [pytest.mark.dovecot, pytest.mark.servers(*SERVERS)]

Make = Callable[..., ImapBackend]


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

    def test_a_refused_password_is_asked_for_again(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        """The session keeps a typed password for reconnecting, unless the server refused it."""
        answers = iter(["typo", mail_user.password])
        asked: list[str] = []

        def prompt(question: str) -> str:
            asked.append(question)
            return next(answers)

        account = Account(name="work", email="alice@example.org", imap_host="127.0.0.1")
        backend = make_backend(password=PasswordSource(account, prompt))
        with pytest.raises(AuthenticationError):
            backend.list_folders()
        assert backend.list_folders()
        backend.close()
        assert backend.list_folders()
        assert len(asked) == 2

    @pytest.mark.servers("dovecot")
    def test_tls_with_the_account_ca(self, make_backend: Make, mail_user: MailUser) -> None:
        server = mail_user.server
        backend = make_backend(port=server.imaps_port, security="tls", ca_file=str(server.ca_pem))
        assert backend.folder_for_role(FolderRole.SENT) == "Sent"

    @pytest.mark.servers("dovecot")
    def test_starttls_with_the_account_ca(self, make_backend: Make, mail_user: MailUser) -> None:
        server = mail_user.server
        backend = make_backend(security="starttls", ca_file=str(server.ca_pem))
        assert backend.folder_for_role(FolderRole.TRASH) == "Trash"

    @pytest.mark.servers("dovecot")
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
    def test_roles_and_counts(
        self, make_backend: Make, mail_user: MailUser, extensions: bool
    ) -> None:
        """Roles from SPECIAL-USE (Dovecot, Cyrus) or else from the name after the real
        delimiter (Courier: INBOX.Trash, no SPECIAL-USE)."""
        backend = make_backend(use_extensions=extensions)
        fill(backend, 3)
        backend.set_flags("INBOX", [1], add=[SEEN])
        folders = {f.name: f for f in backend.list_folders()}
        box = mail_user.box
        assert folders["INBOX"].role is FolderRole.INBOX
        for name, role in [
            ("Sent", FolderRole.SENT),
            ("Drafts", FolderRole.DRAFTS),
            ("Trash", FolderRole.TRASH),
            ("Junk", FolderRole.JUNK),
            ("Archive", FolderRole.ARCHIVE),
        ]:
            assert folders[box(name)].role is role, name
            assert backend.folder_for_role(role) == box(name)
        assert (folders["INBOX"].total, folders["INBOX"].unread) == (3, 2)
        assert folders[box("Sent")].delimiter == mail_user.server.delimiter

    def test_missing_folder(self, make_backend: Make) -> None:
        with pytest.raises(FolderNotFoundError, match="does not exist"):
            make_backend().open_folder("Nope")


class TestCache:
    def test_cold_then_warm_without_refetch(self, make_backend: Make, mail_user: MailUser) -> None:
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
        if mail_user.server.qresync:  # HIGHESTMODSEQ unchanged: nothing fetched
            assert warm.last_sync.bytes_read == 0
        else:  # Courier: one FLAGS sweep, no message fetched again (no UIDNEXT in SELECT)
            assert warm.last_sync.bytes_read < 30 * 100
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

    def test_many_new_messages_from_another_client(
        self, make_backend: Make, mail_user: MailUser, cache: HeaderCache
    ) -> None:
        """Courier sends no UIDNEXT in SELECT: it is the last message's UID + 1, so 50 new
        messages are 50 new (not removals and flag changes), and later syncs find nothing."""
        backend = make_backend()
        fill(backend, 20)
        backend.open_folder("INBOX")
        state = cache.folder_state(mail_user.name, "INBOX")
        assert state is not None and state.uidnext == 21
        other = other_client(mail_user)
        for i in range(50):
            other.append("INBOX", make_message(random.Random(i), 100 + i))
        other.logout()
        stats = backend.sync("INBOX")
        assert (stats.new, stats.expunged, stats.flag_changes, stats.total) == (50, 0, 0, 70)
        assert backend.open_folder("INBOX").uids() == list(range(70, 0, -1))  # type: ignore[attr-defined]
        for _ in range(2):
            again = make_backend().sync("INBOX")  # as a new start, and again
            assert (again.new, again.expunged, again.flag_changes, again.total) == (0, 0, 0, 70)

    def test_newest_messages_expunged_then_new_ones(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        """Without UIDNEXT from the server, the last UID drops when the newest messages go;
        UIDs are never reused, so what comes after is still found."""
        backend = make_backend()
        fill(backend, 5)
        backend.open_folder("INBOX")
        other = other_client(mail_user)
        other.select_folder("INBOX")
        other.add_flags([4, 5], [b"\\Deleted"])
        other.expunge()
        stats = backend.sync("INBOX")
        assert (stats.new, stats.expunged, stats.total) == (0, 2, 3)
        other.append("INBOX", b"Subject: after\r\n\r\nx\r\n")
        other.logout()
        stats = backend.sync("INBOX")
        assert (stats.new, stats.expunged, stats.total) == (1, 0, 4)
        index = backend.open_folder("INBOX")
        assert index.uids() == [6, 3, 2, 1] and index.summary(0).subject == "after"  # type: ignore[attr-defined]

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
        work = mail_user.box("Work")
        other.create_folder(work)
        fill(backend, 5, folder=work)
        assert len(backend.open_folder(work)) == 5
        other.delete_folder(work)
        time.sleep(1.1)  # Dovecot and Courier derive UIDVALIDITY from the clock
        other.create_folder(work)
        other.append(work, b"Subject: the only one now\r\n\r\nx\r\n")
        other.logout()
        stats = backend.sync(work)
        assert stats.invalidated and stats.cold
        index = backend.open_folder(work)
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
    def test_copy_move_delete(
        self, make_backend: Make, mail_user: MailUser, extensions: bool
    ) -> None:
        backend = make_backend(use_extensions=extensions)
        archive, trash = mail_user.box("Archive"), mail_user.box("Trash")
        fill(backend, 6)
        backend.open_folder("INBOX")
        backend.copy("INBOX", [1], archive)
        backend.move("INBOX", [2, 3], archive)
        assert backend.delete("INBOX", [4]) == trash  # says where it went
        assert backend.open_folder("INBOX").uids() == [6, 5, 1]  # type: ignore[attr-defined]
        assert len(backend.open_folder(archive)) == 3
        assert len(backend.open_folder(trash)) == 1
        assert backend.delete(trash, [1]) is None  # in Trash already: gone for good
        assert len(backend.open_folder(trash)) == 0

    @pytest.mark.servers("cyrus", "courier")
    def test_delete_without_trash_asks_and_never_expunges(
        self, user_without_trash: MailUser, cache: HeaderCache
    ) -> None:
        """No Trash folder: nothing is removed until the caller says ``permanently``."""
        user = user_without_trash
        backend = user.backend(cache=cache)
        try:
            fill(backend, 3)
            backend.open_folder("INBOX")
            assert backend.folder_for_role(FolderRole.TRASH) is None
            with pytest.raises(NoTrashError) as err:
                backend.delete("INBOX", [2])
            assert "nothing was deleted" in str(err.value) and str(err.value).endswith(".")
            assert sorted(server_flags(user)) == [1, 2, 3]
            assert backend.open_folder("INBOX").uids() == [3, 2, 1]  # type: ignore[attr-defined]
            assert backend.delete("INBOX", [2], permanently=True) is None
            assert sorted(server_flags(user)) == [1, 3]
            assert backend.open_folder("INBOX").uids() == [3, 1]  # type: ignore[attr-defined]
        finally:
            backend.close()

    @pytest.mark.servers("cyrus", "courier")
    def test_delete_finds_a_trash_folder_created_meanwhile(
        self, user_without_trash: MailUser, cache: HeaderCache
    ) -> None:
        """Created by another client, without a SPECIAL-USE flag: found by its name."""
        user = user_without_trash
        backend = user.backend(cache=cache)
        try:
            fill(backend, 2)
            backend.open_folder("INBOX")
            assert backend.folder_for_role(FolderRole.TRASH) is None
            other = other_client(user)
            other.create_folder(user.box("Trash"))
            other.logout()
            assert backend.delete("INBOX", [1]) == user.box("Trash")
            assert sorted(server_flags(user, user.box("Trash"))) == [1]
        finally:
            backend.close()

    def test_expunge(self, make_backend: Make) -> None:
        backend = make_backend()
        fill(backend, 3)
        backend.open_folder("INBOX")
        backend.set_flags("INBOX", [2], add=["\\Deleted"])
        backend.expunge("INBOX")
        assert backend.open_folder("INBOX").uids() == [3, 1]  # type: ignore[attr-defined]

    def test_append_returns_uid_and_search(self, make_backend: Make, mail_user: MailUser) -> None:
        backend = make_backend()
        sent = mail_user.box("Sent")
        fill(backend, 3)
        uid = backend.append(sent, b"Subject: zebra crossing\r\n\r\nstripes\r\n", [SEEN])
        assert uid == 1
        assert backend.search(sent, "zebra") == [1]
        assert backend.search(sent, "stripes") == [1]
        assert backend.search("INBOX", "zebra") == []
        assert backend.open_folder(sent).summary(0).seen

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
        state = backend.cache.folder_state(mail_user.name, "INBOX")
        assert state is not None and state.uidnext == 4  # IDLE fetches from here, not from 1
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
