"""The allocator settings (``--allocator``, harness.allocator): one GAT training run as a whole
process with ``tuned`` against ``default``.

Workload: ``synthetic-node`` with 3,000 nodes, the ``gat`` backbone with its defaults, 100
full-batch epochs (training step and an evaluation forward pass each), one torch thread, seed 0.
Each round runs both settings in fresh processes, one after the other; the figures are wall
time, user and system CPU time and peak resident size per setting (``extra_info``, printed).
Target: ``tuned`` at least 2x faster in wall time, with system time a small fraction of
``default``'s. The two train the same model: their final losses are checked equal.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

ROUNDS = 3

TRAIN = """
import json, resource, sys, time
from harness.allocator import configure
configure(sys.argv[1])
import torch
torch.set_num_threads(1)
torch.manual_seed(0)
from harness.registry import load_registry
_, registry = load_registry()
dataset = registry.get("dataset", "synthetic-node")
task = dataset.load()(root=".", **{**dataset.defaults(), "num_nodes": 3000, "seed": 0})
from harness_pyg_backbones.stack import gat
data = task.data
model = gat(data.x.size(1), task.num_outputs, task.task_type, **registry.get("backbone", "gat").defaults())
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
start, usage = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
for epoch in range(100):
    model.train()
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(data.x, data.edge_index)[task.items["train"]], task.labels["train"])
    loss.backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        model(data.x, data.edge_index)
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": time.perf_counter() - start, "user": after.ru_utime - usage.ru_utime, "system": after.ru_stime - usage.ru_stime,
                  "peak_mb": after.ru_maxrss / 1024, "loss": float(loss)}))
"""


def _train(mode: str) -> dict:
    result = subprocess.run([sys.executable, "-c", TRAIN, mode], capture_output=True, text=True, timeout=900, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def test_allocator_settings(benchmark):
    runs = {"tuned": [], "default": []}

    def both():
        for mode in runs:
            runs[mode].append(_train(mode))

    benchmark.pedantic(both, rounds=ROUNDS, iterations=1)
    assert {run["loss"] for mode in runs for run in runs[mode]} == {runs["tuned"][0]["loss"]}  # same training
    summary = {f"{mode} {figure}": round(statistics.median(run[figure] for run in runs[mode]), 2)
               for mode in runs for figure in ("wall", "user", "system", "peak_mb")}
    speedup = summary["default wall"] / summary["tuned wall"]
    benchmark.extra_info.update(summary, speedup=round(speedup, 2))
    print(f"\nallocator: tuned {summary['tuned wall']} s ({summary['tuned system']} s system, {summary['tuned peak_mb']} MB peak)"
          f" vs default {summary['default wall']} s ({summary['default system']} s system, {summary['default peak_mb']} MB peak):"
          f" {speedup:.2f}x (medians of {ROUNDS})")
