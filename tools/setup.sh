#!/usr/bin/env bash
# Creates (or refreshes) the project's virtual environment in .venv, pinned through
# constraints.txt. Idempotent: does nothing when the pinned inputs have not changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${HARNESS_VENV:-$root/.venv}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3

plugin_dirs=(plugins/*/)
inputs_hash="$(cat constraints.txt pyproject.toml plugins/*/pyproject.toml | sha256sum | cut -c1-16)"
stamp="$venv/.harness-installed-$inputs_hash"

if [ -f "$stamp" ]; then
  exit 0
fi
echo "harness setup: installing into $venv (pinned by constraints.txt)" >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt)
# pip warns once per package about this machine's optional local index mirrors; only noise.
quiet_mirrors() { grep -v "is ignored: it is neither a file nor a directory" >&2 || true; }
# torch first, from the pinned CPU build: later resolutions then see it as satisfied.
"${pip[@]}" torch==2.13.0 2> >(quiet_mirrors)
# harness-identity was a plugin distribution until its encoder moved into the core.
"$venv/bin/python" -m pip uninstall --yes --quiet harness-identity 2>/dev/null || true
editables=()
for dir in "${plugin_dirs[@]}"; do editables+=(-e "$dir"); done
"${pip[@]}" -e ".[test]" "${editables[@]}" 2> >(quiet_mirrors)
rm -f "$venv"/.harness-installed-*
touch "$stamp"
