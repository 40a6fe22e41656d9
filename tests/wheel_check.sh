#!/usr/bin/env bash
# What a user installs: build the wheel, install it into a fresh virtualenv (no system site
# packages, dependencies from the index), and start the app from it: --version, headless, and
# in a pseudo-terminal. The last line printed is the installed command, for the terminal tests.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d -t smimetui-wheel.XXXXXX)"
python3 -m pip wheel -q --disable-pip-version-check --no-deps -w "$work/dist" . >&2
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check "$work"/dist/smimetui-*.whl >&2
"$work/venv/bin/smimetui" --version >&2
"$work/venv/bin/python" tests/install/headless_start.py "$work/home-headless" >&2
python3 tests/install/pty_start.py "$work/venv/bin/smimetui" "$work/home-pty" >&2
echo "$work/venv/bin/smimetui"
