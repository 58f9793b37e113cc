#!/usr/bin/env bash
# The DGL lane: sets up .venv-dgl if missing (tools/setup.sh --dgl), then runs the lane's tests
# (tests/dgl_lane) there. Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/tools/setup.sh" --dgl
cd "$root"
export DGLBACKEND=pytorch
# The lane's tests skip where DGL cannot be imported; in the lane that is a broken set-up.
"${HARNESS_DGL_VENV:-$root/.venv-dgl}/bin/python" -c "import dgl" || { echo "DGL does not import in the DGL lane's environment" >&2; exit 1; }
exec "${HARNESS_DGL_VENV:-$root/.venv-dgl}/bin/python" -m pytest tests/dgl_lane "$@"
