"""Start-up against aerc and NeoMutt on the same 100,000-message Dovecot folder, in tmux.

Each client runs in a 120x40 tmux window; the time is from launch until the newest message's
subject is on its screen (a message appended with a unique subject, so it is the newest row in
every client), and until the first character of any kind.  Runs are interleaved: in every round
each scenario is run for every client, the client order rotating between rounds; medians.

- cold: the client's cache removed first.
- warm: the client's cache brought up to date just before (nothing changed on the server).
- resync: as warm, then 1,000 flag changes, 500 new and 200 expunged messages (scaled down for
  small N) and one newest message, then the start.

``first_paint_process`` is launch to the first character of smimetui over all its starts
(baseline: the goal, 0.15 s; the peers' times are in the notes).  ``inspect_process`` is one
``smimetui inspect`` process per signed message against one ``openssl smime -verify`` each.

    python3 -m bench.clients [--messages N] [--rounds R] [--quick] [--json] [--data DIR]
"""

from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``tests`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.client_folder import append_newest, big_folder, default_data_dir
from bench.client_inspect import inspect_times
from bench.client_peers import Client, aerc_client, neomutt_client, smimetui_client
from bench.client_tmux import Tmux
from bench.common import Record, parser, progress, report
from bench.mailbox import change_folder

SCENARIOS = ("resync", "warm", "cold")
READY_TIMEOUT = 60.0
FIRST_PAINT_GOAL = 0.15  # seconds


class Runs:
    """Every start's times, by (scenario, client)."""

    def __init__(self) -> None:
        self.ready: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.first: dict[str, list[float]] = defaultdict(list)
        self.frame: list[float] = []  # smimetui: launch to Textual's first frame

    def median(self, scenario: str, client: str) -> float:
        return statistics.median(self.ready[(scenario, client)])

    def first_paint(self, client: str) -> float:
        return statistics.median(self.first[client])


class Bench:
    def __init__(self, tmux: Tmux, port: int, n: int, clients: list[Client]) -> None:
        self.tmux, self.port, self.n, self.clients = tmux, port, n, clients
        self.tokens = 0
        self.newest = ""
        self.rng = random.Random(7)
        self.runs = Runs()

    def append_newest(self) -> None:
        self.tokens += 1
        self.newest = f"NEWEST-{self.tokens:04d}"
        append_newest(self.port, self.newest)

    def start(self, client: Client) -> tuple[float, float]:
        """One start: (seconds to the first character, seconds to the newest row)."""
        pane = self.tmux.launch(client.command, client.env)
        first = pane.wait_any_character(READY_TIMEOUT)
        if client.name == "smimetui":  # the splash first; Textual's first frame shows INBOX
            self.runs.frame.append(pane.wait_text("INBOX", READY_TIMEOUT))
        ready = pane.wait_text(self.newest, READY_TIMEOUT)
        pane.end(client.quit_keys)
        return first, ready

    def run(self, scenario: str, client: Client) -> None:
        if scenario == "cold":
            client.forget()
        else:
            client.prime(self.tmux, self.newest)
        if scenario == "resync":
            change_folder(self.port, self.n, self.rng)
            self.append_newest()
        first, ready = self.start(client)
        self.runs.first[client.name].append(first)
        self.runs.ready[(scenario, client.name)].append(ready)
        progress(f"  {scenario:<7}{client.name:<10}first {first:6.3f} s   newest {ready:6.3f} s")

    def rounds(self, count: int) -> None:
        self.append_newest()
        progress("warm-up: one cold start of each client (not counted)")
        for client in self.clients:
            client.forget()
            self.start(client)
        self.runs.frame.clear()
        for r in range(count):
            progress(f"round {r + 1} of {count}")
            order = self.clients[r % len(self.clients) :] + self.clients[: r % len(self.clients)]
            for scenario in SCENARIOS:
                for client in order:
                    self.run(scenario, client)


def records(runs: Runs, inspect: tuple[float, float] | None) -> list[Record]:
    out = []
    for peer in ("aerc", "neomutt"):
        for scenario in ("cold", "warm", "resync"):
            out.append(
                Record.of(
                    f"{scenario}_vs_{peer}",
                    runs.median(scenario, "smimetui"),
                    runs.median(scenario, peer),
                    1.0,
                    f"seconds to the newest rows / {peer}'s",
                )
            )
    out.append(
        Record.of(
            "first_paint_process",
            runs.first_paint("smimetui"),
            FIRST_PAINT_GOAL,
            1.0,
            "seconds to the first character / the goal (0.15 s)",
        )
    )
    if inspect is not None:
        out.append(
            Record.of(
                "inspect_process", inspect[0], inspect[1], 1.0, "seconds per process / openssl's"
            )
        )
    return out


def notes(runs: Runs, n: int, rounds: int) -> list[str]:
    lines = [
        f"{n} messages in Dovecot; {rounds} interleaved rounds; medians; on a shared machine "
        "the numbers are noisy: compare ratios, and run again before believing a small one",
        "first character (median of all starts): "
        + ", ".join(f"{c} {runs.first_paint(c):.3f} s" for c in ("smimetui", "aerc", "neomutt"))
        + f"; smimetui's is its splash line, Textual's first frame (the folder pane) came at "
        f"{statistics.median(runs.frame):.3f} s",
    ]
    for scenario in SCENARIOS:
        lines.append(
            f"{scenario:<7}"
            + "  ".join(
                f"{c} {min(runs.ready[(scenario, c)]):.3f}-{max(runs.ready[(scenario, c)]):.3f} s"
                for c in ("smimetui", "aerc", "neomutt")
            )
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--inspect-messages", type=int, default=20)
    p.add_argument("--quick", action="store_true", help="2 rounds, 6 inspect messages")
    p.add_argument("--data", type=Path, default=default_data_dir(), help="where the folder is kept")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.inspect_messages = 2, 6
    for program in ("tmux", "aerc", "neomutt", "openssl"):
        if shutil.which(program) is None:
            raise SystemExit(f"{program} is not installed (see the README, bench/clients.py)")
    args.data.mkdir(parents=True, exist_ok=True)
    args.data.chmod(0o755)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=args.data))
    work.chmod(0o755)
    server = big_folder(args.data, args.messages, work)
    tmux = Tmux()
    try:
        port = server.imap_port
        clients = [smimetui_client(work, port), aerc_client(work, port), neomutt_client(work, port)]
        bench = Bench(tmux, port, args.messages, clients)
        bench.rounds(args.rounds)
        progress(f"inspect: {args.inspect_messages} messages, one process each")
        inspect = inspect_times(work, args.inspect_messages) if args.inspect_messages else None
    finally:
        tmux.close()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(
        records(bench.runs, inspect),
        as_json=args.json,
        notes=() if args.json else notes(bench.runs, args.messages, args.rounds),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
