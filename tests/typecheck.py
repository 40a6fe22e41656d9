"""mypy --strict on core, cli and tui, under the names they install as (smimetui.core, ...).

setup.py maps the folders core/ cli/ tui/ themes/ to the packages smimetui.*; mypy's own
command line names a file by its folders (core.x), so it cannot check them as smimetui.core.x.
mypy's build API takes each file with the module name we give it, and resolves imports
between the files it was given before it looks anywhere else: no link tree, no install.
Errors carry the repository paths (core/..., tui/...). Settings: pyproject.toml [tool.mypy].
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mypy import build
from mypy.errors import CompileError
from mypy.main import process_options
from mypy.modulefinder import BuildSource

REPO = Path(__file__).resolve().parent.parent
FOLDERS = ("core", "cli", "tui", "themes")


def sources() -> list[BuildSource]:
    """Every module of the installed package, named as it installs."""
    found: list[BuildSource] = []
    for folder in FOLDERS:
        for path in sorted((REPO / folder).rglob("*.py")):
            relative = path.relative_to(REPO)
            parts = list(relative.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append(BuildSource(str(relative), ".".join(["smimetui", *parts]), None))
    return found


def main() -> int:
    os.chdir(REPO)
    # process_options wants a target; the inline "pass" only carries the options through.
    _, options = process_options(
        ["--strict", "--config-file", "pyproject.toml", "-c", "pass", *sys.argv[1:]]
    )
    try:
        messages = build.build(sources(), options).errors
    except CompileError as blocking:  # a syntax error stops mypy before the checks
        messages = blocking.messages
    for line in messages:
        print(line)
    return 1 if any(": error:" in line for line in messages) else 0


if __name__ == "__main__":
    sys.exit(main())
