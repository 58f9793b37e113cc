"""TU graph-classification task bundles: the toolkit's :func:`harness.data.readers.read_tu`
(PyG's raw reader ``torch_geometric.io.read_tu_data``) reads the ``<NAME>_*.txt`` files in place.

Features: the TU node labels one-hot (plus the node attributes first, where the dataset has them
and ``use_node_attributes`` is true, as PyG's ``TUDataset(use_node_attr=True)``); MUTAG's bond
types one-hot as ``edge_attr``. Self-loops removed and duplicate edges merged (PyG's reader).
Labels: class ids ``(n,)`` (TU's labels, such as MUTAG's -1/1, mapped to 0..C-1 in sorted
order), metric accuracy.

Split: 10-fold stratified cross-validation drawn from ``split_seed`` (numpy's
``default_rng``): the graphs of every class are shuffled and dealt in turn to the 10 folds, so
folds differ in size by at most one graph and in each class's count by at most one. For
``fold`` k, test = fold k; valid = a stratified 10% of the remaining graphs (one tenth of them,
dealt the same way from a generator seeded by ``(split_seed, fold)``); train = the rest. A full
protocol runs the ten folds (and reports mean and std over them).
"""

from __future__ import annotations

import numpy as np
import torch

from harness.data.readers import read_tu
from harness.task import Task
from harness_tudataset.files import ensure_raw_dir, prefix

FOLDS = 10


def stratified_folds(labels: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """The fold (0..k-1) of every item: each class shuffled, then dealt round-robin, the deal
    continuing from one class to the next."""
    fold = np.empty(len(labels), dtype=np.int64)
    start = 0
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        fold[members] = (start + np.arange(len(members))) % k
        start = (start + len(members)) % k
    return fold


def cross_validation_split(y: torch.Tensor, split_seed: int, fold: int, k: int = FOLDS) -> dict[str, torch.Tensor]:
    """Train, valid and test graph indices (sorted) of ``fold`` of the stratified k-fold split."""
    if not 0 <= fold < k:
        raise ValueError(f"fold must be in 0..{k - 1}, got {fold}")
    labels = y.numpy()
    folds = stratified_folds(labels, k, np.random.default_rng(split_seed))
    test = np.flatnonzero(folds == fold)
    rest = np.flatnonzero(folds != fold)
    inner = stratified_folds(labels[rest], 10, np.random.default_rng([split_seed, fold]))
    parts = {"train": rest[inner != 0], "valid": rest[inner == 0], "test": test}
    return {split: torch.from_numpy(np.sort(index)) for split, index in parts.items()}


def load(root: str, name: str, split_seed: int = 0, fold: int = 0, use_node_attributes: bool = False, download: bool = False) -> Task:
    """The task of TU dataset ``name`` (``mutag``, ``proteins-tu``, ``enzymes``), one fold of it."""
    folder = ensure_raw_dir(root, name, use_node_attributes, download)
    graphs, y = read_tu(folder, prefix(name), use_node_attributes)
    items = cross_validation_split(y, split_seed, fold)
    labels = {split: y[index] for split, index in items.items()}
    info = {"raw_dir": str(folder), "split_seed": split_seed, "fold": fold, "folds": FOLDS}
    return Task(name=name, task_type="graph-classification", metric="acc", num_outputs=int(y.max()) + 1, graphs=graphs, items=items, labels=labels, info=info)
