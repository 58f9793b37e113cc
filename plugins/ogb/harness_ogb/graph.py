"""OGB graph property prediction (Hu et al., NeurIPS 2020): ogbg-molhiv and ogbg-molpcba through
``ogb.graphproppred``'s ``PygGraphPropPredDataset``, its scaffold split and its ``Evaluator``.

Labels are ``(n, T)`` floats with NaN where a molecule has no label for a task (molpcba; OGB
stores molhiv's as integers, converted here). Nodes and bonds carry OGB's integer features
(9 per atom, 3 per bond, the ``molecule-features`` the datasets provide; their ranges are in
``task.info``). What differs from OGB's examples: these learn an embedding per atom and bond
feature value (``AtomEncoder``, ``BondEncoder``) and sum them. The default here, ``features:
one-hot``, gives each feature value its own 0/1 column instead (173 atom and 13 bond columns),
so any backbone's first linear layer is that same sum of embeddings; ``features: integer``
keeps OGB's integers, declared categorical (``task.categorical`` is
:data:`harness.features.OGB_MOLECULE`), so that backbones embed them with OGB's own
``AtomEncoder`` and ``BondEncoder``. One-hot costs memory: about 0.8 GB for molhiv and 8 GB for
molpcba.
"""

from __future__ import annotations

import torch

from harness.features import OGB_MOLECULE
from harness.task import Task
from harness_ogb.common import prepare, safe_loading
from harness_ogb.evaluators import OgbEvaluator
from harness_ogb.files import TABLE


def feature_dims() -> tuple[list[int], list[int]]:
    """OGB's number of values per atom feature and per bond feature."""
    from ogb.utils.features import get_atom_feature_dims, get_bond_feature_dims

    return get_atom_feature_dims(), get_bond_feature_dims()


def one_hot(codes: torch.Tensor, dims: list[int]) -> torch.Tensor:
    """Concatenated one-hot columns of integer feature ``codes`` ``(n, len(dims))``."""
    if codes.dim() != 2 or codes.size(1) != len(dims):
        raise ValueError(f"expected integer features of shape (n, {len(dims)}), got {tuple(codes.shape)}")
    limits = torch.tensor(dims)
    if codes.numel() and (bool((codes < 0).any()) or bool((codes >= limits).any())):
        raise ValueError(f"feature values outside OGB's ranges {dims}")
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), limits.cumsum(0)[:-1]])
    out = torch.zeros(codes.size(0), int(limits.sum()))
    out.scatter_(1, codes.long() + offsets, 1.0)
    return out


def load(root: str, name: str, features: str = "one-hot", download: bool = False) -> Task:
    from ogb.graphproppred import PygGraphPropPredDataset

    with safe_loading():
        dataset = PygGraphPropPredDataset(name=name, root=prepare(root, name, download))
        split = dataset.get_idx_split()
    atom_dims, bond_dims = feature_dims()
    store = dataset._data
    y = store.y.float().view(len(dataset), -1)
    del store.y
    if features == "one-hot":
        store.x = one_hot(store.x, atom_dims)
        store.edge_attr = one_hot(store.edge_attr, bond_dims)
    dataset._data_list = None
    graphs = [dataset[i] for i in range(len(dataset))]
    dataset._data_list = None
    items = {part: split[part] for part in ("train", "valid", "test")}
    labels = {part: y[index] for part, index in items.items()}
    row = TABLE[name]
    info = {"features": features, "atom_feature_dims": atom_dims, "bond_feature_dims": bond_dims}
    categorical = OGB_MOLECULE if features == "integer" else None
    return Task(name=name, task_type=row["task_type"], metric=row["metric"], num_outputs=y.size(1), graphs=graphs, items=items, labels=labels,
                evaluator=OgbEvaluator(name), info=info, categorical=categorical)


def molhiv(root: str, features: str = "one-hot", download: bool = False) -> Task:
    return load(root, "ogbg-molhiv", features, download)


def molpcba(root: str, features: str = "one-hot", download: bool = False) -> Task:
    return load(root, "ogbg-molpcba", features, download)
