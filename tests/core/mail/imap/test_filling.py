"""A cold sync shows its newest rows after the first batch (issue 10, section 4).

``ImapBackend.filling_index`` is read from the sync's own progress callback, as the mail
reader does: after the first batch it holds the newest messages in order, readable from the
cache while the rest is still being fetched; then it grows; after the sync there is none."""

from __future__ import annotations

import pytest

from smimetui.core.mail.imap.header_cache import HeaderCache
from smimetui.core.mail.imap.sync import BATCH, FIRST_BATCH
from tests.support.messages import generate
from tests.support.servers.imap import MailUser

pytestmark = pytest.mark.dovecot

COUNT = FIRST_BATCH + BATCH + 100  # three FETCH commands: 500, 5,000 and 100 rows


def test_cold_sync_offers_the_newest_rows_after_the_first_batch(mail_user: MailUser) -> None:
    mail_user.server.write_maildir(mail_user.name, generate(COUNT))
    backend = mail_user.backend(cache=HeaderCache())
    seen: list[tuple[int, list[int], list[str]]] = []

    def progress(done: int, total: int) -> None:
        index = backend.filling_index("INBOX")
        if index is not None:  # None until the newest command has completed
            subjects = [index.summary(p).subject for p in range(3)]  # readable from the cache
            seen.append((done, index.uids(), subjects))

    try:
        assert backend.filling_index("INBOX") is None  # nothing running
        full = backend.open_folder("INBOX", progress)
        assert backend.filling_index("INBOX") is None  # finished
        everything = [full.uid_at(p) for p in range(len(full))]
        first_done, first_uids, first_subjects = seen[0]
        # The newest rows, newest first, before the rest had arrived (rows of later commands
        # that came early are stored, but join when their command completes).
        assert FIRST_BATCH <= len(first_uids) < COUNT
        assert first_uids == everything[: len(first_uids)]
        assert first_subjects == [full.summary(p).subject for p in range(3)]
        assert seen[-1][1] == everything  # it grew to the whole folder
    finally:
        backend.close()


def test_warm_sync_offers_no_filling_index(mail_user: MailUser) -> None:
    mail_user.server.write_maildir(mail_user.name, generate(20))
    cache = HeaderCache()
    backend = mail_user.backend(cache=cache)
    try:
        backend.open_folder("INBOX")
        seen: list[object] = []
        backend.open_folder(
            "INBOX", lambda done, total: seen.append(backend.filling_index("INBOX"))
        )
        assert all(index is None for index in seen)
        assert backend.filling_index("INBOX") is None
    finally:
        backend.close()
