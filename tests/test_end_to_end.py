"""The quickstart through the real CLI: killed with SIGKILL part way, run again, and every cell
is recorded exactly once, with no corrupt or half-written file left."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).resolve().parent.parent / "grids" / "quickstart.yaml"


def _harness(tmp_path):
    return [sys.executable, "-m", "harness", "run", "--grid", str(QUICKSTART), "--results-dir", "results", "--cache-dir", "cache", "--leaderboard-dir", "boards"]


def _record_files(results: Path) -> list[Path]:
    return [p for p in results.glob("*/*.json") if p.parent.name != "runs"]


@pytest.mark.slow
def test_quickstart_survives_sigkill_and_resumes(tmp_path):
    results = tmp_path / "results"
    process = subprocess.Popen(_harness(tmp_path), cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(_record_files(results)) < 3:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = len(_record_files(results))
    assert 3 <= killed_at, "the run was killed before it wrote any record"

    rerun = subprocess.run(_harness(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"skipping {killed_at} cell(s) with a complete record" in rerun.stdout

    manifests = sorted((results / "runs").glob("*.json"))
    cells = json.loads(manifests[-1].read_text())["cells"]
    records = [json.loads(p.read_text()) for p in _record_files(results)]  # every file parses
    ids = [r["cell_id"] for r in records]
    assert sorted(ids) == sorted(cells) and len(set(ids)) == len(ids)
    assert all(r["status"] == "complete" for r in records)
    leftovers = [p for p in results.rglob("*") if p.name.startswith(".tmp-") or p.parent.name in ("corrupt", "attempts")]
    assert not leftovers, leftovers
    assert "leaderboard:" in rerun.stdout and (tmp_path / "boards" / "synthetic-node.md").is_file()

    third = subprocess.run(_harness(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert f"skipping {len(cells)} cell(s) with a complete record (no training)" in third.stdout
    assert "ran 0 cell(s)" in third.stdout
