"""A Thunderbird profile whose NSS database is made by NSS's own tools (certutil, pk12util from
Debian's libnss3-tools), as Thunderbird would have it after the user imported their ID, saved
two people's certificates and added a root trusted for email.

The test harness hands the passwords to the tools in files: that is how certutil and pk12util
take them without a terminal (smimetui itself passes them through pipes).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

CERTUTIL = shutil.which("certutil")
PK12UTIL = shutil.which("pk12util")
PROFILE = "x1y2z3w4.default-release"
PROFILES_INI = f"""[Install4F96D1932A9F858E]
Default={PROFILE}
Locked=1

[Profile0]
Name=default-release
IsRelative=1
Path={PROFILE}
Default=1

[General]
StartWithLastProfile=1
Version=2
"""


def _tool(*args: str | Path) -> None:
    proc = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
        start_new_session=True,
    )
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()


def build_profile(user_home: Path, fixture_pki, primary_password: str) -> Path:  # type: ignore[no-untyped-def]
    """``user_home/.thunderbird/<profile>`` with profiles.ini naming it the default."""
    assert CERTUTIL is not None and PK12UTIL is not None
    root = user_home / ".thunderbird"
    profile = root / PROFILE
    profile.mkdir(parents=True)
    (root / "profiles.ini").write_text(PROFILES_INI)
    work = user_home / "work"
    work.mkdir()
    pw = work / "primary-password"
    pw.write_text(primary_password + "\n")
    p12pw = work / "p12-password"
    p12pw.write_text("export password\n")
    p12 = work / "alice.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"Alice Liddell",
            fixture_pki.alice.key,
            fixture_pki.alice.cert,
            [fixture_pki.intermediate.cert],
            BestAvailableEncryption(b"export password"),
        )
    )
    db = f"sql:{profile}"
    if primary_password:
        _tool(CERTUTIL, "-N", "-d", db, "-f", pw)
    else:  # no primary password, as most Thunderbird profiles have it
        _tool(CERTUTIL, "-N", "-d", db, "--empty-password")
    _tool(PK12UTIL, "-i", p12, "-d", db, "-k", pw, "-w", p12pw)  # own ID: trust u,u,u
    for nickname, name, trust in (
        ("Fixture Root CA - smimetui tests", "root", ",C,"),  # added by the user for email
        ("Rogue Root CA", "rogue_root", "C,,"),  # trusted for websites only
        ("bob@example.org", "bob", ",,"),
        ("Frank", "frank_p384", ",,"),
    ):
        pem = work / f"{name}.pem"
        pem.write_bytes(getattr(fixture_pki, name).cert_pem)
        _tool(CERTUTIL, "-A", "-d", db, "-f", pw, "-n", nickname, "-t", trust, "-i", pem)
    shutil.rmtree(work)
    return profile
