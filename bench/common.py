"""Shared bench plumbing: timing, the readable table, and the ``--json`` records.

A record is ``{"name", "ours", "baseline", "ratio", "goal", "unit"}`` with ``ratio = baseline /
ours``; ``goal`` is the ratio the issue asks for.  Both sides are measured in the same run, on the
same data, on the same machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Record:
    name: str
    ours: float
    baseline: float
    goal: float
    unit: str
    ratio: float = 0.0

    @classmethod
    def of(cls, name: str, ours: float, baseline: float, goal: float, unit: str) -> Record:
        ratio = baseline / ours if ours > 0 else float("inf")
        return cls(name=name, ours=ours, baseline=baseline, goal=goal, unit=unit, ratio=ratio)

    @property
    def met(self) -> bool:
        return self.ratio >= self.goal


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--json", action="store_true", help="print JSON records only")
    return p


def report(records: Iterable[Record], *, as_json: bool, notes: Iterable[str] = ()) -> None:
    records = list(records)
    if as_json:
        json.dump([asdict(r) for r in records], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    header = f"{'name':<28}{'ours':>14}{'baseline':>14}{'ratio':>10}{'goal':>8}  unit"
    print(header)
    print("-" * len(header))
    for r in records:
        mark = "ok" if r.met else "MISSED"
        print(
            f"{r.name:<28}{r.ours:>14.4f}{r.baseline:>14.4f}{r.ratio:>9.1f}x"
            f"{r.goal:>7.3g}x  {r.unit}  {mark}"
        )
    for note in notes:
        print(note)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
