"""How an isolated cell's parts start: from the fork server, without importing the driving
process's main script (multiprocessing would import it again in every part as
``__mp_main__``; under Ray that script is Ray's worker, and it cost about 1 s per cell)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

GRID = """name: start
seeds: [0, 1]
datasets: [{name: synthetic-node, params: {num_nodes: 100}}]
backbones: [mlp]
methods: [{name: supervised, params: {epochs: 2}}]
"""

# Its top level runs wherever the script is imported: each import leaves a line in the marker file.
SCRIPT = """import os, sys
with open(sys.argv[1], "a") as marker:
    marker.write(f"{os.getpid()}\\n")
if __name__ == "__main__":
    from harness.cli import main
    raise SystemExit(main(sys.argv[2:]))
"""


def test_the_parts_of_an_isolated_cell_do_not_import_the_main_script(tmp_path: Path):
    (tmp_path / "grid.yaml").write_text(GRID)
    (tmp_path / "driver.py").write_text(SCRIPT)
    marker = tmp_path / "imported.txt"
    done = subprocess.run([sys.executable, "driver.py", str(marker), "run", "--grid", "grid.yaml", "--results-dir", "results",
                           "--cache-dir", "cache", "--leaderboard-dir", "boards"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    records = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*/*.json") if p.parent.name != "runs"]
    assert [record["status"] for record in records] == ["complete", "complete"]
    assert all(record["isolated"] for record in records)
    imports = marker.read_text().splitlines()
    assert len(imports) == 1, f"the script ran in {len(imports)} processes, not only in the driver"
