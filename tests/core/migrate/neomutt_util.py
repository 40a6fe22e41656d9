"""A NeoMutt S/MIME folder made by NeoMutt's own ``smime_keys`` script (Debian ships it with
the ``neomutt`` package as /usr/libexec/neomutt/smime_keys).

The script asks neomutt for ``smime_keys``/``smime_certificates``/``smime_ca_location``; Debian's
/etc/neomuttrc.d/smime.rc sets them under ``~/.smime`` and picks ``~/.smime/ca-bundle.crt`` as
the CA file when it exists, so a fresh HOME with that (empty) file keeps ``add_root`` away from
the system bundle.  The script reads its answers (PKCS#12 password, PEM pass phrase twice, label)
from standard input when it has no terminal, as it does here (a new session).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SMIME_KEYS = next(
    (
        p
        for p in ("/usr/libexec/neomutt/smime_keys", "/usr/lib/neomutt/smime_keys")
        if os.access(p, os.X_OK)
    ),
    shutil.which("smime_keys"),
)
NEOMUTT = shutil.which("neomutt")


def smime_keys(home: Path, *args: str | Path, answers: str = "\n") -> str:
    assert SMIME_KEYS is not None
    proc = subprocess.run(
        [SMIME_KEYS, *map(str, args)],
        input=answers.encode(),
        capture_output=True,
        env={**os.environ, "HOME": str(home), "LC_ALL": "C"},
        start_new_session=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    return proc.stdout.decode()


def build_tree(
    home: Path, p12: Path, p12_passphrase: str, key_passphrase: str, people: list[Path], root: Path
) -> Path:
    """``home/.smime`` with one key (from ``p12``), ``people`` and ``root`` added as a root."""
    folder = home / ".smime"
    folder.mkdir(parents=True, mode=0o700)
    (folder / "ca-bundle.crt").write_bytes(b"")
    smime_keys(home, "init")
    smime_keys(
        home,
        "add_p12",
        p12,
        answers=f"{p12_passphrase}\n{key_passphrase}\n{key_passphrase}\nmine\n",
    )
    for cert in people:
        smime_keys(home, "add_cert", cert, answers="-\n")
    smime_keys(home, "add_root", root, answers="Fixture Root CA, added by hand\n")
    return folder
