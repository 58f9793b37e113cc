"""Writes tiny datasets in the exact on-disk formats the dataset plugins read, so that the readers
are tested without the real data: Planetoid's ``ind.<name>.*`` (Python pickles of scipy CSR
matrices and one-hot numpy arrays, a ``defaultdict`` adjacency and a text test index),
gnn-benchmark's ``.npz`` (and ``.npz.xz``), and TU's raw ``<NAME>_*.txt``."""

from __future__ import annotations

import lzma
import pickle
from collections import defaultdict
from pathlib import Path

import numpy as np
import scipy.sparse as sp


def write_tiny_planetoid(folder: Path, name: str = "pubmed", num_classes: int = 3, num_features: int = 8, per_class: int = 20, num_allx: int = 600, num_test: int = 1000, seed: int = 0) -> dict:
    """The eight ``ind.<name>.*`` files in ``folder``: ``x`` = the first ``per_class *
    num_classes`` rows of ``allx`` (20 per class), ``tx`` the test rows, listed in a shuffled
    ``test.index`` after the ``allx`` nodes, as in the Planetoid repository. Returns the arrays
    in graph order (features, labels, test index, the undirected edge set)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    num_nodes = num_allx + num_test
    labels = rng.integers(0, num_classes, size=num_nodes)
    labels[: per_class * num_classes] = np.repeat(np.arange(num_classes), per_class)
    features = (rng.random((num_nodes, num_features)) < 0.3).astype(np.float32)
    features[features.sum(1) == 0, 0] = 1.0
    test_index = rng.permutation(np.arange(num_allx, num_nodes))  # row k of tx is node test_index[k]
    one_hot = np.eye(num_classes, dtype=np.int32)
    graph = defaultdict(list)
    edges = set()
    for node in range(num_nodes):  # a ring plus random chords, both directions listed
        for other in ((node + 1) % num_nodes, int(rng.integers(0, num_nodes))):
            if other != node:
                graph[node].append(other)
                graph[other].append(node)
                edges |= {(node, other), (other, node)}
    graph[5].append(5)  # a self-loop and a duplicate, as the real files have: PyG drops both
    graph[7].append(graph[7][0])
    train = per_class * num_classes
    objects = {
        "x": sp.csr_matrix(features[:train]),
        "y": one_hot[labels[:train]],
        "allx": sp.csr_matrix(features[:num_allx]),
        "ally": one_hot[labels[:num_allx]],
        "tx": sp.csr_matrix(features[test_index]),
        "ty": one_hot[labels[test_index]],
        "graph": graph,
    }
    for suffix, value in objects.items():
        with open(folder / f"ind.{name}.{suffix}", "wb") as handle:
            pickle.dump(value, handle, protocol=2)
    (folder / f"ind.{name}.test.index").write_text("".join(f"{i}\n" for i in test_index))
    return {"features": features, "labels": labels, "test_index": test_index, "edges": edges}


def write_tiny_npz(path: Path, num_classes: int = 3, per_class: int = 60, num_features: int = 6, dense: bool = False, xz: bool = False, seed: int = 0) -> dict:
    """A gnn-benchmark ``.npz`` (``.npz.xz`` with ``xz``): a directed CSR adjacency with a
    self-loop and a duplicate-in-reverse edge, count features (sparse ``attr_*`` or dense
    ``attr_matrix``), labels, and a pickled ``class_names`` as in Coauthor CS."""
    rng = np.random.default_rng(seed)
    num_nodes = num_classes * per_class
    labels = rng.permutation(np.repeat(np.arange(num_classes), per_class)).astype(np.int64)
    rows = np.arange(num_nodes)
    cols = (rows + 1) % num_nodes
    extra = rng.integers(0, num_nodes, size=(2, num_nodes))
    row = np.concatenate([rows, extra[0], [3, 1]])
    col = np.concatenate([cols, extra[1], [3, 0]])  # (3, 3) a self-loop; (1, 0) the reverse of (0, 1)
    adjacency = sp.coo_matrix((np.ones(len(row), dtype=np.float32), (row, col)), shape=(num_nodes, num_nodes)).tocsr()
    adjacency.data[:] = 1.0
    counts = rng.integers(0, 4, size=(num_nodes, num_features)).astype(np.float32)
    arrays = {
        "adj_data": adjacency.data, "adj_indices": adjacency.indices, "adj_indptr": adjacency.indptr, "adj_shape": np.array(adjacency.shape),
        "labels": labels, "class_names": np.array([f"class {c}" for c in range(num_classes)], dtype=object),
    }
    if dense:
        arrays["attr_matrix"] = counts
    else:
        attributes = sp.csr_matrix(counts)
        arrays.update(attr_data=attributes.data, attr_indices=attributes.indices, attr_indptr=attributes.indptr, attr_shape=np.array(attributes.shape))
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = path.with_name(path.name.removesuffix(".xz"))
    np.savez(plain, **arrays)
    if xz:
        path.write_bytes(lzma.compress(plain.read_bytes()))
        plain.unlink()
    return {"adjacency": adjacency, "features": counts, "labels": labels}


def write_tiny_tu(folder: Path, prefix: str, graph_labels, node_label_values: int = 3, node_attributes: int = 0, edge_label_values: int = 0, seed: int = 0) -> dict:
    """TU raw files for graphs of 3-7 nodes (a path plus one chord, both directions listed, ids
    1-based): ``A``, ``graph_indicator``, ``graph_labels`` (the given values, such as -1/1),
    ``node_labels`` and optionally ``node_attributes`` and ``edge_labels``."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    indicator, node_labels, edges, sizes = [], [], [], []
    start = 0
    for g, _ in enumerate(graph_labels):
        size = int(rng.integers(3, 8))
        sizes.append(size)
        indicator += [g + 1] * size
        node_labels += rng.integers(0, node_label_values, size=size).tolist()
        pairs = [(i, i + 1) for i in range(size - 1)] + [(0, size - 1)]
        for a, b in pairs:
            edges += [(start + a, start + b), (start + b, start + a)]
        start += size
    node_labels[0], node_labels[1] = 0, node_label_values - 1  # every value occurs
    (folder / f"{prefix}_A.txt").write_text("".join(f"{a + 1}, {b + 1}\n" for a, b in edges))
    (folder / f"{prefix}_graph_indicator.txt").write_text("".join(f"{g}\n" for g in indicator))
    (folder / f"{prefix}_graph_labels.txt").write_text("".join(f"{label}\n" for label in graph_labels))
    (folder / f"{prefix}_node_labels.txt").write_text("".join(f"{label}\n" for label in node_labels))
    attributes = rng.random((len(indicator), node_attributes)).round(4)
    if node_attributes:
        (folder / f"{prefix}_node_attributes.txt").write_text("".join(", ".join(f"{v:.4f}" for v in row) + "\n" for row in attributes))
    if edge_label_values:
        edge_labels = [0] * len(edges)
        for i in range(0, len(edges), 2):  # one bond type per undirected edge
            edge_labels[i] = edge_labels[i + 1] = int(rng.integers(0, edge_label_values))
        edge_labels[0] = edge_labels[1] = edge_label_values - 1
        (folder / f"{prefix}_edge_labels.txt").write_text("".join(f"{label}\n" for label in edge_labels))
    return {"sizes": sizes, "node_labels": np.array(node_labels), "attributes": attributes, "num_edges": len(edges)}
