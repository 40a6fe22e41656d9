"""ReportCache: the reports already verified, least recently used first out."""

from __future__ import annotations

import threading

from smimetui.core.read.report import SecurityReport
from smimetui.core.session.report_cache import ReportCache


def report(subject: str) -> SecurityReport:
    return SecurityReport(from_addr="a@example.org", from_display="a", subject=subject, text="")


class TestReportCache:
    def test_the_least_recently_used_goes_when_full(self) -> None:
        cache = ReportCache(size=2)
        cache.put("INBOX", 1, report("one"))
        cache.put("INBOX", 2, report("two"))
        assert cache.get("INBOX", 1) is not None  # used: now the newest
        cache.put("INBOX", 3, report("three"))
        assert cache.get("INBOX", 2) is None
        assert [cache.get("INBOX", uid) is not None for uid in (1, 3)] == [True, True]
        assert len(cache) == 2

    def test_putting_again_replaces_and_refreshes(self) -> None:
        cache = ReportCache(size=2)
        cache.put("INBOX", 1, report("old"))
        cache.put("INBOX", 2, report("two"))
        cache.put("INBOX", 1, report("new"))
        cache.put("INBOX", 3, report("three"))
        kept = cache.get("INBOX", 1)
        assert kept is not None and kept.subject == "new"
        assert cache.get("INBOX", 2) is None

    def test_forget_one_message_or_a_whole_folder(self) -> None:
        cache = ReportCache()
        for folder, uid in (("INBOX", 1), ("INBOX", 2), ("Sent", 1)):
            cache.put(folder, uid, report(f"{folder} {uid}"))
        cache.forget("INBOX", 1)
        assert cache.get("INBOX", 1) is None and cache.get("INBOX", 2) is not None
        cache.forget("INBOX")
        assert cache.get("INBOX", 2) is None
        assert cache.get("Sent", 1) is not None  # same uid, other folder: kept

    def test_clear(self) -> None:
        cache = ReportCache()
        cache.put("INBOX", 1, report("one"))
        cache.clear()
        assert cache.get("INBOX", 1) is None and len(cache) == 0

    def test_workers_filling_it_at_once_never_exceed_the_size(self) -> None:
        cache = ReportCache(size=50)

        def fill(folder: str) -> None:
            for uid in range(500):
                cache.put(folder, uid, report(str(uid)))
                cache.get(folder, uid // 2)

        threads = [threading.Thread(target=fill, args=(f"F{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(cache) == 50
