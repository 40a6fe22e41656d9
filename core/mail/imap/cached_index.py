"""A :class:`FolderIndex` over the header cache: compact arrays in memory, rows decoded lazily.

Per message only the UID, the date and the system-flag bits are held (13 bytes in ``array``s);
a row's sender, subject and structure are decoded from the cache when it is shown and kept in a
small LRU.  Indexes are immutable: a resync produces a new one with :meth:`with_changes` (a few
memcpy of the arrays), so a UI thread can keep reading the old one while a worker builds the next.
Sorting by sender or subject decodes every envelope once, in whatever thread calls
:meth:`sorted_by` (a worker), and stores the keys in the cache for the next time.
"""

from __future__ import annotations

import bisect
import operator
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from enum import Enum

from smimetui.core.mail.base import Summary
from smimetui.core.mail.imap.header_cache import UID_BITS, Columns, HeaderCache
from smimetui.core.mail.imap.summaries import decode_summary, sort_keys

LRU_SIZE = 2048
SORT_BATCH = 5000


class SortKey(Enum):
    ARRIVAL = "arrival"  # UID order: newest first by default
    DATE = "date"  # INTERNALDATE
    FROM = "from"
    SUBJECT = "subject"


class CachedIndex:
    """Rows of one folder in display order; position 0 is the first row."""

    def __init__(
        self,
        cache: HeaderCache,
        folder_id: int,
        uids: array[int],
        dates: array[int],
        bits: array[int],
        sort: SortKey = SortKey.ARRIVAL,
        descending: bool = True,
    ) -> None:
        self._cache = cache
        self.folder_id = folder_id
        self._uids = uids
        self._dates = dates
        self._bits = bits
        self.sort = sort
        self.descending = descending
        self._lru: OrderedDict[int, Summary] = OrderedDict()
        self._lru_lock = threading.Lock()
        self._by_uid: tuple[array[int], array[int]] | None = None

    @classmethod
    def load(cls, cache: HeaderCache, folder_id: int) -> CachedIndex:
        """Everything cached for the folder, highest UID first (one snapshot read when warm)."""
        uids, dates, bits = cache.columns(folder_id)
        return cls(cache, folder_id, uids, dates, bits)

    def columns(self) -> Columns | None:
        """The arrays in the cache's snapshot order (highest UID first), else None."""
        if self.sort is SortKey.ARRIVAL and self.descending:
            return self._uids, self._dates, self._bits
        return None

    # -- FolderIndex ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._uids)

    def uid_at(self, position: int) -> int:
        return self._uids[position]

    def date_at(self, position: int) -> int:
        return self._dates[position]

    def bits_at(self, position: int) -> int:
        return self._bits[position]

    def position_of(self, uid: int) -> int | None:
        if self.sort is SortKey.ARRIVAL and self.descending:
            i = bisect.bisect_left(self._uids, -uid, key=operator.neg)  # C, not a lambda
            return i if i < len(self._uids) and self._uids[i] == uid else None
        asc, positions = self._uid_lookup()
        i = bisect.bisect_left(asc, uid)
        return positions[i] if i < len(asc) and asc[i] == uid else None

    def _uid_lookup(self) -> tuple[array[int], array[int]]:
        if self._by_uid is None:
            order = sorted(range(len(self._uids)), key=self._uids.__getitem__)
            asc = array("I", (self._uids[i] for i in order))
            self._by_uid = (asc, array("I", order))
        return self._by_uid

    def summary(self, position: int) -> Summary:
        uid = self._uids[position]
        with self._lru_lock:
            cached = self._lru.get(uid)
            if cached is not None:
                self._lru.move_to_end(uid)
                return cached
        row = self._cache.row(self.folder_id, uid)
        if row is None:  # expunged meanwhile: an honest empty row rather than an exception
            summary = Summary(uid, None, "", "", "(message no longer in the folder)", frozenset())
        else:
            summary = decode_summary(uid, row.flags, row.date, row.size, row.raw)
        with self._lru_lock:
            self._lru[uid] = summary
            if len(self._lru) > LRU_SIZE:
                self._lru.popitem(last=False)
        return summary

    @property
    def unread(self) -> int:
        return sum(1 for b in self._bits if not b & 1)

    def uids(self) -> list[int]:
        return self._uids.tolist()

    # -- changes ----------------------------------------------------------------------------------
    def with_changes(
        self,
        added: Iterable[tuple[int, int, int]] = (),
        removed: Iterable[int] = (),
        bits: dict[int, int] | None = None,
    ) -> CachedIndex:
        """A new index: ``added`` (uid, date, bits) rows, ``removed`` UIDs, new flag ``bits``."""
        gone = set(removed)
        changed = bits or {}
        new_rows = sorted(added, reverse=True)
        arrival = self.sort is SortKey.ARRIVAL and self.descending
        top = (self._uids[0] if arrival else max(self._uids)) if len(self._uids) else 0
        if new_rows and new_rows[-1][0] <= top:
            known = [r for r in new_rows if self.position_of(r[0]) is not None]
            if known:  # already here (fetched by IDLE and by a sync): update, not duplicate
                changed = {**{u: b for u, _, b in known}, **changed}
                new_rows = [r for r in new_rows if self.position_of(r[0]) is None]
        if arrival and (not new_rows or new_rows[-1][0] > top):
            uids, dates, flag_bits = self._arrival_changes(new_rows, gone, changed)
        else:
            uids, dates, flag_bits = array("I"), array("q"), array("B")
            rows = [
                (u, d, changed.get(u, b))
                for u, d, b in zip(self._uids, self._dates, self._bits, strict=True)
                if u not in gone
            ]
            rows.extend((u, d, changed.get(u, b)) for u, d, b in new_rows)
            rows = self._ordered(rows)
            for u, d, b in rows:
                uids.append(u)
                dates.append(d)
                flag_bits.append(b & 0xFF)
        index = CachedIndex(
            self._cache, self.folder_id, uids, dates, flag_bits, self.sort, self.descending
        )
        with self._lru_lock:
            keep = [(u, s) for u, s in self._lru.items() if u not in gone and u not in changed]
        index._lru.update(keep)
        return index

    def _arrival_changes(
        self, new_rows: list[tuple[int, int, int]], gone: set[int], changed: dict[int, int]
    ) -> Columns:
        """The fast path for highest-UID-first order: new rows are prepended, removed rows cut
        out by slicing between their positions (memcpy), flag bits patched in place."""
        uids = array("I", (r[0] for r in new_rows))
        dates = array("q", (r[1] for r in new_rows))
        flag_bits = array("B", (r[2] & 0xFF for r in new_rows))
        cuts = sorted(p for p in map(self.position_of, gone) if p is not None)
        start = 0
        for p in [*cuts, len(self._uids)]:
            uids.extend(self._uids[start:p])
            dates.extend(self._dates[start:p])
            flag_bits.extend(self._bits[start:p])
            start = p + 1
        for uid, b in changed.items():
            pos = self.position_of(uid)
            if pos is not None and uid not in gone:
                flag_bits[pos + len(new_rows) - bisect.bisect_left(cuts, pos)] = b & 0xFF
        return uids, dates, flag_bits

    def _ordered(self, rows: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        if self.sort is SortKey.DATE:
            return sorted(rows, key=lambda r: (r[1], r[0]), reverse=self.descending)
        if self.sort is SortKey.ARRIVAL:
            return sorted(rows, reverse=self.descending)
        # sender/subject order: new rows go first until the next sorted_by()
        return rows

    def without_summaries(self, uids: Iterable[int]) -> None:
        """Forget decoded rows (after a local flag change)."""
        with self._lru_lock:
            for uid in uids:
                self._lru.pop(uid, None)

    # -- sorting (call from a worker thread) ------------------------------------------------------
    def sorted_by(self, sort: SortKey, descending: bool = True) -> CachedIndex:
        if sort in (SortKey.ARRIVAL, SortKey.DATE):
            rows = list(zip(self._uids, self._dates, self._bits, strict=True))
            order = CachedIndex(self._cache, self.folder_id, array("I"), array("q"), array("B"))
            order.sort, order.descending = sort, descending
            rows = order._ordered(rows)
            uid_order = [r[0] for r in rows]
        else:
            self._fill_sort_keys()
            column = "sort_from" if sort is SortKey.FROM else "sort_subject"
            uid_order = self._cache.uids_sorted(self.folder_id, column, descending)
        uids, dates, flag_bits = array("I"), array("q"), array("B")
        for uid in uid_order:
            pos = self.position_of(uid)
            if pos is None:
                continue
            uids.append(uid)
            dates.append(self._dates[pos])
            flag_bits.append(self._bits[pos])
        index = CachedIndex(self._cache, self.folder_id, uids, dates, flag_bits, sort, descending)
        with self._lru_lock:
            index._lru.update(self._lru)
        return index

    def _fill_sort_keys(self) -> None:
        mask = (1 << UID_BITS) - 1
        while True:
            rows = self._cache.rows_without_sort_keys(self.folder_id, SORT_BATCH)
            if not rows:
                return
            keys = []
            for k, raw in rows:
                sender, subject = sort_keys(raw)
                keys.append((sender, subject, k))
            self._cache.put_sort_keys(keys)
            if len(rows) < SORT_BATCH and all(k & mask for k, _ in rows):
                return
