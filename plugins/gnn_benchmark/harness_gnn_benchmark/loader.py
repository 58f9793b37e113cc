"""Task bundles from the gnn-benchmark ``.npz`` files, read here (a ``.npz.xz`` is decompressed
in memory with :mod:`lzma`; nothing is written).

The format: a CSR adjacency (``adj_data``, ``adj_indices``, ``adj_indptr``, ``adj_shape``) or a
dense ``adj_matrix``; CSR node features (``attr_*``) or a dense ``attr_matrix``; one class id per
node in ``labels``. Only these arrays are read, with ``allow_pickle=False`` (``class_names`` of
Coauthor CS is a pickled object array and is never unpickled).

As PyG's ``Amazon`` and ``Coauthor`` (``torch_geometric.io.read_npz``): self-loops removed, the
graph made undirected (both directions of each edge, duplicates merged), features dense float
and binarised (every positive entry becomes 1; with ``binary_features`` false, Coauthor CS keeps
its keyword counts). Split of Shchur et al. (2018): per class 20 training and 30 validation
nodes drawn from ``split_seed`` (numpy's ``default_rng``), every other node for test; under a
grid's ``split: per-seed`` the cell's seed draws it.
"""

from __future__ import annotations

import io
import lzma
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import Data
from torch_geometric.utils import remove_self_loops, to_undirected

from harness.data import splits
from harness.task import Task
from harness_gnn_benchmark.files import require_file

TRAIN_PER_CLASS = 20
VALID_PER_CLASS = 30
_ARRAYS = ("adj_data", "adj_indices", "adj_indptr", "adj_shape", "adj_matrix", "attr_data", "attr_indices", "attr_indptr", "attr_shape", "attr_matrix", "labels")


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a gnn-benchmark ``.npz`` (or ``.npz.xz``) that the loader needs."""
    path = Path(path)
    source = io.BytesIO(lzma.decompress(path.read_bytes())) if path.name.endswith(".xz") else path
    with np.load(source, allow_pickle=False) as archive:
        return {key: archive[key] for key in _ARRAYS if key in archive.files}


def _matrix(arrays: dict[str, np.ndarray], prefix: str, path: Path) -> sp.csr_matrix:
    if f"{prefix}_data" in arrays:
        parts = [arrays.get(f"{prefix}_{part}") for part in ("data", "indices", "indptr", "shape")]
        if any(part is None for part in parts):
            raise ValueError(f"{path}: {prefix}_data needs {prefix}_indices, {prefix}_indptr and {prefix}_shape beside it")
        data, indices, indptr, shape = parts
        return sp.csr_matrix((data, indices, indptr), shape=tuple(int(s) for s in shape))
    if f"{prefix}_matrix" in arrays:
        return sp.csr_matrix(arrays[f"{prefix}_matrix"])
    raise ValueError(f"{path}: neither {prefix}_data/{prefix}_indices/{prefix}_indptr/{prefix}_shape (sparse) nor {prefix}_matrix (dense)")


def read_graph(path: Path, binary_features: bool = True) -> Data:
    """The graph of one file: undirected edges without self-loops, features, labels."""
    arrays = read_arrays(path)
    adjacency = _matrix(arrays, "adj", path).tocoo()
    features = _matrix(arrays, "attr", path)
    if "labels" not in arrays or arrays["labels"].ndim != 1:
        raise ValueError(f"{path}: needs 'labels', one class id per node")
    num_nodes = adjacency.shape[0]
    if adjacency.shape != (num_nodes, num_nodes) or features.shape[0] != num_nodes or len(arrays["labels"]) != num_nodes:
        raise ValueError(f"{path}: adjacency {adjacency.shape}, features {features.shape} and {len(arrays['labels'])} labels disagree on the number of nodes")
    edge_index = torch.from_numpy(np.vstack([adjacency.row, adjacency.col]).astype(np.int64))
    edge_index, _ = remove_self_loops(edge_index)
    edge_index = to_undirected(edge_index, num_nodes=num_nodes)
    x = torch.from_numpy(features.toarray()).to(torch.float)
    if binary_features:
        x[x > 0] = 1
    y = torch.from_numpy(arrays["labels"].astype(np.int64))
    return Data(x=x, edge_index=edge_index, y=y)


def per_class_split(y: torch.Tensor, seed: int, train_per_class: int = TRAIN_PER_CLASS, valid_per_class: int = VALID_PER_CLASS) -> dict[str, torch.Tensor]:
    """Per class, ``train_per_class`` training and ``valid_per_class`` validation nodes drawn
    from ``seed`` alone; every other node is a test node
    (:func:`harness.data.splits.per_class_split`). Sorted node indices per split."""
    parts = splits.per_class_split(y.numpy(), seed, train_per_class, valid_per_class)
    return {split: torch.from_numpy(index) for split, index in parts.items()}


def load(root: str, name: str, split_seed: int = 0, binary_features: bool = True, download: bool = False, split_choice: splits.Split | None = None) -> Task:
    """The task of gnn-benchmark dataset ``name`` (``amazon-computers``, ``amazon-photo``,
    ``coauthor-cs``); under the ``per-seed`` protocol the split seed is the cell's."""
    if split_choice is not None:
        split_seed = split_choice.index
    path = require_file(root, name, download)
    data = read_graph(path, binary_features)
    items = per_class_split(data.y, split_seed)
    labels = {split: data.y[index] for split, index in items.items()}
    return Task(name=name, task_type="node-classification", metric="acc", num_outputs=int(data.y.max()) + 1, data=data, items=items, labels=labels, info={"file": str(path), "split_seed": split_seed})

