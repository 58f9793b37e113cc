"""The mean-aggregation operator ``P = D^-1 A`` (A with self-loops; each node averages over its
in-neighbours and itself) and the hop stack ``[P^0 Y, P^1 Y, ..., P^N Y]`` that Label
Deconvolution mixes into inverse labels."""

from __future__ import annotations

import torch
from torch_geometric.utils import add_remaining_self_loops, coalesce


def mean_aggregation(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """P as a sparse (n, n) matrix: row i holds 1 / (in-degree(i) + 1) at i and at each source
    of an edge into i (repeated edges count once)."""
    edges, _ = add_remaining_self_loops(edge_index, num_nodes=num_nodes)
    edges = coalesce(edges, num_nodes=num_nodes)
    source, target = edges
    degree = torch.bincount(target, minlength=num_nodes).float()
    values = 1.0 / degree[target]
    return torch.sparse_coo_tensor(torch.stack([target, source]), values, (num_nodes, num_nodes), check_invariants=True).coalesce()


def hop_stack(matrix: torch.Tensor, operator: torch.Tensor, hops: int) -> torch.Tensor:
    """``(hops + 1, n, C)``: ``matrix`` propagated 0, 1, ..., ``hops`` times by ``operator``."""
    stack = [matrix]
    for _ in range(hops):
        stack.append(torch.sparse.mm(operator, stack[-1]))
    return torch.stack(stack)
