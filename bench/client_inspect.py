"""``smimetui inspect`` as a process per message against ``openssl smime -verify``.

Signed messages (RSA-2048 and P-256 signers under a two-level bench CA, bench/smime_corpus.py);
smimetui trusts the bench root in its own home, openssl gets the system bundle plus the root
(as smimetui reads the system store too).  Each message is checked by one process of each, in
alternating order; the result is the median seconds per process, (ours, openssl's).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.support.smime_corpus import make_pki, signed_messages, system_bundle, write_all


def _seconds(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def inspect_times(work: Path, count: int) -> tuple[float, float]:
    bench = make_pki()
    folder = work / "inspect"
    folder.mkdir()
    paths = write_all(folder, signed_messages(bench, count))
    root = folder / "root.pem"
    root.write_bytes(bench.root.cert_pem)
    bundle = folder / "bundle.pem"
    bundle.write_bytes(system_bundle().read_bytes() + bench.root.cert_pem)
    exe = str(Path(sys.executable).with_name("smimetui"))
    home = folder / "home"
    subprocess.run(
        [exe, "--home", str(home), "trust", "add", str(root)], check=True, capture_output=True
    )
    check = [exe, "--home", str(home), "inspect", "--json", str(paths[0])]
    sig = json.loads(subprocess.run(check, check=True, capture_output=True).stdout)["signature"]
    assert (sig["status"], sig["chain"]) == ("good", "trusted"), sig  # a fair comparison
    ours, theirs = [], []
    for k, path in enumerate(paths):
        mine = [exe, "--home", str(home), "inspect", str(path)]
        openssl = ["openssl", "smime", "-verify", "-in", str(path), "-CAfile", str(bundle)]
        openssl += ["-out", "/dev/null"]
        if k % 2:
            theirs.append(_seconds(openssl))
            ours.append(_seconds(mine))
        else:
            ours.append(_seconds(mine))
            theirs.append(_seconds(openssl))
    return statistics.median(ours), statistics.median(theirs)
