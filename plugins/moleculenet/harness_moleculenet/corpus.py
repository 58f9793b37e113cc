"""The unlabelled ZINC-derived pre-training corpus: MOSES ``train.csv.gz`` (1,584,663 drug-like
SMILES from ZINC Clean Leads; Polykovskiy et al. 2020), featurised like the MoleculeNet sets.

Two ways in:

- :func:`load_corpus` gives the graphs (``list[Data]``) directly;
- the ``zinc`` dataset component (:func:`zinc`) gives a :class:`~harness.task.Task` so that a
  method can take it with ``context.load_task("zinc", size=...)`` (cache identity included).
  The Task contract wants a task type, a metric and labels per split; the corpus has none, so
  the task type (graph-regression) and metric (rmse) are nominal, ``num_outputs`` is 0, every
  molecule is a training item with an empty label row (``labels["train"]`` has shape
  ``(n, 0)``), valid and test are empty (``(0,)`` items, ``(0, 0)`` labels), and
  ``task.info["unlabelled"]`` is True. Like the MoleculeNet tasks it carries every graph's
  RDKit canonical SMILES as ``task.raw["smiles"]`` (graph order). Nothing can be scored on it, so it declares no splits:
  a grid refuses it as a dataset, and a method names it with a ``dataset`` parameter
  (``corpus: {name: zinc, params: {size: 500}}``).

Selection: ``size`` molecules (0 = all); the first ``size`` rows of the file, or, with
``sample_seed``, ``size`` rows drawn without replacement with that seed (kept in file order).
"""

from __future__ import annotations

import numpy as np
import torch

from harness.cache import current as current_cache
from harness.task import Task
from harness_moleculenet import featurize, files
from harness_moleculenet.graphs import FEATURE_VERSION, graphs_from_payload, payload_from_features
from harness_moleculenet.loader import report_invalid
from harness_moleculenet.vocabularies import BY_FEATURIZATION

NAME = "zinc"


def select_rows(path, size: int, sample_seed: int | None) -> tuple[list[str], list[int]]:
    """The SMILES chosen and their 0-based data rows in the file."""
    if size < 0:
        raise ValueError(f"size must be 0 (all) or positive, got {size}")
    if sample_seed is None:
        smiles = files.read_smiles_column(path, limit=size)
        return smiles, list(range(len(smiles)))
    smiles = files.read_smiles_column(path)
    if size == 0 or size >= len(smiles):
        return smiles, list(range(len(smiles)))
    rows = np.sort(np.random.default_rng(sample_seed).choice(len(smiles), size=size, replace=False)).tolist()
    return [smiles[row] for row in rows], rows


def build_payload(path, size: int, sample_seed: int | None, featurization: str) -> dict:
    smiles, rows = select_rows(path, size, sample_seed)
    features = featurize.featurize_smiles(smiles, featurization, scaffolds=False)
    payload = payload_from_features(features, [rows[i] for i in features["valid_rows"]], [rows[i] for i in features["invalid_rows"]])
    payload["selected"] = len(smiles)
    return payload


def _payload(root: str, size: int, sample_seed: int | None, featurization: str, download: bool = False):
    if featurization not in featurize.FEATURIZATIONS:
        raise ValueError(f"unknown featurization {featurization!r}; valid: {', '.join(featurize.FEATURIZATIONS)}")
    path = files.require_file(root, NAME, download)
    digest = files.sha256(path)
    description = {
        "kind": "zinc-corpus",
        "file": files.table()[NAME]["file"],
        "sha256": digest,
        "size": size,
        "sample_seed": sample_seed,
        "featurization": featurization,
        "version": FEATURE_VERSION,
    }
    payload = current_cache().get_or_build(description, lambda: build_payload(path, size, sample_seed, featurization))
    report_invalid(NAME, payload["invalid_rows"], payload["selected"])
    return path, digest, payload


def load_corpus(root: str, size: int = 2000, sample_seed: int | None = None, featurization: str = "hu", download: bool = False) -> list:
    """The corpus molecules as PyG graphs (integer ``x``, ``edge_index``, ``edge_attr``)."""
    return graphs_from_payload(_payload(root, size, sample_seed, featurization, download)[2])


def zinc(root: str, size: int = 2000, sample_seed: int | None = None, featurization: str = "hu", download: bool = False) -> Task:
    """The corpus as a Task without labels (see the module docstring)."""
    path, digest, payload = _payload(root, size, sample_seed, featurization, download)
    graphs = graphs_from_payload(payload)
    n = len(graphs)
    items = {"train": torch.arange(n), "valid": torch.zeros(0, dtype=torch.long), "test": torch.zeros(0, dtype=torch.long)}
    labels = {"train": torch.zeros(n, 0), "valid": torch.zeros(0, 0), "test": torch.zeros(0, 0)}
    info = {
        "unlabelled": True,
        "featurization": featurization,
        "file": str(path),
        "sha256": digest,
        "size": size,
        "sample_seed": sample_seed,
        "num_graphs": n,
        "invalid_smiles": len(payload["invalid_rows"]),
        "invalid_rows": list(payload["invalid_rows"]),
        "rows": payload["rows"].tolist(),
    }
    return Task(
        name=NAME, task_type="graph-regression", metric="rmse", num_outputs=0, graphs=graphs, items=items, labels=labels,
        raw={"smiles": list(payload["smiles"])}, info=info, categorical=BY_FEATURIZATION[featurization],
    )
