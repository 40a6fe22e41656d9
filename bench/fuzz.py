"""Long-running fuzzer for the public core API: ``python -m bench.fuzz --seconds N``.

Feeds random MIME trees, mutated mail and DER-aware mutations of CMS structures and
certificates to inspect_message, parse_message, verify_signed_data, describe_envelope,
decrypt_envelope and CertInfo.from_der.  Anything but a SmimeTuiError is a crash: its input is
saved to --crash-dir and a line is printed.  Prints executions and crashes per target; exits 1
if anything crashed.  With --json prints one JSON object instead of the table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from tests.support.fuzzgen import (
    BYTE_OPS,
    DER_OPS,
    Seeds,
    build_seeds,
    mutate_bytes,
    mutate_der,
    random_message,
    random_ops,
    run_one,
    targets,
)


def _input_for(name: str, rng: random.Random, seeds: Seeds) -> bytes:
    if name in ("inspect_message", "parse_message"):
        roll = rng.random()
        if roll < 0.4:
            return random_message(rng, seeds)
        if roll < 0.7:
            return mutate_bytes(rng.choice(seeds.mails), random_ops(rng, BYTE_OPS))
        return rng.randbytes(rng.randrange(0, 512))
    if name == "verify_signed_data":
        return mutate_der(rng.choice(seeds.cms[:2]), random_ops(rng, DER_OPS))
    if name in ("describe_envelope", "decrypt_envelope"):
        return mutate_der(rng.choice(seeds.cms[2:]), random_ops(rng, DER_OPS))
    return mutate_der(rng.choice(seeds.certs), random_ops(rng, DER_OPS))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60.0, help="how long to run (default 60)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: time based)")
    p.add_argument("--crash-dir", type=Path, default=Path("fuzz-crashes"))
    p.add_argument("--json", action="store_true", help="print a JSON summary only")
    args = p.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    seeds = build_seeds()
    funcs = targets(seeds)
    names = list(funcs)
    runs: Counter[str] = Counter()
    crashes: Counter[str] = Counter()
    kinds: dict[str, str] = {}
    deadline = time.monotonic() + args.seconds
    started = time.monotonic()
    while time.monotonic() < deadline:
        name = rng.choice(names)
        data = _input_for(name, rng, seeds)
        runs[name] += 1
        exc = run_one(funcs[name], data)
        if exc is None:
            continue
        crashes[name] += 1
        where = traceback.extract_tb(exc.__traceback__)[-1]
        kind = f"{name}: {type(exc).__name__} at {Path(where.filename).name}:{where.lineno}"
        if kind not in kinds:
            args.crash_dir.mkdir(parents=True, exist_ok=True)
            path = args.crash_dir / f"{name}-{hashlib.sha256(data).hexdigest()[:16]}.bin"
            path.write_bytes(data)
            kinds[kind] = str(path)
            if not args.json:
                print(f"CRASH {kind}: {str(exc)[:120]!r} -> {path}", file=sys.stderr)
    elapsed = time.monotonic() - started
    total = sum(runs.values())
    if args.json:
        summary = {
            "seed": seed,
            "seconds": round(elapsed, 1),
            "executions": total,
            "crashes": sum(crashes.values()),
            "per_target": {n: {"executions": runs[n], "crashes": crashes[n]} for n in names},
            "distinct_crashes": kinds,
        }
        print(json.dumps(summary, indent=2))
    else:
        print(f"seed {seed}, {elapsed:.0f} s, {total} executions ({total / elapsed:.0f}/s)")
        print(f"{'target':<22}{'executions':>12}{'crashes':>10}")
        for n in names:
            print(f"{n:<22}{runs[n]:>12}{crashes[n]:>10}")
        print(f"{'total':<22}{total:>12}{sum(crashes.values()):>10}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
