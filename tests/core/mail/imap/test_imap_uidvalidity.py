"""A folder recreated on the server (a new UIDVALIDITY): UIDs from before name other messages.

No journalled flag change and no cached body from the old UIDVALIDITY may reach a message of
the new one; changes that cannot be sent are dropped and said so."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from smimetui.core.errors import ConnectionLostError, FolderResetError
from smimetui.core.mail.base import FLAGGED
from smimetui.core.mail.imap.backend import ImapBackend
from tests.support.servers.imap import MailUser, fill, other_client, server_flags

pytestmark = pytest.mark.dovecot

Make = Callable[..., ImapBackend]


def recreate(user: MailUser, folder: str, subjects: list[str]) -> None:
    """Delete and recreate ``folder`` from another client, with new messages at UIDs 1, 2, ..."""
    other = other_client(user)
    try:
        other.delete_folder(folder)
        time.sleep(1.1)  # Dovecot derives UIDVALIDITY from the clock
        other.create_folder(folder)
        for subject in subjects:
            other.append(folder, f"Subject: {subject}\r\n\r\n{subject} body\r\n".encode())
    finally:
        other.logout()


def prepared(make_backend: Make, user: MailUser) -> ImapBackend:
    backend = make_backend(retry_delays=(0.1,))
    other = other_client(user)
    other.create_folder("Work")
    other.logout()
    fill(backend, 3, folder="Work")
    backend.open_folder("Work")
    return backend


class TestJournal:
    def test_offline_change_is_not_replayed_onto_a_new_message(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = prepared(make_backend, mail_user)
        mail_user.server.stop()
        try:
            with pytest.raises(ConnectionLostError):
                backend.set_flags("Work", [2], add=[FLAGGED])
            assert backend.pending_changes() == 1
        finally:
            mail_user.server.start()
        recreate(mail_user, "Work", ["new one", "new two", "new three"])
        backend.list_folders()  # reconnects: the journal is replayed here
        assert server_flags(mail_user, "Work")[2] == frozenset()
        assert backend.pending_changes() == 0
        notices = backend.take_notices()
        assert len(notices) == 1 and "Work" in notices[0] and "UIDVALIDITY" in notices[0]

    def test_change_from_a_stale_cache_is_refused(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = prepared(make_backend, mail_user)
        backend.close()
        recreate(mail_user, "Work", ["new one", "new two"])
        later = make_backend()  # a new process over the same (now stale) cache
        with pytest.raises(FolderResetError) as err:
            later.set_flags("Work", [2], add=[FLAGGED])
        assert str(err.value).endswith(".") and "Work" in str(err.value)
        assert server_flags(mail_user, "Work")[2] == frozenset()
        assert later.pending_changes() == 0


class TestBodyCache:
    def test_show_does_not_serve_a_body_of_the_old_uidvalidity(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = prepared(make_backend, mail_user)
        old = backend.fetch_raw("Work", 1)  # now in the body cache
        backend.close()
        recreate(mail_user, "Work", ["the new first message"])
        later = make_backend()  # as `smimetui show 1 --folder Work` would
        raw = later.fetch_raw("Work", 1)
        assert raw != old and b"the new first message" in raw

    def test_offline_the_cached_body_is_still_shown(
        self, make_backend: Make, mail_user: MailUser
    ) -> None:
        backend = prepared(make_backend, mail_user)
        cached = backend.fetch_raw("Work", 1)
        backend.close()
        mail_user.server.stop()
        try:
            later = make_backend(retry_delays=(0.05,))
            assert later.fetch_raw("Work", 1) == cached
        finally:
            mail_user.server.start()
