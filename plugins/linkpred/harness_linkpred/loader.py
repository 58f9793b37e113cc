"""Task bundles for the datasets declared in :mod:`harness_linkpred` (this module imports torch).

A link task holds: ``data`` the training graph (both directions of every training edge, the
only edges messages pass over) with the default node features; ``items['train']`` the positive
training edges ``(2, m_train)`` (``u < v``) labelled 1; ``items['valid']`` and ``items['test']``
held-out positives and as many sampled non-edges, shuffled together, labelled 1 and 0.

The edge multi-label task of ``shs27k-types`` holds: ``data`` the graph of the training pairs
only; ``items[split]`` protein pairs ``(2, n)`` (``u < v``) for every split; ``labels[split]``
``(n, 7)`` float 0/1 over :data:`~harness_linkpred.readers.INTERACTION_TYPES`.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from harness.components import TaskType
from harness.data.edge_splits import mix, split_edges, split_items
from harness.data.readers import edge_index
from harness.task import Task
from harness_linkpred import FEATURES, LINK_METRICS, files, readers


def node_features(kind: str, num_nodes: int, train_edges: np.ndarray, feature_dim: int, feature_seed: int) -> torch.Tensor:
    """The default node features (the files carry none).

    ``ones``: one constant column. ``degree``: one column, log(1 + degree) in the training
    graph (held-out edges are not counted, so the feature leaks nothing). ``random``:
    ``feature_dim`` columns of standard normal noise drawn from ``feature_seed``.
    """
    if kind == "ones":
        return torch.ones(num_nodes, 1)
    if kind == "degree":
        degree = np.bincount(np.asarray(train_edges).reshape(-1), minlength=num_nodes)
        return torch.from_numpy(np.log1p(degree).astype(np.float32)).view(-1, 1)
    if kind == "random":
        if feature_dim < 1:
            raise ValueError(f"feature_dim must be at least 1, got {feature_dim}")
        generator = torch.Generator().manual_seed(int(feature_seed))
        return torch.randn(num_nodes, int(feature_dim), generator=generator)
    raise ValueError(f"features must be one of {list(FEATURES)}, got {kind!r}")


def training_graph(x: torch.Tensor, train_edges: np.ndarray, num_nodes: int):
    """A PyG ``Data`` whose ``edge_index`` holds both directions of the training edges, sorted."""
    from torch_geometric.data import Data

    return Data(x=x, edge_index=edge_index(train_edges, num_nodes), num_nodes=num_nodes)


def _pairs(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(np.asarray(array, dtype=np.int64).reshape(-1, 2).T))


def read_graph(name: str, root: str, download: bool = False):
    src = files.source(name)
    paths = files.require(root, name, download)
    return readers.read(paths, src.format, src.ids, src.key), paths


def link_task(name: str, graph: readers.Graph, paths, features: str, feature_dim: int, feature_seed: int, valid_fraction: float, test_fraction: float, split_seed: int, metric: str, raw: Mapping[str, Any] | None = None) -> Task:
    if metric not in LINK_METRICS:
        raise ValueError(f"{name}: metric must be one of {list(LINK_METRICS)}, got {metric!r}")
    split = split_edges(graph.edges, graph.num_nodes, valid_fraction, test_fraction, split_seed)
    order = np.random.default_rng([int(split_seed), 1])
    valid_pairs, valid_labels = mix(split.valid, split.valid_negative, order)
    test_pairs, test_labels = mix(split.test, split.test_negative, order)
    x = node_features(features, graph.num_nodes, split.train, feature_dim, feature_seed)
    items = {"train": _pairs(split.train), "valid": _pairs(valid_pairs), "test": _pairs(test_pairs)}
    labels = {
        "train": torch.ones(len(split.train)),
        "valid": torch.from_numpy(valid_labels.astype(np.float32)),
        "test": torch.from_numpy(test_labels.astype(np.float32)),
    }
    info = {
        "files": [str(p) for p in paths],
        "num_edges": int(len(graph.edges)),
        "cleaning": dict(graph.report),
        "split": {"train": len(split.train), "valid": len(split.valid), "test": len(split.test), "negatives_per_positive": 1},
    }
    if graph.node_ids is not None:
        info["node_ids"] = tuple(graph.node_ids)
    return Task(
        name=name,
        task_type="link-prediction",
        metric=metric,
        num_outputs=1,
        data=training_graph(x, split.train, graph.num_nodes),
        items=items,
        labels=labels,
        raw=dict(raw or {}),
        info=info,
    )


def load_link_task(name: str, root: str, features: str = "ones", feature_dim: int = 32, feature_seed: int = 0, valid_fraction: float = 0.05, test_fraction: float = 0.10, split_seed: int = 0, metric: str = "rocauc", download: bool = False) -> Task:
    """The link task of any dataset in the table, from its files under ``root``."""
    graph, paths = read_graph(name, root, download)
    raw = None
    if isinstance(graph, readers.ProteinGraph):
        raw = {"sequence": list(graph.sequences)}
        graph = graph.graph
    return link_task(name, graph, paths, features, feature_dim, feature_seed, valid_fraction, test_fraction, split_seed, metric, raw)


# --- SHS27k interaction types: multi-label edge classification --------------------------------


def shs27k_types(root: str, features: str = "ones", feature_dim: int = 32, feature_seed: int = 0, valid_fraction: float = 0.1, test_fraction: float = 0.2, split_seed: int = 0, download: bool = False) -> Task:
    """The 7,624 SHS27k pairs with their 7-dim type vectors, split at random by ``split_seed``
    into train / valid / test (GNN-PPI's random split holds out 20% for test; BFS and DFS
    splits are not implemented). Metric: ``rocauc`` averaged over the 7 types, which the
    evaluator already computes for ``(n, 7)`` labels; the papers report micro-F1."""
    name = "shs27k-types"
    protein, paths = read_graph(name, root, download)
    graph = protein.graph
    parts = split_items(len(graph.edges), valid_fraction, test_fraction, split_seed)
    train_edges = graph.edges[parts["train"]]
    x = node_features(features, graph.num_nodes, train_edges, feature_dim, feature_seed)
    types = torch.from_numpy(protein.types.astype(np.float32))
    splits = ("train", "valid", "test")
    return Task(
        name=name,
        task_type=TaskType.EDGE_MULTILABEL,
        metric="rocauc",
        num_outputs=len(readers.INTERACTION_TYPES),
        data=training_graph(x, train_edges, graph.num_nodes),
        items={split: _pairs(graph.edges[parts[split]]) for split in splits},
        labels={split: types[torch.from_numpy(parts[split])] for split in splits},
        raw={"sequence": list(protein.sequences)},
        info={
            "files": [str(p) for p in paths],
            "node_ids": tuple(graph.node_ids),
            "cleaning": dict(graph.report),
            "split": {split: len(parts[split]) for split in splits},
            "label_names": readers.INTERACTION_TYPES,
            "metric_in_papers": "micro-F1",
        },
    )
