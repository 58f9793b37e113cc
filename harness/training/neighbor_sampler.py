"""Uniform neighbour sampling in plain torch, for PyG's ``NodeLoader``.

PyG's own ``NeighborLoader`` needs a compiled back-end (pyg-lib or torch-sparse) that is not
always installable; :func:`neighbor_loader` uses it when present and this sampler otherwise.
Per hop, every frontier node keeps ``min(fanout, in-degree)`` of its in-neighbours drawn
uniformly without replacement (random keys sorted within each node's edge segment), as PyG's
sampler does; the draws come from torch's global generator, so a seeded cell samples the same
batches.
"""

from __future__ import annotations

import torch
from torch_geometric.sampler import BaseSampler, NodeSamplerInput, SamplerOutput


class PlainNeighborSampler(BaseSampler):
    """Samples ``fanout[k]`` in-neighbours per node at hop ``k`` around seed nodes (``-1`` keeps
    every in-neighbour); a ``node_sampler`` for PyG's ``NodeLoader``."""

    def __init__(self, data, fanout: list[int]):
        self.fanout = [int(k) for k in fanout]
        self.num_nodes = data.num_nodes
        source, target = data.edge_index
        order = torch.argsort(target, stable=True)
        # Incoming edges grouped by target: messages flow source -> target, so a seed's
        # receptive field is made of its in-neighbours.
        self.sources = source[order]
        self.edge_ids = order
        counts = torch.bincount(target, minlength=self.num_nodes)
        self.rowptr = torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)])

    def _sample_hop(self, frontier: torch.Tensor, fanout: int):
        """Edge positions (into ``self.sources``) kept for each frontier node, and the index of
        the frontier node each kept edge belongs to."""
        start, degree = self.rowptr[frontier], self.rowptr[frontier + 1] - self.rowptr[frontier]
        owner = torch.repeat_interleave(torch.arange(len(frontier)), degree)
        first = torch.repeat_interleave(degree.cumsum(0) - degree, degree)
        position = start[owner] + torch.arange(len(owner)) - first
        if fanout >= 0:
            keys = owner.double() + torch.rand(len(owner), dtype=torch.float64)
            order = torch.argsort(keys)
            rank = torch.arange(len(order)) - first[order]
            keep = order[rank < fanout]
            owner, position = owner[keep], position[keep]
        return position, owner

    def sample_from_nodes(self, inputs: NodeSamplerInput) -> SamplerOutput:
        seeds = inputs.node
        local = torch.full((self.num_nodes,), -1, dtype=torch.long)
        local[seeds] = torch.arange(len(seeds))
        nodes, frontier = [seeds], seeds
        rows, cols, edges = [], [], []
        sampled_nodes, sampled_edges = [len(seeds)], []
        count = len(seeds)
        for fanout in self.fanout:
            position, owner = self._sample_hop(frontier, fanout)
            sources = self.sources[position]
            new = torch.unique(sources[local[sources] < 0])
            local[new] = torch.arange(count, count + len(new))
            count += len(new)
            rows.append(local[sources])
            cols.append(local[frontier[owner]])
            edges.append(self.edge_ids[position])
            nodes.append(new)
            sampled_nodes.append(len(new))
            sampled_edges.append(len(position))
            frontier = new
        return SamplerOutput(
            node=torch.cat(nodes),
            row=torch.cat(rows),
            col=torch.cat(cols),
            edge=torch.cat(edges),
            batch=None,
            num_sampled_nodes=sampled_nodes,
            num_sampled_edges=sampled_edges,
            metadata=(inputs.input_id, inputs.time),  # what NodeLoader reads back
        )

    def sample_from_edges(self, index, neg_sampling=None):
        raise NotImplementedError("PlainNeighborSampler samples around seed nodes only (no link-level loader)")


def neighbor_loader(data, fanout, batch_size: int, input_nodes, shuffle: bool):
    """PyG's ``NeighborLoader`` where its compiled sampler is installed, else a ``NodeLoader``
    over :class:`PlainNeighborSampler`. Either way the first ``batch.batch_size`` nodes of a
    batch are its seeds."""
    import torch_geometric.typing as pyg_typing
    from torch_geometric.loader import NeighborLoader, NodeLoader

    if pyg_typing.WITH_PYG_LIB or pyg_typing.WITH_TORCH_SPARSE:
        return NeighborLoader(data, num_neighbors=list(fanout), batch_size=batch_size, input_nodes=input_nodes, shuffle=shuffle)
    sampler = PlainNeighborSampler(data, fanout)
    return NodeLoader(data, node_sampler=sampler, input_nodes=input_nodes, batch_size=batch_size, shuffle=shuffle)
