"""Optional threading (the conversation view): a FolderIndex that lists replies under the
message they answer.

Threads are built from Message-ID / In-Reply-To of the summaries in one pass (O(n)); the
result is an index over positions of the original, so rows still decode lazily.  A thread is
ordered by its newest message, like the unthreaded list.
"""

from __future__ import annotations

from dataclasses import replace

from smimetui.core.mail.base import FolderIndex, Summary


class ThreadedIndex:
    def __init__(self, base: FolderIndex, order: list[int], depth: list[int]) -> None:
        self.base = base
        self._order = order  # display position -> base position
        self._depth = depth
        self._pos = {base.uid_at(p): i for i, p in enumerate(order)}

    def __len__(self) -> int:
        return len(self._order)

    def summary(self, position: int) -> Summary:
        summary = self.base.summary(self._order[position])
        depth = self._depth[position]
        if depth:
            return replace(summary, subject="  " * min(depth, 8) + "↳ " + summary.subject)
        return summary

    def uid_at(self, position: int) -> int:
        return self.base.uid_at(self._order[position])

    def position_of(self, uid: int) -> int | None:
        return self._pos.get(uid)


def thread_index(base: FolderIndex) -> ThreadedIndex:
    count = len(base)
    by_id: dict[str, int] = {}
    parents: list[int | None] = [None] * count
    for position in range(count):
        message_id = base.summary(position).message_id
        if message_id:
            by_id.setdefault(message_id, position)
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for position in range(count):
        parent = by_id.get(base.summary(position).in_reply_to or "")
        if parent is not None and parent != position:
            parents[position] = parent
            children.setdefault(parent, []).append(position)
        else:
            roots.append(position)
    order: list[int] = []
    depth: list[int] = []
    stack = [(root, 0) for root in reversed(roots)]
    seen: set[int] = set()
    while stack:
        position, level = stack.pop()
        if position in seen:
            continue  # a reply loop must not hang the list
        seen.add(position)
        order.append(position)
        depth.append(level)
        # replies oldest first under their parent (the base is newest first)
        stack.extend((child, level + 1) for child in children.get(position, []))
    order += [p for p in range(count) if p not in seen]
    depth += [0] * (count - len(depth))
    return ThreadedIndex(base, order, depth)
