"""Re-running a grid whose cells are all complete: what ``harness run`` costs when there is
nothing left to train (start-up, plugin discovery, grid expansion, reading one record per cell,
the run manifest, re-rendering the leaderboards).

Set-up (not timed): ``grids/quickstart.yaml`` is run once into a temporary results folder.
Timed: the same ``harness run --grid grids/quickstart.yaml --results-dir <tmp>
--leaderboard-dir <tmp2>`` as a subprocess. Target: under 2 s (not asserted).

Asserted (functional): every re-run reports all cells skipped with a complete record, runs
none, and leaves the record files exactly as they were (same set of files, same mtimes, same
bytes).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

GRID = "grids/quickstart.yaml"
ROUNDS = 5
TARGET_S = 2.0
RESERVED = {"attempts", "corrupt", "runs", "locks"}


def _record_files(results: Path) -> dict[str, tuple[int, str]]:
    """Each record file (``<results>/<dataset>/<cell id>.json``) -> (mtime_ns, sha256)."""
    found = {}
    for path in sorted(results.glob("*/*.json")):
        if path.parent.name in RESERVED:
            continue
        found[str(path.relative_to(results))] = (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return found


@pytest.fixture(scope="module")
def completed_grid(tmp_path_factory, run_harness):
    """A results folder holding a complete run of the quickstart grid (the untimed set-up)."""
    folder = tmp_path_factory.mktemp("rerun")
    results, boards = folder / "results", folder / "leaderboards"
    first = run_harness("run", "--grid", GRID, "--results-dir", str(results), "--leaderboard-dir", str(boards))
    match = re.search(r"ran (\d+) cell\(s\): (\d+) complete, (\d+) failed", first.stdout)
    assert match, first.stdout
    ran, complete, failed = map(int, match.groups())
    assert ran > 0 and complete == ran and failed == 0, first.stdout
    records = _record_files(results)
    assert len(records) == ran, (len(records), ran)
    return results, boards, ran, records


def test_rerun_completed_grid(benchmark, run_harness, completed_grid):
    results, boards, cells, records_before = completed_grid
    args = ("run", "--grid", GRID, "--results-dir", str(results), "--leaderboard-dir", str(boards))

    outputs = []

    def rerun():
        outputs.append(run_harness(*args))

    benchmark.pedantic(rerun, rounds=ROUNDS, iterations=1)

    # Functional: nothing was trained, and the records were not touched.
    for result in outputs:
        assert f"skipping {cells} cell(s) with a complete record (no training)" in result.stdout, result.stdout
        assert "ran 0 cell(s): 0 complete, 0 failed" in result.stdout, result.stdout
        assert " start " not in result.stderr, result.stderr  # the progress display announces each cell it starts
    assert _record_files(results) == records_before

    if benchmark.stats is not None:  # None when run without --benchmark-enable
        median = benchmark.stats.stats.median
        benchmark.extra_info.update(cells=cells, median_s=round(median, 3), target_s=TARGET_S)
        verdict = "within" if median <= TARGET_S else "ABOVE"
        print(f"\nre-run of a complete {cells}-cell grid: median {median:.2f} s over {ROUNDS} rounds, {verdict} the {TARGET_S:g} s target")
