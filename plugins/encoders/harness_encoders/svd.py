"""``svd``: AnyGraph's dataset-independent node input (see the package docstring); the
computation is the core's :func:`harness.unified_input.svd_projection`, which the AnyGraph
methods use too."""

from __future__ import annotations

import torch

from harness.encoder import Encoder
from harness.sparse_features import densify
from harness.unified_input import svd_projection


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
            # a CSR feature matrix (bag of words) is made dense: the SVD reads it as a matrix
            x = torch.cat([densify(f).float().reshape(f.size(0), -1) for f in features])
        return torch.cat(edges, dim=1), offset, x

    def encode(self, task) -> torch.Tensor:
        edge_index, num_nodes, x = self._union(task)
        return svd_projection(edge_index, num_nodes, x, self.dim, self.niter, self.seed)
