"""Task bundles from the gnn-benchmark ``.npz`` files, read by the toolkit's
:func:`harness.data.readers.read_npz_graph` (a ``.npz.xz`` is decompressed in memory; nothing is
written; ``class_names`` of Coauthor CS is a pickled object array and is never unpickled).

As PyG's ``Amazon`` and ``Coauthor`` (``torch_geometric.io.read_npz``): self-loops removed, the
graph made undirected (both directions of each edge, duplicates merged), features float
(a CSR tensor where they are mostly zeros, as Coauthor CS's: see :mod:`harness.sparse_features`) and binarised (every positive entry becomes 1; with ``binary_features`` false, Coauthor CS keeps
its keyword counts). Split of Shchur et al. (2018): per class 20 training and 30 validation
nodes drawn from ``split_seed`` (numpy's ``default_rng``), every other node for test; under a
grid's ``split: per-seed`` the cell's seed draws it. ``split: ltd``: LTD's protocol
(:func:`harness.data.components.ltd_split`).
"""

from __future__ import annotations

import numpy as np
import torch

from harness.data import splits
from harness.data.components import ltd_split
from harness.data.readers import read_npz_graph
from harness.task import Task
from harness_gnn_benchmark.files import require_file

TRAIN_PER_CLASS = 20
VALID_PER_CLASS = 30


def per_class_split(y: torch.Tensor, seed: int, train_per_class: int = TRAIN_PER_CLASS, valid_per_class: int = VALID_PER_CLASS) -> dict[str, torch.Tensor]:
    """Per class, ``train_per_class`` training and ``valid_per_class`` validation nodes drawn
    from ``seed`` alone; every other node is a test node
    (:func:`harness.data.splits.per_class_split`). Sorted node indices per split."""
    parts = splits.per_class_split(y.numpy(), seed, train_per_class, valid_per_class)
    return {split: torch.from_numpy(index) for split, index in parts.items()}


SPLITS = ("shchur", "ltd")


def load(root: str, name: str, split: str = "shchur", split_seed: int = 0, binary_features: bool = True, download: bool = False,
         split_choice: splits.Split | None = None) -> Task:
    """The task of gnn-benchmark dataset ``name`` (``amazon-computers``, ``amazon-photo``,
    ``coauthor-cs``); under the ``per-seed`` protocol the split seed is the cell's."""
    if split_choice is not None:
        split_seed = split_choice.index
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    path = require_file(root, name, download)
    data = read_npz_graph(path, binary_features, sparse=True)
    if split == "ltd":
        data, items = ltd_split(data, split_seed)
    else:
        items = per_class_split(data.y, split_seed)
    labels = {split: data.y[index] for split, index in items.items()}
    return Task(name=name, task_type="node-classification", metric="acc", num_outputs=int(data.y.max()) + 1, data=data, items=items, labels=labels, info={"file": str(path), "split": split, "split_seed": split_seed})

