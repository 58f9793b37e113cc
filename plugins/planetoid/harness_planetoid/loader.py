"""Planetoid task bundles read from the ``ind.<name>.*`` files in place: the data root is never
written to (except by the opt-in fetch of :mod:`.files`). The files are pickles, read with the
core's restricted unpickler (:mod:`harness.data.safe_pickle`: a file naming anything but numpy
arrays, CSR matrices and a ``defaultdict`` of lists is refused, nothing it names is run), and
assembled into the same tensors as PyG's ``torch_geometric.io.read_planetoid_data``.

Splits:

- ``public``: the split of Yang et al. (2016) that the files encode: the 20 labelled nodes per
  class of ``x`` for training, the next 500 nodes for validation, the 1000 nodes of
  ``test.index`` for test.
- ``random``: as PyG's ``Planetoid(split="random")``: 20 training nodes per class drawn at
  random, then 500 validation and 1000 test nodes drawn from the remaining ones, all from
  ``split_seed`` alone (numpy's ``default_rng``), independent of the training seed (under a
  grid's ``split: per-seed``, from the cell's seed instead: one random split per seed). One
  difference: CiteSeer's 15 nodes that appear in the graph but not in ``test.index`` (PyG pads
  them with zero features and label 0) have no label, so they are never drawn.
  ``train_per_class`` sets the number of training nodes per class (20 by default).
- ``ltd``: LTD's protocol (:func:`harness.data.components.ltd_split`): the graph becomes its
  largest connected component; per class 20 training, 20 ``meta`` and 10 validation nodes drawn
  from ``split_seed``, every other node for test (one fixed split, as the paper's protocol).
"""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Data
from torch_geometric.io.planetoid import edge_index_from_dict
from torch_geometric.transforms import NormalizeFeatures

from harness.data import safe_pickle
from harness.data.components import ltd_split
from harness.data.splits import Split, per_class_train_split
from harness.sparse_features import compress
from harness.task import Task
from harness_planetoid.files import ensure_raw_dir

TRAIN_PER_CLASS = 20
NUM_VALID = 500
NUM_TEST = 1000


def unlabelled_nodes(raw_dir, name: str) -> np.ndarray:
    """Graph nodes inside the test-index range that ``test.index`` does not list (CiteSeer's
    isolated nodes without features or label)."""
    test_index = np.loadtxt(raw_dir / f"ind.{name}.test.index", dtype=np.int64, ndmin=1)
    return np.setdiff1d(np.arange(test_index.min(), test_index.max() + 1), test_index)


def _read_matrix(raw_dir, name: str, suffix: str) -> torch.Tensor:
    """A pickled feature matrix (CSR) or one-hot label array as a dense float tensor."""
    value = safe_pickle.load(raw_dir / f"ind.{name}.{suffix}")
    value = value.toarray() if hasattr(value, "toarray") else np.asarray(value)
    return torch.from_numpy(value).to(torch.float)


def read_planetoid(raw_dir, name: str) -> Data:
    """Features, labels, graph and the public split's masks of dataset ``name``, in graph order:
    rows of ``allx`` then of ``tx`` (each placed at its node in ``test.index``; CiteSeer's nodes
    missing from it get zero features and label 0); the edges of ``graph`` without self-loops and
    duplicates; the same tensors as PyG's ``read_planetoid_data``."""
    x, tx, allx, y, ty, ally = (_read_matrix(raw_dir, name, suffix) for suffix in ("x", "tx", "allx", "y", "ty", "ally"))
    graph = safe_pickle.load(raw_dir / f"ind.{name}.graph")
    test_index = torch.from_numpy(np.loadtxt(raw_dir / f"ind.{name}.test.index", dtype=np.int64, ndmin=1))
    sorted_test_index = test_index.sort()[0]
    if name == "citeseer":  # pad the test rows to every node in the test-index range
        span, first = int(test_index.max() - test_index.min()) + 1, test_index.min()
        tx_full, ty_full = torch.zeros(span, tx.size(1)), torch.zeros(span, ty.size(1))
        tx_full[sorted_test_index - first], ty_full[sorted_test_index - first] = tx, ty
        tx, ty = tx_full, ty_full
    features = torch.cat([allx, tx])
    features[test_index] = features[sorted_test_index]
    labels = torch.cat([ally, ty]).max(dim=1)[1]
    labels[test_index] = labels[sorted_test_index]
    num_nodes = labels.size(0)
    data = Data(x=features, edge_index=edge_index_from_dict(graph, num_nodes=num_nodes), y=labels)
    data.train_mask = _mask(torch.arange(y.size(0)), num_nodes)
    data.val_mask = _mask(torch.arange(y.size(0), y.size(0) + NUM_VALID), num_nodes)
    data.test_mask = _mask(test_index, num_nodes)
    return data


def _mask(index: torch.Tensor, size: int) -> torch.Tensor:
    mask = torch.zeros(size, dtype=torch.bool)
    mask[index] = True
    return mask


def random_split(y: torch.Tensor, seed: int, exclude=(), per_class: int = TRAIN_PER_CLASS, num_valid: int = NUM_VALID, num_test: int = NUM_TEST) -> dict[str, torch.Tensor]:
    """``per_class`` training nodes of every class (all of a smaller class), then ``num_valid``
    validation and ``num_test`` test nodes from the rest; nodes in ``exclude`` are never drawn
    (:func:`harness.data.splits.per_class_train_split`). Sorted node indices per split,
    determined by ``seed`` alone."""
    parts = per_class_train_split(y.numpy(), seed, per_class, num_valid, num_test, exclude=exclude)
    return {split: torch.from_numpy(index) for split, index in parts.items()}


SPLITS = ("public", "random", "ltd")


def load(root: str, name: str, normalize_features: bool = True, split: str = "public", split_seed: int = 0, train_per_class: int = TRAIN_PER_CLASS,
         download: bool = False, split_choice: Split | None = None) -> Task:
    """The task of Planetoid dataset ``name`` (``cora``, ``citeseer`` or ``pubmed``); under the
    ``per-seed`` protocol, the random split drawn from the cell's seed."""
    if split_choice is not None:
        split, split_seed = "random", split_choice.index
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    raw_dir = ensure_raw_dir(root, name, download)
    data = read_planetoid(raw_dir, name)
    if normalize_features:
        data = NormalizeFeatures()(data)
    public = {"train": data.train_mask, "valid": data.val_mask, "test": data.test_mask}
    for mask in ("train_mask", "val_mask", "test_mask"):
        del data[mask]
    if split == "public":
        items = {part: mask.nonzero().view(-1) for part, mask in public.items()}
    elif split == "random":
        items = random_split(data.y, split_seed, exclude=unlabelled_nodes(raw_dir, name), per_class=train_per_class)
    else:
        data, items = ltd_split(data, split_seed, exclude=unlabelled_nodes(raw_dir, name))
    data.x = compress(data.x)
    labels = {part: data.y[index] for part, index in items.items()}
    num_classes = int(data.y.max()) + 1
    info = {"raw_dir": str(raw_dir), "split": split, "split_seed": None if split == "public" else split_seed}
    return Task(name=name, task_type="node-classification", metric="acc", num_outputs=num_classes, data=data, items=items, labels=labels, info=info)
