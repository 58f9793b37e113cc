"""``svd``: AnyGraph's dataset-independent node input (see the package docstring)."""

from __future__ import annotations

import torch

from harness.encoder import Encoder


def normalized_adjacency(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """D^-1/2 A D^-1/2 of the symmetrised binary adjacency, as a sparse COO matrix (isolated
    nodes get zero rows)."""
    edges = torch.cat([edge_index, edge_index.flip(0)], dim=1)
    values = torch.ones(edges.size(1))
    adjacency = torch.sparse_coo_tensor(edges, values, (num_nodes, num_nodes), check_invariants=False).coalesce()
    index = adjacency.indices()
    ones = torch.ones(index.size(1))  # binary: duplicates collapse to 1
    degree = torch.zeros(num_nodes).index_add_(0, index[0], ones)
    scale = degree.pow(-0.5)
    scale[degree == 0] = 0.0
    return torch.sparse_coo_tensor(index, scale[index[0]] * ones * scale[index[1]], (num_nodes, num_nodes), check_invariants=False).coalesce()


def _pad(part: torch.Tensor, dim: int) -> torch.Tensor:
    if part.size(1) >= dim:
        return part[:, :dim]
    return torch.cat([part, part.new_zeros(part.size(0), dim - part.size(1))], dim=1)


def informative(x: torch.Tensor | None) -> bool:
    """Whether the node features carry anything: not absent, not empty, not the same row
    everywhere (a constant column, as featureless datasets get)."""
    if x is None or x.dim() != 2 or x.numel() == 0:
        return False
    return bool((x != x[:1]).any())


class SVDFeatures(Encoder):
    def __init__(self, dim=512, niter=2, seed=0):
        self.dim, self.niter, self.seed = dim, niter, seed

    def _union(self, task):
        """Edges, node count and features of the task's graph, or of the block-diagonal union
        of its graphs (node order as the harness concatenates them)."""
        graphs = task.graphs if task.graphs is not None else [task.data]
        edges, features, offset = [], [], 0
        for graph in graphs:
            edges.append(graph.edge_index + offset)
            features.append(getattr(graph, "x", None))
            offset += graph.num_nodes
        x = None
        if all(f is not None for f in features):
            x = torch.cat([f.float().reshape(f.size(0), -1) for f in features])
        return torch.cat(edges, dim=1), offset, x

    def low_rank(self, matrix: torch.Tensor, rank: int):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return torch.svd_lowrank(matrix, q=rank, niter=self.niter)

    def encode(self, task) -> torch.Tensor:
        edge_index, num_nodes, x = self._union(task)
        out = torch.zeros(num_nodes, self.dim)
        if edge_index.numel():
            u, s, v = self.low_rank(normalized_adjacency(edge_index, num_nodes), min(self.dim, num_nodes))
            root = s.clamp(min=0).sqrt()
            out += _pad(u * root + v * root, self.dim)
        if informative(x):
            u, s, _ = self.low_rank(x, min(self.dim, *x.shape))
            out += _pad(u * s.clamp(min=0).sqrt(), self.dim)
        return out
