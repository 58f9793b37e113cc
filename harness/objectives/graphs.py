"""Reading a batch of graphs, or a single graph, the same way; random orders within graphs.

The objectives take either a PyG ``Batch`` (with its ``batch`` vector: node -> graph) or a
single ``Data`` without one, which counts as one graph. Nothing here assumes that a graph's
nodes are contiguous in the batch.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data


def batch_vector(data: Data) -> Tensor:
    """The graph of every node: ``data.batch``, or zeros for a single graph."""
    batch = getattr(data, "batch", None)
    if batch is not None:
        return batch
    return torch.zeros(data.num_nodes, dtype=torch.long, device=data.edge_index.device)


def graph_count(data: Data) -> int:
    """How many graphs ``data`` holds: ``num_graphs`` of a batch, 1 for a single graph."""
    if getattr(data, "batch", None) is None:
        return 1
    return int(data.num_graphs)


def nodes_per_graph(batch: Tensor, num_graphs: int) -> Tensor:
    return torch.bincount(batch, minlength=num_graphs)


def random_ranks(batch: Tensor, num_graphs: int, generator: torch.Generator | None = None) -> Tensor:
    """Each node's rank in a uniformly random order of its own graph's nodes (0 .. n_g - 1).

    Taking the nodes of rank < c samples c nodes per graph without replacement, all graphs at
    once; rank 0 is one uniformly chosen node per graph.
    """
    num_nodes = batch.numel()
    shuffled = torch.randperm(num_nodes, generator=generator, device=batch.device)
    # A stable sort by graph keeps the shuffled order within each graph.
    grouped = shuffled[torch.argsort(batch[shuffled], stable=True)]
    counts = nodes_per_graph(batch, num_graphs)
    first_position = torch.cumsum(counts, 0) - counts
    ranks = torch.empty_like(batch)
    ranks[grouped] = torch.arange(num_nodes, device=batch.device) - first_position[batch[grouped]]
    return ranks
