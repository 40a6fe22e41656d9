"""core/ never imports textual or rich: each core module is imported alone in a subprocess."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import smimetui.core


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(smimetui.core.__path__, "smimetui.core."):
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("module", _core_modules())
def test_core_module_does_not_import_textual(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = [m for m in ('textual', 'rich') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
