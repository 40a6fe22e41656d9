"""`smimetui inspect --at ISO8601`: validate as of another time (archived mail), labelled.

Naive clients validate old mail against today only ("expired": the archive looks forged) or
silently use the signing time the sender wrote (which anyone can set).  smimetui validates
against now by default and against the time the user names with --at, and says so.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from smimetui.cli.main import main
from smimetui.core.pki import makecerts as pki
from smimetui.core.pki.makecerts import Issued
from smimetui.core.pki.trust import TrustStore
from smimetui.core.settings.home import Home
from tests.adversarial.helpers import write
from tests.support import crafted as mail

NOW = pki.utcnow()


@dataclass(frozen=True)
class OldPKI:
    root: Issued
    inter: Issued
    expired: Issued  # valid NOW-400d .. NOW-5d
    future: Issued  # valid NOW+10d .. NOW+400d
    current: Issued  # valid NOW-1d .. NOW+730d


@pytest.fixture(scope="module")
def old_pki() -> OldPKI:
    long_ago = NOW - dt.timedelta(days=1000)
    root = pki.make_ca("Archive Root CA", not_before=long_ago)
    inter = pki.make_ca("Archive Intermediate CA", issuer=root, not_before=long_ago)
    return OldPKI(
        root=root,
        inter=inter,
        expired=pki.make_leaf(
            inter,
            "carol@example.org",
            not_before=NOW - dt.timedelta(days=400),
            not_after=NOW - dt.timedelta(days=5),
        ),
        future=pki.make_leaf(
            inter,
            "erin@example.org",
            not_before=NOW + dt.timedelta(days=10),
            not_after=NOW + dt.timedelta(days=400),
        ),
        current=pki.make_leaf(inter, "alice@example.org"),
    )


@pytest.fixture
def archive_home(home: Home, old_pki: OldPKI) -> Home:
    TrustStore(home).add(old_pki.root.cert_pem)
    return home


def _file(tmp_path: Path, signer: Issued, inter: Issued, address: str) -> Path:
    raw = mail.message(
        mail.signed(mail.entity("Archived text.\n"), mail.key_of(signer, inter)), sender=address
    )
    return write(tmp_path, f"{address}.eml", raw)


def _inspect(capsys, path: Path, *extra: str) -> dict:
    assert main(["inspect", "--json", str(path), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _iso(delta_days: int) -> str:
    return (NOW + dt.timedelta(days=delta_days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_expired_certificate_valid_at_archive_time(old_pki, archive_home, tmp_path, capsys):
    path = _file(tmp_path, old_pki.expired, old_pki.inter, "carol@example.org")
    now = _inspect(capsys, path)
    assert now["signature"]["chain"] == "expired" and "validated_at" not in now
    then = _inspect(capsys, path, "--at", _iso(-100))
    assert then["signature"]["chain"] == "trusted"
    assert then["validated_at"].startswith(_iso(-100)[:10])
    assert main(["inspect", str(path), "--at", _iso(-100)]) == 0
    out = capsys.readouterr().out
    assert "Validated as of" in out and "(not now)" in out  # labelled, in the report block
    assert out.index("Validated as of") < out.index("\n\n")


def test_not_yet_valid_certificate(old_pki, archive_home, tmp_path, capsys) -> None:
    path = _file(tmp_path, old_pki.future, old_pki.inter, "erin@example.org")
    assert _inspect(capsys, path)["signature"]["chain"] == "not-yet-valid"
    assert _inspect(capsys, path, "--at", _iso(20))["signature"]["chain"] == "trusted"


def test_at_before_the_certificate_existed(old_pki, archive_home, tmp_path, capsys) -> None:
    # A current certificate used for "old" mail: as of 30 days ago it was not valid yet.
    path = _file(tmp_path, old_pki.current, old_pki.inter, "alice@example.org")
    assert _inspect(capsys, path)["signature"]["chain"] == "trusted"
    assert _inspect(capsys, path, "--at", _iso(-30))["signature"]["chain"] == "not-yet-valid"


def test_at_after_expiry_date(old_pki, archive_home, tmp_path, capsys) -> None:
    path = _file(tmp_path, old_pki.current, old_pki.inter, "alice@example.org")
    assert _inspect(capsys, path, "--at", _iso(800))["signature"]["chain"] == "expired"


def test_bad_at_value_is_one_line(archive_home, tmp_path, capsys) -> None:
    path = write(tmp_path, "x.eml", mail.message(mail.entity("x")))
    with pytest.raises(SystemExit) as exc:
        main(["inspect", str(path), "--at", "yesterday"])
    assert exc.value.code == 2
    assert "ISO 8601" in capsys.readouterr().err
