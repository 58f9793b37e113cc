#!/usr/bin/env bash
# Creates (or refreshes) the project's virtual environment in .venv, pinned through
# constraints.txt. Idempotent: does nothing when the pinned inputs have not changed.
#
# `tools/setup.sh --dgl` does the same for the DGL lane: .venv-dgl, pinned through
# constraints-dgl.txt (DGL 2.1 and the torch 2.2.1 it supports, numpy < 2), with the core, the
# plugins its tests use and the DGL backbones. The main environment never gets DGL.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
# pip warns once per package about this machine's optional local index mirrors; only noise.
quiet_mirrors() { grep -v "is ignored: it is neither a file nor a directory" >&2 || true; }

if [ "${1:-}" = "--dgl" ]; then
  venv="${HARNESS_DGL_VENV:-$root/.venv-dgl}"
  lane_plugins=(plugins/synthetic plugins/pyg_backbones plugins/supervised plugins/planetoid plugins/distillation plugins/dgl_backbones)
  inputs_hash="$(cat constraints-dgl.txt pyproject.toml tools/setup.sh "${lane_plugins[@]/%//pyproject.toml}" | sha256sum | cut -c1-16)"
  stamp="$venv/.harness-installed-$inputs_hash"
  [ -f "$stamp" ] && exit 0
  echo "harness setup: installing the DGL lane into $venv (pinned by constraints-dgl.txt)" >&2
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints-dgl.txt)
  # DGL 2.1 imports pydantic and torchdata (its graphbolt package) without declaring them.
  "${pip[@]}" torch==2.2.1 dgl==2.1.0 torchdata pydantic pyyaml packaging 2> >(quiet_mirrors)
  editables=()
  for dir in "${lane_plugins[@]}"; do editables+=(-e "$dir"); done
  "${pip[@]}" -e ".[test]" "${editables[@]}" 2> >(quiet_mirrors)
  rm -f "$venv"/.harness-installed-*
  touch "$stamp"
  exit 0
fi

venv="${HARNESS_VENV:-$root/.venv}"

plugin_dirs=(plugins/*/)
inputs_hash="$(cat constraints.txt pyproject.toml plugins/*/pyproject.toml | sha256sum | cut -c1-16)"
stamp="$venv/.harness-installed-$inputs_hash"

if [ -f "$stamp" ]; then
  exit 0
fi
echo "harness setup: installing into $venv (pinned by constraints.txt)" >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt)
# torch first, from the pinned CPU build: later resolutions then see it as satisfied.
"${pip[@]}" torch==2.13.0 2> >(quiet_mirrors)
# harness-identity was a plugin distribution until its encoder moved into the core.
"$venv/bin/python" -m pip uninstall --yes --quiet harness-identity 2>/dev/null || true
editables=()
for dir in "${plugin_dirs[@]}"; do editables+=(-e "$dir"); done
"${pip[@]}" -e ".[test]" "${editables[@]}" 2> >(quiet_mirrors)
rm -f "$venv"/.harness-installed-*
touch "$stamp"
