#!/usr/bin/env bash
# Sets up what is missing, then runs the test suite. Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/tools/setup.sh"
cd "$root"
exec "${HARNESS_VENV:-$root/.venv}/bin/python" -m pytest "$@"
