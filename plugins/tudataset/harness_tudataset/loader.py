"""TU graph-classification task bundles: the toolkit's :func:`harness.data.readers.read_tu`
(PyG's raw reader ``torch_geometric.io.read_tu_data``) reads the ``<NAME>_*.txt`` files in place.

Features: the TU node labels one-hot (plus the node attributes first, where the dataset has them
and ``use_node_attributes`` is true, as PyG's ``TUDataset(use_node_attr=True)``); MUTAG's bond
types one-hot as ``edge_attr``. Self-loops removed and duplicate edges merged (PyG's reader).
Labels: class ids ``(n,)`` (TU's labels, such as MUTAG's -1/1, mapped to 0..C-1 in sorted
order), metric accuracy.

Split: 10-fold stratified cross-validation drawn from ``split_seed``
(:func:`harness.data.splits.fold_split`): the graphs of every class are shuffled and dealt in
turn to the 10 folds, so folds differ in size by at most one graph and in each class's count by
at most one. For ``fold`` k, test = fold k; valid = a stratified 10% of the remaining graphs (one
tenth of them, dealt the same way from a generator seeded by ``(split_seed, fold)``); train =
the rest. A full protocol runs the folds: a grid with ``split: {protocol: folds, folds: 10}``
makes the ten folds the cells of one leaderboard row (``fold`` is then the cell's).
"""

from __future__ import annotations

import torch

from harness.data.splits import Split, fold_split
from harness.data.readers import read_tu
from harness.task import Task
from harness_tudataset.files import ensure_raw_dir, prefix

FOLDS = 10


def cross_validation_split(y: torch.Tensor, split_seed: int, fold: int, k: int = FOLDS) -> dict[str, torch.Tensor]:
    """Train, valid and test graph indices (sorted) of ``fold`` of the stratified k-fold split
    (:func:`harness.data.splits.fold_split`)."""
    parts = fold_split(y.numpy(), fold, k, seed=split_seed)
    return {split: torch.from_numpy(index) for split, index in parts.items()}


def load(root: str, name: str, split_seed: int = 0, fold: int = 0, use_node_attributes: bool = False, download: bool = False, split_choice: Split | None = None) -> Task:
    """The task of TU dataset ``name`` (``mutag``, ``proteins-tu``, ``enzymes``), one fold of it:
    ``fold`` of 10 under the fixed protocol, the cell's fold of its fold count under ``folds``."""
    folder = ensure_raw_dir(root, name, use_node_attributes, download)
    graphs, y = read_tu(folder, prefix(name), use_node_attributes)
    folds = FOLDS
    if split_choice is not None:
        fold, folds = split_choice.index, split_choice.count
    items = cross_validation_split(y, split_seed, fold, folds)
    labels = {split: y[index] for split, index in items.items()}
    info = {"raw_dir": str(folder), "split_seed": split_seed, "fold": fold, "folds": folds}
    return Task(name=name, task_type="graph-classification", metric="acc", num_outputs=int(y.max()) + 1, graphs=graphs, items=items, labels=labels, info=info)
