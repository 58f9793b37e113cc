"""Wall time of whole grids (issue 11): ``harness run --grid grids/quickstart.yaml`` (embedded
data, 18 cells) and ``grids/planetoid.yaml`` (shared data, 40 cells), each a fresh process with a
fresh results folder and cache, the harness's defaults otherwise (isolation, tuned allocator,
threads = cores).

To compare with another checkout (an earlier commit), point ``HARNESS_BENCH_BEFORE_REPO`` at it
and ``HARNESS_BENCH_BEFORE_PYTHON`` at an interpreter whose harness is installed from it: each
round then runs that checkout first (untimed set-up) and this one (timed), and the figures give
both medians and the ratio. Asserted: every cell completes, in both.

``HARNESS_BENCH_GRID_ROUNDS`` sets the rounds (default 2 for the quickstart, 1 for Planetoid,
whose 40 cells took 15 minutes before issue 11 on a 2-core machine).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HARNESS_SHARED_DATA", REPO.parent / "shared" / "data"))
BEFORE_REPO = os.environ.get("HARNESS_BENCH_BEFORE_REPO")
BEFORE_PYTHON = os.environ.get("HARNESS_BENCH_BEFORE_PYTHON")
GRIDS = {"quickstart": ("grids/quickstart.yaml", 2, False), "planetoid": ("grids/planetoid.yaml", 1, True)}


def run_grid(python: str, repo: str, grid: str, folder: Path, data_root: str) -> float:
    shutil.rmtree(folder, ignore_errors=True)
    command = [python, "-m", "harness", "run", "--grid", grid, "--results-dir", str(folder / "results"), "--cache-dir", str(folder / "cache"),
               "--data-root", data_root]
    start = time.perf_counter()
    process = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=7200)
    wall = time.perf_counter() - start
    assert process.returncode == 0, process.stdout + process.stderr
    assert " 0 failed" in process.stdout, process.stdout
    return wall


@pytest.mark.parametrize("name", list(GRIDS))
def test_grid_wall_time(benchmark, bench_tmp, name):
    grid, rounds, shared = GRIDS[name]
    if shared and not (SHARED / "planetoid").is_dir():
        pytest.skip(f"the shared data is not under {SHARED} (set HARNESS_SHARED_DATA)")
    rounds = int(os.environ.get("HARNESS_BENCH_GRID_ROUNDS", rounds))
    data_root = str(SHARED if shared else bench_tmp / "data")
    before: list[float] = []

    def run_before():
        if BEFORE_REPO and BEFORE_PYTHON:
            before.append(run_grid(BEFORE_PYTHON, BEFORE_REPO, grid, bench_tmp / f"{name}-before", data_root))

    after = lambda: run_grid(sys.executable, str(REPO), grid, bench_tmp / f"{name}-after", data_root)  # noqa: E731
    benchmark.pedantic(after, setup=run_before, rounds=rounds, iterations=1)
    if benchmark.stats is None:
        return
    now = benchmark.stats.stats.median
    benchmark.extra_info.update(wall_s=round(now, 1))
    line = f"\n{name}: {now:.1f} s (median of {rounds})"
    if before:
        then = statistics.median(before)
        benchmark.extra_info.update(before_wall_s=round(then, 1), speedup=round(then / now, 2), before_repo=BEFORE_REPO)
        line += f"; {BEFORE_REPO}: {then:.1f} s; {then / now:.2f}x faster"
    print(line)
