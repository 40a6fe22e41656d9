"""``smimetui inspect`` as a process imports what a verdict needs (issue 10, section 4): for a
signed message nothing of decryption or the keystore, nothing of the mail reader (encrypted
messages, whose keys are read when needed, are covered by test_cli_inspect.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from smimetui.core.pki.trust import TrustStore
from smimetui.core.settings.home import Home
from tests.support.openssl import openssl, requires_openssl
from tests.support.pki import FixturePKI

pytestmark = [requires_openssl]

NOT_FOR_A_SIGNATURE = (
    "smimetui.core.cms.envelope",
    "smimetui.core.pki.keycandidates",
    "smimetui.core.pki.keystore",
    "cryptography.x509",
    "ldap3",
    "textual",
)


def run_inspect(home: Home, path: Path) -> tuple[dict[str, object], set[str]]:
    """The JSON report of one ``smimetui inspect`` process and the modules it had loaded."""
    code = (
        "import sys, io\n"
        "from smimetui.cli.main import main\n"
        "out, sys.stdout = sys.stdout, io.StringIO()\n"
        f"main(['--home', {str(home.data_dir)!r}, 'inspect', '--json', {str(path)!r}])\n"
        "report, sys.stdout = sys.stdout.getvalue(), out\n"
        "print(report)\n"
        "print('MODULES', *sorted(sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    report, _, modules = out.partition("MODULES ")
    return json.loads(report), set(modules.split())


def test_a_signed_message_loads_no_decryption_modules(
    home: Home, pki_dir: dict[str, Path], fixture_pki: FixturePKI, tmp_path: Path
) -> None:
    TrustStore(home).add(fixture_pki.root.cert_pem)
    signed = openssl(
        "cms",
        "-sign",
        "-signer",
        pki_dir["alice"],
        "-inkey",
        pki_dir["alice.key"],
        "-certfile",
        pki_dir["intermediate"],
        "-from",
        "Alice <alice@example.org>",
        data=b"Content-Type: text/plain\r\n\r\nSigned.\r\n",
    )
    path = tmp_path / "signed.eml"
    path.write_bytes(signed)
    report, modules = run_inspect(home, path)
    signature = report["signature"]
    assert isinstance(signature, dict) and signature["status"] == "good"
    assert sorted(m for m in modules if m.startswith(NOT_FOR_A_SIGNATURE)) == []
