"""CachedIndex over a real SQLite cache: incremental changes agree with a reload."""

from __future__ import annotations

import random

import pytest

from smimetui.core.mail.imap.cached_index import CachedIndex, SortKey
from smimetui.core.mail.imap.header_cache import HeaderCache


def filled(cache: HeaderCache, count: int) -> int:
    state = cache.begin_folder("a", "INBOX", 1)
    cache.put_rows(state.id, [(u, u % 3, 1000 - u, 10, 0, "", b"") for u in range(1, count + 1)])
    return state.id


def rows(index: CachedIndex) -> list[tuple[int, int, int]]:
    return [(index.uid_at(p), index.date_at(p), index.bits_at(p)) for p in range(len(index))]


class TestWithChanges:
    @pytest.mark.parametrize("seed", range(8))
    def test_matches_a_reload(self, seed: int) -> None:
        rng = random.Random(seed)
        cache = HeaderCache()
        folder = filled(cache, 200)
        index = CachedIndex.load(cache, folder)
        uids = index.uids()
        removed = set(rng.sample(uids, rng.randint(0, 20)))
        bits = {u: rng.randint(0, 31) for u in rng.sample(uids, 30)}
        added = [(u, 5000 - u, 1) for u in range(201, 201 + rng.randint(0, 5))]
        changed = index.with_changes(added, removed, bits)
        cache.delete_uids(folder, removed)
        cache.set_flags(folder, [(u, b, "", 0) for u, b in bits.items()])
        cache.put_rows(folder, [(u, b, d, 1, 0, "", b"") for u, d, b in added])
        assert not cache.has_snapshot(folder)  # every change dropped the packed copy
        assert rows(changed) == rows(CachedIndex.load(cache, folder))

    def test_rows_already_present_are_not_added_twice(self) -> None:
        cache = HeaderCache()
        index = CachedIndex.load(cache, filled(cache, 5))
        once = index.with_changes(added=[(6, 1, 0), (7, 1, 0)])
        twice = once.with_changes(added=[(6, 1, 1), (7, 1, 0), (8, 1, 0)])
        assert twice.uids() == [8, 7, 6, 5, 4, 3, 2, 1]
        assert twice.bits_at(2) == 1

    def test_other_orders_take_the_general_path(self) -> None:
        cache = HeaderCache()
        index = CachedIndex.load(cache, filled(cache, 10)).sorted_by(SortKey.DATE, False)
        changed = index.with_changes(added=[(11, 0, 0)], removed=[3])
        assert changed.uids()[0] == 11 and 3 not in changed.uids()
        assert changed.columns() is None  # not in snapshot order


class TestSnapshot:
    def test_columns_round_trip_and_fallback(self) -> None:
        cache = HeaderCache()
        folder = filled(cache, 50)
        assert not cache.has_snapshot(folder)
        first = cache.columns(folder)  # from the table, then stored
        assert cache.has_snapshot(folder)
        assert cache.columns(folder) == first
        cache._db.execute("UPDATE snapshots SET bits=x'00'")  # damaged: lengths disagree
        assert cache.columns(folder) == first
