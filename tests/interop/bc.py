"""Bouncy Castle's S/MIME mail API (libbcmail-java and JavaMail, Debian's jars) as a peer.

``BcMail.java`` is compiled once per session with ``javac`` into a temporary folder and runs
a whole batch of jobs per JVM start (see its header for the job lines).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

JAVA = shutil.which("java")
JAVAC = shutil.which("javac")
JARS = ("bcprov", "bcpkix", "bcutil", "bcmail", "javax.mail", "javax.activation")
SOURCE = Path(__file__).with_name("BcMail.java")
TIMEOUT = 180


def classpath_jars() -> list[Path]:
    return [Path("/usr/share/java") / f"{name}.jar" for name in JARS]


def available() -> bool:
    return bool(JAVA and JAVAC) and all(p.exists() for p in classpath_jars())


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str


class BcPeer:
    def __init__(self, work: Path) -> None:
        self.work = work
        classes = work / "classes"
        classes.mkdir()
        jars = ":".join(map(str, classpath_jars()))
        proc = subprocess.run(
            [str(JAVAC), "-nowarn", "-d", str(classes), "-cp", jars, str(SOURCE)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        self.classpath = f"{classes}:{jars}"
        self._batches = 0

    def run(self, jobs: list[tuple[str, ...]]) -> dict[str, Outcome]:
        """Run ``jobs`` in one JVM; the outcome of each by its file name (second field)."""
        self._batches += 1
        job_file = self.work / f"jobs-{self._batches}.txt"
        job_file.write_text("".join("\t".join(map(str, job)) + "\n" for job in jobs))
        proc = subprocess.run(
            [str(JAVA), "-cp", self.classpath, "BcMail", str(job_file)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outcomes: dict[str, Outcome] = {}
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT\t"):
                _, name, status, detail = (line.split("\t", 3) + [""])[:4]
                outcomes[name] = Outcome(status == "OK", detail)
        return outcomes
