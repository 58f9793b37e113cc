"""The default torch thread count of a cell: the usable cores shared among the cells that run at
once, said in the run's header line."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from harness import threads
from harness.executors import LocalExecutor, PoolExecutor


@pytest.mark.parametrize("executor, cores, expected", [
    (LocalExecutor(), 8, 8),
    (PoolExecutor(workers=2), 8, 4),
    (PoolExecutor(workers=3), 8, 2),
    (PoolExecutor(workers=16), 8, 1),  # never below one thread
    (SimpleNamespace(workers=None), 4, 4),  # an executor plugin without a worker count runs one cell at a time
])
def test_each_running_cell_gets_its_share_of_the_cores(monkeypatch, executor, cores, expected):
    monkeypatch.setattr(threads, "usable_cores", lambda: cores)
    assert threads.threads_per_cell(executor) == expected
    assert threads.threads_reason(executor) == f"{cores} core(s) / {threads.concurrent_cells(executor)} cell(s) at a time"


def test_usable_cores_follow_the_affinity_mask():
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity on this platform")
    assert threads.usable_cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("options, expected", [
    ([], lambda cores: f"{cores} torch thread(s) per cell ({cores} core(s) / 1 cell(s) at a time)"),
    (["--threads", "1"], lambda cores: "1 torch thread(s) per cell (--threads)"),
])
def test_the_header_says_the_thread_count(tmp_path, options, expected):
    grid = tmp_path / "grid.yaml"
    grid.write_text("seeds: [0]\ndatasets: [{name: synthetic-node, params: {num_nodes: 120}}]\nbackbones: [{name: mlp, params: {hidden: 4}}]\n"
                    "methods: [{name: supervised, params: {epochs: 1}}]\n")
    command = [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--results-dir", str(tmp_path / "results"),
               "--cache-dir", str(tmp_path / "cache"), "--no-isolate", *options]
    process = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stdout + process.stderr
    header = process.stdout.splitlines()[0]
    assert header.endswith(expected(threads.usable_cores())), header
