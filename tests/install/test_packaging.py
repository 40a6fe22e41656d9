"""The built wheel holds every module and stylesheet of core/, cli/, tui/ and themes/.

A hand-written package list once left smimetui.tui.screens and smimetui.tui.widgets out of
every real install while the editable install of the tests hid it; setup.py now derives the
list from the folders, and this test holds it against what is on disk.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {
    "core": "smimetui/core",
    "cli": "smimetui/cli",
    "tui": "smimetui/tui",
    "themes": "smimetui/themes",
}


def _source_files() -> set[str]:
    wanted: set[str] = set()
    for folder, installed in FOLDERS.items():
        for path in (ROOT / folder).rglob("*"):
            if "__pycache__" in path.parts or path.suffix not in (".py", ".tcss"):
                continue
            wanted.add(f"{installed}/{path.relative_to(ROOT / folder).as_posix()}")
    return wanted


def test_every_folder_with_modules_is_a_package() -> None:
    for folder in FOLDERS:
        for directory in [ROOT / folder, *(ROOT / folder).rglob("*")]:
            if not directory.is_dir() or directory.name == "__pycache__":
                continue
            if any(directory.glob("*.py")):
                assert (directory / "__init__.py").exists(), f"{directory} has no __init__.py"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy: setuptools reuses a build/ folder in the tree, whose stale files would
    # hide a package that the package list leaves out.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, source / name)
    skip = shutil.ignore_patterns("__pycache__")
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, source / folder, ignore=skip)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("smimetui-*.whl"))


def test_wheel_holds_every_module_and_stylesheet(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        packed = {name for name in archive.namelist() if name.startswith("smimetui/")}
    missing = sorted(_source_files() - packed)
    assert not missing, f"not in the wheel: {missing}"


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        text = archive.read(entry_points).decode()
    assert "smimetui = smimetui.cli.main:main" in text
