"""Package discovery for the folder layout (core/ cli/ tui/ themes/ install as smimetui.*).

Everything else lives in pyproject.toml. The package list is derived from the folders, never
written by hand: a hand-written list once dropped smimetui.tui.screens and smimetui.tui.widgets
from every real install while the editable install of the tests still worked.
"""

from setuptools import find_packages, setup

# Top-level folder -> installed package name.
ROOTS = {
    "core": "smimetui.core",
    "cli": "smimetui.cli",
    "tui": "smimetui.tui",
    "themes": "smimetui.themes",
}

package_dir: dict[str, str] = {}
packages: list[str] = []
for folder, name in ROOTS.items():
    package_dir[name] = folder
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder)]

setup(package_dir=package_dir, packages=packages)
