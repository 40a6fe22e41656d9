#!/usr/bin/env bash
# mypy: --strict on smimetui.core, smimetui.cli and smimetui.tui (settings in pyproject.toml [tool.mypy]).
#
# The folders install as smimetui.core / smimetui.tui / smimetui.themes through setuptools'
# package-dir mapping, which mypy cannot follow (it would see `core.*`, or fail the imports of
# `smimetui.*`). So mypy runs over a throwaway tree of symlinks with the installed names.
# Errors are printed with repo-relative paths (core/..., tui/...).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/smimetui"
for folder in core cli tui themes; do
  ln -s "$repo/$folder" "$tree/smimetui/$folder"
done
cd "$tree"
mypy=(python3 -m mypy --config-file "$repo/pyproject.toml" --cache-dir "$tree/.mypy_cache")
status=0
"${mypy[@]}" --strict -p smimetui.core -p smimetui.cli 2>&1 | sed 's#^smimetui/##' || status=1
"${mypy[@]}" --strict -p smimetui.tui 2>&1 | sed 's#^smimetui/##' || status=1
exit $status
