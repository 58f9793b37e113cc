"""The per-cell cost of isolation, the default: one small cell run isolated (loader, method and
evaluator processes forked from the warm fork server, :mod:`harness.isolation`) against the
same cell in this process (``--no-isolate``).

Workload: ``synthetic-node`` with 200 nodes, ``identity`` encoder, ``mlp`` backbone, the
``supervised`` method for 5 epochs: training takes a few milliseconds, so the difference is the
cost of the processes. Both paths go through :class:`harness.worker.CellJob` as an executor
calls it; the fork server is started (and its imports paid) in an untimed warm-up, as the first
cell of a grid pays it once. Both give the same scores (checked).

The benchmark's figure is the isolated cell; the in-process median and the difference (the
per-cell cost of isolation) are in ``extra_info`` and printed. Not asserted (timings are noisy).
"""

from __future__ import annotations

import statistics

import pytest
import yaml

ROUNDS = 10
GRID = {
    "name": "bench-isolation-cost",
    "seeds": [0],
    "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 200}}],
    "encoders": ["identity"],
    "backbones": ["mlp"],
    "methods": [{"name": "supervised", "params": {"epochs": 5, "patience": 0}}],
}


@pytest.fixture(scope="module")
def cell_and_jobs(tmp_path_factory):
    from harness.grid import load_grid
    from harness.registry import load_registry
    from harness.runner import component_modules
    from harness.settings import RunSettings
    from harness.worker import CellJob, use_plugins

    folder = tmp_path_factory.mktemp("isolation-cost")
    grid_file = folder / "grid.yaml"
    grid_file.write_text(yaml.safe_dump(GRID))
    plugins, registry = load_registry()
    [cell] = load_grid(grid_file, registry).cells
    use_plugins(plugins, registry, ())
    options = dict(data_root=str(folder / "data"), cache_dir=str(folder / "cache"), device="cpu", threads=1,
                   warm_modules=component_modules([cell], registry))
    isolated = CellJob(RunSettings(results_dir=str(folder / "isolated"), isolate=True, **options))
    in_process = CellJob(RunSettings(results_dir=str(folder / "in-process"), isolate=False, **options))
    return cell, isolated, in_process


def _complete(job, cell):
    record = job(cell)
    assert record["status"] == "complete", record.get("traceback") or record.get("error")
    return record


def test_isolation_cost_per_cell(benchmark, cell_and_jobs, timed_alternately):
    cell, isolated, in_process = cell_and_jobs
    first = _complete(isolated, cell)  # starts the fork server: paid once per grid, untimed
    same = _complete(in_process, cell)
    assert (first["valid"], first["test"]) == (same["valid"], same["test"]) and first["isolated"] and not same["isolated"]

    in_process_times = timed_alternately(benchmark, lambda: _complete(isolated, cell), lambda: _complete(in_process, cell), ROUNDS)
    in_process_median = statistics.median(in_process_times)
    benchmark.extra_info.update(in_process_median_s=round(in_process_median, 4), in_process_times_s=[round(t, 4) for t in in_process_times])
    if benchmark.stats is None:  # run without --benchmark-enable
        return
    isolated_median = benchmark.stats.stats.median
    benchmark.extra_info.update(isolated_median_s=round(isolated_median, 4), cost_per_cell_s=round(isolated_median - in_process_median, 4))
    print(f"\nisolation cost per cell: isolated {isolated_median:.3f} s vs in-process {in_process_median:.3f} s"
          f" (medians of {ROUNDS}): {isolated_median - in_process_median:.3f} s per cell")
