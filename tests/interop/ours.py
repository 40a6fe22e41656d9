"""The smimetui side of the interop tests: a home holding our IDs that runs the CLI, and what a
verified or decrypted report must say."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smimetui.cli.main import main
from smimetui.core.pki.contacts import Contacts
from smimetui.core.pki.keystore import Keystore
from smimetui.core.pki.makecerts import Issued
from smimetui.core.pki.trust import TrustStore
from smimetui.core.settings.home import Home

PASSPHRASE = b"interop passphrase"
BODY = "Meet at noon by the river."


@dataclass(frozen=True)
class OurHome:
    home: Home
    passphrase_file: Path
    work: Path

    def cli(self, *args: str | Path) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--home", str(self.home.data_dir), *map(str, args)])
        return code, out.getvalue(), err.getvalue()

    def inspect(self, data: bytes, name: str) -> dict[str, Any]:
        """``smimetui inspect --json`` of ``data`` (exit 0 whatever the verdict)."""
        path = self.work / f"{name}.eml"
        path.write_bytes(data)
        code, out, err = self.cli(
            "inspect", path, "--json", "--passphrase-file", self.passphrase_file
        )
        assert code == 0, err
        report: dict[str, Any] = json.loads(out)
        return report

    def write(self, name: str, sender: str, to: str, *options: str, command: str = "sign") -> bytes:
        """What ``smimetui sign|encrypt`` makes of a plain draft from ``sender`` to ``to``."""
        draft = self.work / f"{name}.draft"
        draft.write_bytes(f"From: {sender}\nTo: {to}\nSubject: interop {name}\n\n{BODY}\n".encode())
        out = self.work / f"{name}.eml"
        code, _, err = self.cli(
            command, draft, "-o", out, "--passphrase-file", self.passphrase_file, *options
        )
        assert code == 0, err
        return out.read_bytes()


def make_home(work: Path, fixture_pki, ids: list[Issued], contacts: list[Issued]) -> OurHome:  # type: ignore[no-untyped-def]
    """A smimetui home with ``ids`` as digital IDs, ``contacts`` as accepted certificates and
    only the fixture root trusted."""
    home = Home.at(work / "home")
    store = Keystore(home)
    for issued in ids:
        store.add(issued.cert, issued.key, [fixture_pki.intermediate.cert], PASSPHRASE)
    TrustStore(home).add(fixture_pki.root.cert_pem)
    book = Contacts(home)
    if contacts:
        book.add_intermediate(fixture_pki.intermediate.cert)
    for issued in contacts:
        book.add_certificate(issued.cert, source="file", accepted=True)
    passphrase_file = work / "passphrase"
    passphrase_file.write_bytes(PASSPHRASE + b"\n")
    return OurHome(home, passphrase_file, work)


def assert_verified(report: dict[str, Any], signer: str) -> None:
    """Verified in the README's sense: a good signature by a trusted chain, matching From."""
    sig = report["signature"]
    assert sig is not None, report
    assert (sig["status"], sig["chain"], sig["from_match"]) == ("good", "trusted", True), sig[
        "problems"
    ]
    assert signer in sig["signer"]["email"]
    assert sig["covers"] == "whole"


def assert_decrypted(report: dict[str, Any]) -> None:
    enc = report["encryption"]
    assert enc is not None and enc["status"] == "decrypted", enc
