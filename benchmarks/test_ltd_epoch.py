"""The time of one LTD epoch against one FT/KD epoch: LTD's overhead.

Workload: Cora under LTD's protocol (largest connected component, 2,485 nodes; binary features,
dense), the harness's ``gcn`` 2 x 64 with dropout 0.5 and ``gat`` 8 heads x 8 (the reference's
architectures), random teacher logits, the reference's tuned step sizes for Cora; CPU, torch at
``HARNESS_BENCH_TORCH_THREADS`` threads (1 by default). Measured: the median wall time of one
student epoch over 10 rounds after a warm-up (``extra_info``): FT/KD's SGD step, LTD's during
its warm-up (the temperature model only forward) and LTD's after it (the differentiable step,
the stepped student's forward on the ``meta`` split and the second-order gradient into the
temperature model). Validation is not included (the same for both).

Asserted (functional): every epoch's loss is finite.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

THREADS = int(os.environ.get("HARNESS_BENCH_TORCH_THREADS", "1"))
SHARED = Path(os.environ.get("HARNESS_SHARED_DATA", Path(__file__).resolve().parent.parent.parent / "shared" / "data"))
ARCHITECTURES = {"gcn": {"hidden": 64, "dropout": 0.5}, "gat": {"hidden": 8, "heads": 8, "dropout": 0.6, "attention_dropout": 0.6}}


@pytest.fixture(scope="module")
def cora():
    if not (SHARED / "planetoid" / "raw" / "ind.cora.x").is_file():
        pytest.skip(f"the shared Planetoid files are not under {SHARED} (set HARNESS_SHARED_DATA)")
    from harness.sparse_features import densify
    from harness_planetoid.loader import load

    task = load(str(SHARED), "cora", split="ltd", normalize_features=False).method_view()
    task.data.x = densify(task.data.x)
    return task


def _median_seconds(step, rounds=10) -> tuple[float, list[float]]:
    seconds = []
    for epoch in range(rounds + 1):  # the first round warms up
        started = time.perf_counter()
        loss = step(epoch)
        seconds.append(time.perf_counter() - started)
        assert torch.isfinite(torch.tensor(loss))
    return statistics.median(seconds[1:]), seconds[1:]


def _epochs(task, backbone_name) -> dict:
    from harness.registry import load_registry
    from harness.worker import BackboneFactory
    from harness_distillation import reference_settings
    from harness_distillation.ltd import LearnedTemperatures, LtdSettings
    from harness_distillation.methods import fixed_temperature_step
    from harness_distillation.student import Student, StudentSettings
    from harness_distillation.temperatures import neighbourhood_entropy

    _, registry = load_registry(())
    component = registry.get("backbone", backbone_name)
    backbone = BackboneFactory(component, {**component.defaults(), **ARCHITECTURES[backbone_name]}, "node-classification")
    settings = reference_settings.student("cora", backbone_name, lr=None, lam=None, temperature_lr=None, scale=None)
    context = SimpleNamespace(device="cpu", track=lambda *modules: None)
    torch.manual_seed(0)
    teacher = torch.randn(task.data.num_nodes, task.num_outputs) * 3

    def student():
        return Student(task, backbone, teacher, StudentSettings(epochs=10, patience=0, lr=settings["lr"], lam=settings["lam"]), context)

    kd = _median_seconds(fixed_temperature_step(student(), 1.0))
    results = {"kd_s": kd[0]}
    for name, warmup in (("ltd_warmup_s", 10**6), ("ltd_learning_s", 0)):
        learner = student()
        temperatures = LearnedTemperatures(learner, neighbourhood_entropy(teacher, learner.inputs[1]),
                                           LtdSettings(settings["temperature_lr"], settings["scale"], warmup), task.items["meta"], task.labels["meta"])
        results[name] = _median_seconds(temperatures.epoch)[0]
    results["overhead"] = results["ltd_learning_s"] / results["kd_s"]
    return results


@pytest.mark.parametrize("backbone_name", sorted(ARCHITECTURES))
def test_ltd_epoch_against_kd_epoch(benchmark, cora, backbone_name):
    previous = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        results = benchmark.pedantic(_epochs, args=(cora, backbone_name), rounds=1, iterations=1)
    finally:
        torch.set_num_threads(previous)
    benchmark.extra_info.update({**results, "threads": THREADS})
    print(f"\nCora (LTD split), {backbone_name}, {THREADS} thread(s): FT/KD epoch {results['kd_s'] * 1000:.1f} ms, LTD epoch "
          f"{results['ltd_warmup_s'] * 1000:.1f} ms in its warm-up and {results['ltd_learning_s'] * 1000:.1f} ms after it "
          f"({results['overhead']:.1f}x FT/KD)")
