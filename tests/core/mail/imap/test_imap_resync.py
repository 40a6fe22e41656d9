"""Resync after changes made by another client, proven against the server's truth.

Every scenario runs twice: on the still-selected connection (the app is running: NOOP, no
SELECT) and in a new backend over the same cache (the app starts: new connection, SELECT).
After each sync the index *and* the cache table are compared, without any further network
call, with a cold full fetch into an empty cache.  On Dovecot, Cyrus and Courier; Courier has no
QRESYNC, so its "live" resync is a SELECT and a FLAGS sweep on the same connection."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import imapclient
import pytest

from smimetui.core.mail.base import FLAGGED, Summary
from smimetui.core.mail.imap.backend import ImapBackend
from smimetui.core.mail.imap.header_cache import HeaderCache
from tests.support.messages import make_message
from tests.support.servers.imap import SERVERS, MailUser, fill, other_client

pytestmark = [pytest.mark.dovecot, pytest.mark.servers(*SERVERS)]

Make = Callable[..., ImapBackend]
Change = Callable[[imapclient.IMAPClient, random.Random], None]


def truth(user: MailUser, folder: str = "INBOX") -> list[Summary]:
    """A cold full fetch into an empty cache: what the server holds now."""
    fresh = user.backend(cache=HeaderCache(), message_cache_dir=None)
    try:
        index = fresh.open_folder(folder)
        return [index.summary(p) for p in range(len(index))]
    finally:
        fresh.close()


def held(backend: ImapBackend, cache: HeaderCache, user: MailUser, folder: str) -> None:
    """The in-memory index and the cache table both equal the server's truth."""
    expected = truth(user, folder)
    index = backend.cached_index(folder)  # no network
    assert index is not None
    assert [index.summary(p) for p in range(len(index))] == expected
    reader = user.backend(cache=cache)  # a new process reading the same cache, offline
    try:
        again = reader.cached_index(folder)
        assert again is not None
        assert [again.summary(p) for p in range(len(again))] == expected
    finally:
        reader.close()


def flags_only(c: imapclient.IMAPClient, rng: random.Random) -> None:
    uids = c.search()
    c.add_flags(rng.sample(uids, 5), [b"\\Flagged"])
    c.add_flags(rng.sample(uids, 5), [b"\\Seen"])
    c.remove_flags(rng.sample(uids, 3), [b"\\Seen"])


def new_only(c: imapclient.IMAPClient, rng: random.Random) -> None:
    for i in range(3):
        c.append("INBOX", make_message(rng, 500 + i))


def expunged_only(c: imapclient.IMAPClient, rng: random.Random) -> None:
    c.add_flags(rng.sample(c.search(), 4), [b"\\Deleted"])
    c.expunge()


def keywords(c: imapclient.IMAPClient, rng: random.Random) -> None:
    uids = c.search()
    c.add_flags(uids[:4], [b"$Label1"])
    c.remove_flags(uids[:1], [b"$Label1"])
    c.add_flags(uids[1:2], [b"$Label2"])  # same system-flag bits, other keywords


def all_together(c: imapclient.IMAPClient, rng: random.Random) -> None:
    flags_only(c, rng)
    expunged_only(c, rng)
    new_only(c, rng)
    keywords(c, rng)
    new = c.search()[-1]
    c.add_flags([new], [b"\\Answered"])  # a new message changed again before we look
    c.add_flags(c.search()[-2:], [b"\\Deleted"])  # and the newest ones gone again
    c.expunge()


SCENARIOS = {
    "flags": flags_only,
    "new": new_only,
    "expunged": expunged_only,
    "keywords": keywords,
    "all": all_together,
}


def change(user: MailUser, what: Change, seed: int, folder: str = "INBOX") -> None:
    other = other_client(user)
    try:
        other.select_folder(folder)
        what(other, random.Random(seed))
    finally:
        other.logout()


@pytest.fixture(params=["live", "app_start"])
def how(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def resync(
    backend: ImapBackend, make_backend: Make, how: str, folder: str = "INBOX"
) -> ImapBackend:
    """Sync as the running app (same backend) or as a new start (new backend, same cache).
    Only a QRESYNC server (Dovecot, Cyrus) resyncs without a SELECT (live)."""
    if how == "app_start":
        backend.close()
        backend = make_backend()
    stats = backend.sync(folder)
    assert stats.live == (how == "live" and backend._has(b"QRESYNC")) and not stats.cold
    return backend


def live_if_qresync(backend: ImapBackend) -> None:
    assert backend.sync("INBOX").live == backend._has(b"QRESYNC")


class TestResync:
    @pytest.mark.parametrize("scenario", list(SCENARIOS))
    def test_one_round(
        self,
        make_backend: Make,
        mail_user: MailUser,
        cache: HeaderCache,
        how: str,
        scenario: str,
    ) -> None:
        backend = make_backend()
        fill(backend, 20)
        backend.open_folder("INBOX")
        change(mail_user, SCENARIOS[scenario], 1)
        backend = resync(backend, make_backend, how)
        held(backend, cache, mail_user, "INBOX")

    def test_rounds_in_a_row(
        self, make_backend: Make, mail_user: MailUser, cache: HeaderCache, how: str
    ) -> None:
        backend = make_backend()
        fill(backend, 20)
        backend.open_folder("INBOX")
        for seed, scenario in enumerate(["all", "flags", "expunged", "new", "all"]):
            change(mail_user, SCENARIOS[scenario], seed)
            backend = resync(backend, make_backend, how)
            held(backend, cache, mail_user, "INBOX")
        stats = backend.sync("INBOX")  # nothing changed: nothing found
        assert (stats.new, stats.expunged, stats.flag_changes) == (0, 0, 0)

    def test_changes_announced_during_our_own_commands(
        self, make_backend: Make, mail_user: MailUser, cache: HeaderCache
    ) -> None:
        """The server tells the selected session about other clients' changes after any
        command, so imaplib may swallow them during our STORE or FETCH: the live resync must
        still find them."""
        backend = make_backend()
        fill(backend, 12)
        backend.open_folder("INBOX")
        change(mail_user, all_together, 3)
        backend.set_flags("INBOX", [2], add=[FLAGGED])  # the server answers with the news
        backend.fetch_raw("INBOX", 3)
        live_if_qresync(backend)
        held(backend, cache, mail_user, "INBOX")

    def test_our_own_flag_changes_and_theirs(
        self, make_backend: Make, mail_user: MailUser, cache: HeaderCache
    ) -> None:
        backend = make_backend()
        fill(backend, 10)
        backend.open_folder("INBOX")
        backend.set_flags("INBOX", [1, 2], add=[FLAGGED])
        change(mail_user, flags_only, 4)
        live_if_qresync(backend)
        held(backend, cache, mail_user, "INBOX")

    def test_uidvalidity_change_while_selected(
        self, make_backend: Make, mail_user: MailUser, cache: HeaderCache
    ) -> None:
        backend = make_backend()
        other = other_client(mail_user)
        work = mail_user.box("Work")
        other.create_folder(work)
        fill(backend, 5, folder=work)
        backend.open_folder(work)  # selected from now on
        other.delete_folder(work)
        time.sleep(1.1)  # Dovecot and Courier derive UIDVALIDITY from the clock
        other.create_folder(work)
        other.append(work, b"Subject: the only one now\r\n\r\nx\r\n")
        other.logout()
        stats = backend.sync(work)
        assert stats.invalidated and stats.cold and not stats.live
        held(backend, cache, mail_user, work)

    def test_server_restart_between_rounds(
        self, make_backend: Make, mail_user: MailUser, cache: HeaderCache
    ) -> None:
        backend = make_backend()
        fill(backend, 20)
        backend.open_folder("INBOX")
        change(mail_user, all_together, 5)
        live_if_qresync(backend)
        mail_user.server.restart()
        change(mail_user, all_together, 6)
        stats = backend.sync("INBOX")  # the old socket is dead: reconnect, SELECT
        assert not stats.live and not stats.cold and backend.connects == 2
        held(backend, cache, mail_user, "INBOX")
        change(mail_user, all_together, 7)
        live_if_qresync(backend)  # and live again on the new connection
        held(backend, cache, mail_user, "INBOX")


def test_truth_is_a_cold_fetch(mail_user: MailUser, tmp_path: Path) -> None:
    """The oracle itself: a fresh cache, a cold fetch, every message."""
    writer = mail_user.backend(cache=HeaderCache())
    fill(writer, 3)
    writer.close()
    rows = truth(mail_user)
    assert [r.uid for r in rows] == [3, 2, 1]
