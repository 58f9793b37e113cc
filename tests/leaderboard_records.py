"""Hand-made result records shaped like the ones harness/worker.py writes, for leaderboard,
compare and plot tests (no torch, no training)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from harness.cell import Cell, ComponentRef

METRICS = {"acc": True, "rocauc": True, "rmse": False}


def make_record(
    dataset: str = "cora",
    backbone: str = "gcn",
    method: str = "supervised",
    encoder: str = "identity",
    seed: int = 0,
    test: float | None = 0.8,
    valid: float | None = None,
    status: str = "complete",
    metric: str = "acc",
    num_params: int = 1000,
    hardware: str = "Test CPU (2 cores)",
    started: str = "2024-05-01T10:00:00+00:00",
    external_data: bool = False,
    curve: list[dict[str, Any]] | None = None,
    backbone_params: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    isolated: bool = True,
) -> dict[str, Any]:
    """One record as an isolated run returns it (``isolated=False``: as ``--no-isolate`` does);
    failed and timed-out ones have no scores."""
    labels = labels or {}
    cell = Cell(
        dataset=ComponentRef(dataset, {}, "1"),
        encoder=ComponentRef(encoder, {}, "1", labels.get("encoder")),
        backbone=ComponentRef(backbone, dict(backbone_params or {"hidden": 16}), "1", labels.get("backbone")),
        method=ComponentRef(method, {"epochs": 10}, "1", labels.get("method")),
        seed=seed,
    )
    record: dict[str, Any] = {
        "cell_id": cell.id,
        "cell": cell.to_dict(),
        "config": cell.config(),
        "seed": seed,
        "started": started,
        "versions": {"python": "3.11", "harness": "0.1.0"},
        "git": {"commit": None, "dirty": None},
        "hardware": hardware,
        "wall_time_s": 0.5,
        "curve": curve if curve is not None else [],
        "isolated": isolated,
    }
    if status == "complete":
        record.update(
            status="complete",
            dataset=dataset,
            task_type="node-classification",
            metric=metric,
            higher_is_better=METRICS[metric],
            valid=test if valid is None else valid,
            test=test,
            best_epoch=3,
            num_params=num_params,
            external_data=external_data,
            extra={},
            peak_memory_bytes=1,
            peak_cuda_memory_bytes=None,
        )
    else:
        record.update(status=status, error="RuntimeError: on purpose", traceback="Traceback ...")
    return record


def records_for(scores: Iterable[float], **fields) -> list[dict[str, Any]]:
    """One complete record per score, seeds 0, 1, 2, ..."""
    return [make_record(seed=seed, test=score, **fields) for seed, score in enumerate(scores)]


def write_records(results_dir: Path, records: Iterable[dict[str, Any]]) -> Path:
    """Store records the way the runner does (``<results>/<dataset>/<cell id>.json``)."""
    from harness.store import ResultStore

    store = ResultStore(results_dir)
    for record in records:
        store.write(record)
    return Path(results_dir)
