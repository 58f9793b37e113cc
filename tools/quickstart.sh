#!/usr/bin/env bash
# Sets up what is missing, then runs the quickstart grid on the embedded synthetic data.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/tools/setup.sh"
cd "$root"
exec "${HARNESS_VENV:-$root/.venv}/bin/harness" run --grid grids/quickstart.yaml "$@"
