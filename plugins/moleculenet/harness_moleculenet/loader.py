"""MoleculeNet task bundles from chemprop's SMILES CSVs.

Each load: find the file under the data root (:mod:`.files`), hash it, take the featurised
molecules from the artifact cache (``harness.cache.current()``; key: dataset, file sha256,
featurisation, :data:`~harness_moleculenet.graphs.FEATURE_VERSION`) or build them once with
RDKit (:mod:`.featurize`), rebuild the graphs, and split them (:mod:`.splits`). Rows whose
SMILES RDKit cannot parse give no graph; their number and rows are in ``task.info`` and in
one logged warning.

Every graph's RDKit canonical SMILES is a raw attribute, ``task.raw["smiles"]`` (one string per
graph, in graph order, so ``raw["smiles"][i]`` names ``graphs[i]``; the dataset declares it
with ``provides: smiles``). Like the graphs it is a feature, not a label: a method's view has
it for every split, test included, which is what lets a method keep a downstream set's
validation and test molecules out of its pre-training data.
"""

from __future__ import annotations

import logging

import torch

from harness.cache import current as current_cache
from harness.data.splits import Split
from harness.task import Task
from harness_moleculenet import featurize, files, splits
from harness_moleculenet.graphs import FEATURE_VERSION, graphs_from_payload, payload_from_features
from harness_moleculenet.vocabularies import BY_FEATURIZATION

log = logging.getLogger(__name__)


def build_payload(path, featurization: str) -> dict:
    """Read the CSV and featurise every SMILES (what the cache stores)."""
    smiles, tasks, labels = files.read_smiles_csv(path)
    features = featurize.featurize_smiles(smiles, featurization)
    payload = payload_from_features(features, features["valid_rows"], features["invalid_rows"])
    valid = features["valid_rows"]
    payload["labels"] = torch.tensor([labels[row] for row in valid], dtype=torch.float32).reshape(len(valid), len(tasks))
    payload["tasks"] = list(tasks)
    payload["scaffolds"] = features["scaffolds"]
    payload["file_rows"] = len(smiles)
    return payload


def cache_description(name: str, digest: str, featurization: str) -> dict:
    return {
        "kind": "moleculenet-graphs",
        "dataset": name,
        "file": files.table()[name]["file"],
        "sha256": digest,
        "featurization": featurization,
        "version": FEATURE_VERSION,
    }


def _check(featurization: str, split: str) -> None:
    if featurization not in featurize.FEATURIZATIONS:
        raise ValueError(f"unknown featurization {featurization!r}; valid: {', '.join(featurize.FEATURIZATIONS)}")
    if split not in splits.SPLITS:
        raise ValueError(f"unknown split {split!r}; valid: {', '.join(splits.SPLITS)}")


def report_invalid(name: str, invalid_rows: list[int], total: int) -> None:
    if invalid_rows:
        shown = ", ".join(map(str, invalid_rows[:10])) + (", ..." if len(invalid_rows) > 10 else "")
        log.warning(
            "%s: %d of %d SMILES could not be parsed by RDKit and have no graph (0-based data rows %s; task.info['invalid_rows'])",
            name, len(invalid_rows), total, shown,
        )


def load(name: str, root: str, featurization: str = "hu", split: str = "scaffold", split_seed: int = 0, download: bool = False, split_choice: Split | None = None) -> Task:
    """The task of MoleculeNet dataset ``name``; under the ``per-seed`` protocol the cell's seed
    draws the ``random`` or ``random-scaffold`` split (the ``scaffold`` split has no seed)."""
    _check(featurization, split)
    if split_choice is not None:
        if split == "scaffold":
            raise ValueError("the scaffold split is deterministic, so it cannot be drawn per seed: give the dataset split: random or random-scaffold, or use the grid's split: fixed")
        split_seed = split_choice.index
    row = files.table()[name]
    path = files.require_file(root, name, download)
    digest = files.sha256(path)
    payload = current_cache().get_or_build(cache_description(name, digest, featurization), lambda: build_payload(path, featurization))
    graphs = graphs_from_payload(payload)
    invalid = payload["invalid_rows"]
    report_invalid(name, invalid, payload["file_rows"])
    parts = splits.make_split(split, payload["scaffolds"], split_seed)
    items = {part: torch.tensor(members, dtype=torch.long) for part, members in parts.items()}
    labels = {part: payload["labels"][index] for part, index in items.items()}
    info = {
        "featurization": featurization,
        "split": split,
        "split_seed": split_seed if split != "scaffold" else None,
        "file": str(path),
        "sha256": digest,
        "file_rows": payload["file_rows"],
        "num_graphs": len(graphs),
        "invalid_smiles": len(invalid),
        "invalid_rows": list(invalid),
        "tasks": list(payload["tasks"]),
        "num_scaffolds": len(set(payload["scaffolds"])),
    }
    return Task(
        name=name,
        task_type=row["task_type"],
        metric=row["metric"],
        num_outputs=len(payload["tasks"]),
        graphs=graphs,
        items=items,
        labels=labels,
        raw={"smiles": list(payload["smiles"])},
        info=info,
        categorical=BY_FEATURIZATION[featurization],
    )


