"""PyG's ``edge_index`` as a DGL graph, built once per graph: the stacks of a cell call forward on
the same graph every epoch."""

from __future__ import annotations

import dgl
import torch

#: the graphs built last, with the tensors they were built from (held, so that no other tensor
#: can take their place in memory and be mistaken for them)
_RECENT: list[tuple[tuple, tuple]] = []
_KEEP = 4


def dgl_graph(edge_index: torch.Tensor, num_nodes: int, self_loops: bool, edge_attr: torch.Tensor | None = None):
    """The DGL graph of ``edge_index`` (messages from ``edge_index[0]`` to ``edge_index[1]``)
    and its edge features. ``self_loops``: existing self-loops removed and one added per node,
    as PyG's GCNConv and GATConv do; a self-loop's edge features are the mean of the features
    of the edges into its node (PyG's ``fill_value="mean"``), zero for a node without any."""
    key = (edge_index, edge_attr, num_nodes, self_loops)
    for seen, built in _RECENT:
        if seen[0] is edge_index and seen[1] is edge_attr and seen[2:] == key[2:]:
            return built
    built = _build(edge_index, num_nodes, self_loops, edge_attr)
    _RECENT.insert(0, (key, built))
    del _RECENT[_KEEP:]
    return built


def _build(edge_index, num_nodes, self_loops, edge_attr):
    source, target = edge_index[0], edge_index[1]
    if self_loops:
        keep = source != target
        source, target = source[keep], target[keep]
        if edge_attr is not None:
            edge_attr = edge_attr[keep]
            loop_attr = _mean_into(edge_attr, target, num_nodes)
            edge_attr = torch.cat([edge_attr, loop_attr])
        nodes = torch.arange(num_nodes, device=edge_index.device)
        source, target = torch.cat([source, nodes]), torch.cat([target, nodes])
    graph = dgl.graph((source, target), num_nodes=num_nodes)
    return graph, edge_attr


def _mean_into(edge_attr: torch.Tensor, target: torch.Tensor, num_nodes: int) -> torch.Tensor:
    width = edge_attr.shape[1:]
    total = torch.zeros((num_nodes, *width), dtype=edge_attr.dtype, device=edge_attr.device).index_add_(0, target, edge_attr)
    count = torch.zeros(num_nodes, dtype=edge_attr.dtype, device=edge_attr.device).index_add_(0, target, torch.ones_like(target, dtype=edge_attr.dtype))
    return total / count.clamp(min=1).view(-1, *([1] * len(width)))
