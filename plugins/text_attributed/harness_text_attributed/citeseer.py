"""The ``citeseer-tag`` task bundle (see the package docstring for what it holds and how it
differs from TAPE's loader)."""

from __future__ import annotations

import torch
from torch_geometric.data import Data

from harness.data.splits import Split
from harness.task import Task
from harness_text_attributed.files import CLASSES, read_cites, read_texts, require_files

TRAIN, VALID = 0.6, 0.2


def random_split(num_nodes: int, seed: int) -> dict[str, torch.Tensor]:
    """Sorted node indices of a random 60/20/20 split drawn from ``seed``."""
    order = torch.randperm(num_nodes, generator=torch.Generator().manual_seed(seed))
    first, second = int(num_nodes * TRAIN), int(num_nodes * (TRAIN + VALID))
    return {
        "train": order[:first].sort().values,
        "valid": order[first:second].sort().values,
        "test": order[second:].sort().values,
    }


def build_edges(pairs, index: dict[str, int]) -> tuple[torch.Tensor, int]:
    """An undirected ``edge_index`` (both directions, sorted, no duplicates, no self-loops) from
    citation pairs, keeping those whose two ends are nodes; also the number of such pairs."""
    kept = [(index[a], index[b]) for a, b in pairs if a in index and b in index]
    if not kept:
        return torch.empty((2, 0), dtype=torch.long), 0
    edges = torch.tensor(kept, dtype=torch.long).t()
    edges = edges[:, edges[0] != edges[1]]
    edges = torch.cat([edges, edges.flip(0)], dim=1)
    edges = torch.unique(edges, dim=1)  # sorted by source, then target
    return edges, len(kept)


def load(root: str, split_seed: int = 0, download: bool = False, split_choice: Split | None = None) -> Task:
    """The ``citeseer-tag`` task; under the ``per-seed`` protocol the cell's seed draws the
    split."""
    if split_choice is not None:
        split_seed = split_choice.index
    texts_path, cites_path = require_files(root, download)
    ids, texts, labels = read_texts(texts_path)
    index = {paper: i for i, paper in enumerate(ids)}
    edge_index, citations = build_edges(read_cites(cites_path), index)
    class_id = {name: i for i, name in enumerate(CLASSES)}
    y = torch.tensor([class_id[label] for label in labels], dtype=torch.long)
    num_nodes = len(ids)
    data = Data(x=torch.ones(num_nodes, 1), edge_index=edge_index, y=y, num_nodes=num_nodes)
    items = random_split(num_nodes, split_seed)
    return Task(
        name="citeseer-tag",
        task_type="node-classification",
        metric="acc",
        num_outputs=len(CLASSES),
        data=data,
        items=items,
        labels={split: y[nodes] for split, nodes in items.items()},
        raw={"text": texts},
        info={
            "paper_ids": ids,
            "classes": list(CLASSES),
            "citations": citations,
            "features": "constant column of ones (the source has no node features)",
            "files": [str(texts_path), str(cites_path)],
        },
    )
