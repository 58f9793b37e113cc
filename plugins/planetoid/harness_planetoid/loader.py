"""Planetoid task bundles through PyG's raw reader (``torch_geometric.io.read_planetoid_data``),
which reads the ``ind.<name>.*`` files in place: the data root is never written to."""

from __future__ import annotations

from torch_geometric.io import read_planetoid_data
from torch_geometric.transforms import NormalizeFeatures

from harness.task import Task
from harness_planetoid.files import find_raw_dir, missing_message


def _load(root: str, name: str, normalize_features: bool) -> Task:
    raw_dir = find_raw_dir(root, name)
    if raw_dir is None:
        raise FileNotFoundError(missing_message(root, name))
    data = read_planetoid_data(str(raw_dir), name)
    if normalize_features:
        data = NormalizeFeatures()(data)
    items = {
        "train": data.train_mask.nonzero().view(-1),
        "valid": data.val_mask.nonzero().view(-1),
        "test": data.test_mask.nonzero().view(-1),
    }
    for mask in ("train_mask", "val_mask", "test_mask"):
        del data[mask]
    labels = {split: data.y[index] for split, index in items.items()}
    num_classes = int(data.y.max()) + 1
    return Task(name=name, task_type="node-classification", metric="acc", num_outputs=num_classes, data=data, items=items, labels=labels, info={"raw_dir": str(raw_dir)})


def cora(root: str, normalize_features: bool = True) -> Task:
    return _load(root, "cora", normalize_features)


def citeseer(root: str, normalize_features: bool = True) -> Task:
    return _load(root, "citeseer", normalize_features)

