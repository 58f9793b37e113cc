"""Executors against serial (issue 15): whole ``harness run`` processes of one grid of 8
single-threaded cells (``synthetic-node`` with 2,000 nodes, ``gcn``, ``supervised`` for 1,500
epochs with ``patience: 0``, about 20 s each on one core; ``HARNESS_BENCH_EPOCHS`` changes it;
``--threads 1``, seeds 0-7), fresh results and cache each time,
with the ``local`` executor (one cell after another), the ``pool`` of 2 workers and ``ray`` with
2 workers (a Ray instance started for the run). A run's fixed costs (start-up, fork servers,
Ray's start: several seconds) count against the executors; cells of a couple of seconds measure
those, not throughput. Target: pool and Ray each at least 1.8x serial
(``extra_info["speedup pool"]``, ``["speedup ray"]``; the two workers share the 2 cores with
nothing else).

What two workers can reach on the machine at hand: the same 8 cells as two independent
``harness run`` processes of 4 cells each (even and odd seeds, the ``local`` executor, each
with its own results and cache) started together, ``extra_info["speedup two processes"]``.
Nothing an executor does can beat that: it is the bound the executors are measured against
(on a virtual machine whose two CPUs are shared, it is well below 2x).

Ray's per-cell overhead: grids of 4 and 12 cells that do nothing (``misbehave`` with mode
``ok`` on 100 nodes, isolated as always) run with ``ray`` on one worker and with ``local``; the
extra wall time of the 8 more cells, per cell, for each, and the difference
(``extra_info["ray overhead per cell s"]``). Ray's start (a few seconds) is in both grid sizes
and cancels out.

Asserted: every cell of every run completes, with the same test scores whatever the executor.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
BEHAVIOUR = REPO / "tests" / "helpers" / "behaviour_plugin.py"
ROUNDS = int(os.environ.get("HARNESS_BENCH_ROUNDS", "2"))
EPOCHS = int(os.environ.get("HARNESS_BENCH_EPOCHS", "1500"))
CELLS = 8
EXECUTORS = {
    "serial": ["--executor", "local"],
    "pool": ["--executor", "pool", "--workers", "2"],
    "ray": ["--executor", "ray", "--executor-option", "workers=2", "--executor-option", "object_store_mb=80"],
}


def _training_grid(folder: Path, seeds: range = range(CELLS), name: str = "throughput") -> Path:
    grid = {"name": name, "seeds": list(seeds), "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 2000}}],
            "backbones": ["gcn"], "methods": [{"name": "supervised", "params": {"epochs": EPOCHS, "patience": 0}}]}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(grid))
    return path


def _empty_grid(folder: Path, cells: int) -> Path:
    grid = {"name": f"empty-{cells}", "seeds": list(range(cells)), "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 100}}],
            "backbones": ["mlp"], "methods": [{"name": "misbehave", "params": {"mode": "ok"}}]}
    path = folder / f"empty-{cells}.yaml"
    path.write_text(yaml.safe_dump(grid))
    return path


def _run(grid: Path, folder: Path, options: list[str]) -> tuple[float, dict[str, float]]:
    """Wall time of one ``harness run`` in a fresh results folder and cache; each cell's test score."""
    return _run_together([grid], [folder], options)


def _run_together(grids: list[Path], folders: list[Path], options: list[str]) -> tuple[float, dict[str, float]]:
    """Wall time of one ``harness run`` per grid, all started at once, each in a fresh folder of
    its own; every cell's test score."""
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    start = time.perf_counter()
    runs = [subprocess.Popen([sys.executable, "-m", "harness", "run", "--grid", str(grid), "--plugin", str(BEHAVIOUR), "--results-dir", "results",
                              "--cache-dir", "cache", "--leaderboard-dir", "boards", "--threads", "1", *options],
                             cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for grid, folder in zip(grids, folders, strict=True)]
    outputs = [run.communicate(timeout=1800)[0] for run in runs]
    wall = time.perf_counter() - start
    assert all(run.returncode == 0 for run in runs), "\n".join(outputs)
    records = [json.loads(p.read_text()) for folder in folders for p in (folder / "results").glob("*/*.json") if p.parent.name != "runs"]
    assert all(record["status"] == "complete" for record in records)
    return wall, {record["cell_id"]: record["test"] for record in records}


def test_executor_throughput_against_serial(benchmark, tmp_path):
    pytest.importorskip("ray", reason="the ray executor needs Ray")
    grid = _training_grid(tmp_path)
    halves = [_training_grid(tmp_path, range(CELLS)[half::2], f"throughput-{half}") for half in (0, 1)]
    walls = {name: [] for name in (*EXECUTORS, "two processes")}
    scores = {}

    def every_executor():
        for name, options in EXECUTORS.items():
            wall, scores[name] = _run(grid, tmp_path / name, options)
            walls[name].append(wall)
        wall, scores["two processes"] = _run_together(halves, [tmp_path / "half-0", tmp_path / "half-1"], EXECUTORS["serial"])
        walls["two processes"].append(wall)

    benchmark.pedantic(every_executor, rounds=ROUNDS, iterations=1)
    assert all(len(found) == CELLS for found in scores.values())
    assert scores["pool"] == scores["serial"] == scores["ray"], "the same cells give the same scores"
    medians = {name: statistics.median(found) for name, found in walls.items()}
    speedups = {name: medians["serial"] / medians[name] for name in ("pool", "ray", "two processes")}
    benchmark.extra_info.update({f"{name} wall s": round(value, 2) for name, value in medians.items()})
    benchmark.extra_info.update({f"speedup {name}": round(value, 2) for name, value in speedups.items()})
    print(f"\n{CELLS} cells: serial {medians['serial']:.1f} s, pool x2 {medians['pool']:.1f} s ({speedups['pool']:.2f}x),"
          f" ray x2 {medians['ray']:.1f} s ({speedups['ray']:.2f}x); two processes of 4 cells {medians['two processes']:.1f} s"
          f" ({speedups['two processes']:.2f}x) (medians of {ROUNDS})")


def test_ray_per_cell_overhead(benchmark, tmp_path):
    pytest.importorskip("ray", reason="the ray executor needs Ray")
    options = {"local": ["--executor", "local"],
               "ray": ["--executor", "ray", "--executor-option", "workers=1", "--executor-option", "object_store_mb=80"]}
    sizes = (4, 12)
    walls = {(name, size): [] for name in options for size in sizes}

    def both_sizes():
        for name, chosen in options.items():
            for size in sizes:
                walls[(name, size)].append(_run(_empty_grid(tmp_path, size), tmp_path / f"{name}-{size}", chosen)[0])

    benchmark.pedantic(both_sizes, rounds=ROUNDS, iterations=1)
    per_cell = {name: (statistics.median(walls[(name, 12)]) - statistics.median(walls[(name, 4)])) / 8 for name in options}
    overhead = per_cell["ray"] - per_cell["local"]
    benchmark.extra_info.update({f"{name} s per empty cell": round(value, 3) for name, value in per_cell.items()},
                                **{"ray overhead per cell s": round(overhead, 3)})
    print(f"\nper empty cell: local {per_cell['local']:.3f} s, ray {per_cell['ray']:.3f} s: Ray adds {overhead:.3f} s (medians of {ROUNDS})")
