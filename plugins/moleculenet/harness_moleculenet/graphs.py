"""The cached form of a featurised molecule set and the PyG graphs rebuilt from it.

A payload holds plain tensors, lists and numbers only (it loads with
``torch.load(weights_only=True)``): the concatenated ``x`` (atoms, F), ``edge_index``
(2, edges; indices local to each molecule) and ``edge_attr`` (edges, Fe), the per-graph offsets
``node_ptr`` and ``edge_ptr`` (graphs + 1), ``rows`` (the file row of each graph, 0-based,
header excluded), ``smiles`` (the RDKit canonical SMILES of each graph, in graph order; the
tasks carry it as ``task.raw["smiles"]``) and ``invalid_rows``; loaders add their own entries
(labels, scaffolds).
``x``, ``edge_index`` and ``edge_attr`` are stored in the smallest integer type that holds
their values (uint8 features, int16 local indices: a quarter of the size or less) and come
back as int64 in the graphs.
"""

from __future__ import annotations

import torch
from torch_geometric.data import Data

#: enters every cache key of featurised molecules; bump it when the featurisation or the
#: payload changes (2: the canonical SMILES of every graph).
FEATURE_VERSION = "2"


def _offsets(counts) -> torch.Tensor:
    counts = torch.as_tensor(counts, dtype=torch.long)
    return torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)])


def _compact(array) -> torch.Tensor:
    """``array`` (int64) in the smallest integer type that holds its values."""
    low, high = (int(array.min()), int(array.max())) if array.size else (0, 0)
    for dtype in (torch.uint8, torch.int16, torch.int32):
        info = torch.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return torch.from_numpy(array).to(dtype)
    return torch.from_numpy(array)


def payload_from_features(features: dict, rows: list[int], invalid_rows: list[int]) -> dict:
    """Tensors from :func:`harness_moleculenet.featurize.featurize_smiles`'s arrays."""
    return {
        "x": _compact(features["x"]),
        "edge_index": _compact(features["edge_index"]),
        "edge_attr": _compact(features["edge_attr"]),
        "node_ptr": _offsets(features["num_nodes"]),
        "edge_ptr": _offsets(features["num_edges"]),
        "rows": torch.tensor(rows, dtype=torch.long),
        "smiles": list(features["smiles"]),
        "invalid_rows": [int(row) for row in invalid_rows],
    }


def _own(part: torch.Tensor) -> torch.Tensor:
    return part.to(torch.long, copy=True)


def graphs_from_payload(payload: dict) -> list[Data]:
    """One ``Data(x, edge_index, edge_attr)`` per molecule, all int64; each owns its tensors
    (copies, not views into the concatenated ones, so that pickling one graph does not carry
    the whole set)."""
    node_counts = payload["node_ptr"].diff().tolist()
    edge_counts = payload["edge_ptr"].diff().tolist()
    xs = payload["x"].split(node_counts)
    edge_indices = payload["edge_index"].split(edge_counts, dim=1)
    edge_attrs = payload["edge_attr"].split(edge_counts)
    return [
        Data(x=_own(x), edge_index=_own(edge_index), edge_attr=_own(edge_attr), num_nodes=count)
        for x, edge_index, edge_attr, count in zip(xs, edge_indices, edge_attrs, node_counts)
    ]
