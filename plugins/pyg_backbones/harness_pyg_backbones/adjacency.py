"""A graph's propagation operators as CSR matrices, built once per graph and reused.

Full-batch training hands the same ``edge_index`` tensor to the backbone in every epoch; PyG's
layers redo the per-edge work (GCN's normalisation, one message per edge) in every layer of
every forward pass. :func:`operators` builds the matrices below on first use and returns the
same ones while the tensor is the same object, unmodified (a mini-batch's new ``edge_index``
gets its own, and an in-place edit bumps the tensor's version and rebuilds them):

- ``gcn``: ``D^-1/2 (A + I) D^-1/2`` exactly as PyG's ``gcn_norm`` weighs the edges (missing
  self-loops added with weight 1, a repeated edge counted each time);
- ``sum``: ``A`` with a repeated edge's multiplicity as its entry (a sum over messages);
- ``mean``: ``sum`` with every row divided by its total (a node without in-edges gets zeros, as
  PyG's mean over no messages does).

Row ``i`` holds node ``i``'s in-edges (PyG's ``source_to_target`` flow), so ``matrix @ h`` is what
a layer's aggregation produces.
"""

from __future__ import annotations

import weakref
from functools import cached_property

import torch
from torch_geometric.nn.conv.gcn_conv import gcn_norm

from harness.sparse_features import product, transpose


class Operators:
    """The operators of one graph (``edge_index`` over ``num_nodes`` nodes), each built when
    first asked for."""

    def __init__(self, edge_index: torch.Tensor, num_nodes: int):
        # weakly: the cache entry must not keep the graph it is keyed on alive
        self._edge_index, self.num_nodes = weakref.ref(edge_index), num_nodes
        self._transposed: dict[str, torch.Tensor] = {}
        self._other_dtypes: dict[tuple[str, torch.dtype], tuple[torch.Tensor, torch.Tensor]] = {}

    def apply(self, name: str, h: torch.Tensor) -> torch.Tensor:
        """Operator ``name`` (``gcn``, ``sum``, ``mean``) times ``h``; its transposition, which
        the gradient needs, is made once too. Built in float32; a copy in ``h``'s dtype is made
        once for other floating dtypes (a float64 gradient check)."""
        if name not in self._transposed:
            self._transposed[name] = transpose(getattr(self, name))
        matrix, transposed = getattr(self, name), self._transposed[name]
        if h.dtype != matrix.dtype:
            key = (name, h.dtype)
            if key not in self._other_dtypes:
                self._other_dtypes[key] = (matrix.to(h.dtype), transposed.to(h.dtype))
            matrix, transposed = self._other_dtypes[key]
        return product(matrix, h, transposed)

    @property
    def edge_index(self) -> torch.Tensor:
        return self._edge_index()

    def _csr(self, edge_index: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        target, source = edge_index[1], edge_index[0]
        size = (self.num_nodes, self.num_nodes)
        matrix = torch.sparse_coo_tensor(torch.stack([target, source]), weights, size, check_invariants=True).coalesce()  # sums repeats
        return matrix.to_sparse_csr()

    @cached_property
    def gcn(self) -> torch.Tensor:
        edges, weights = gcn_norm(self.edge_index, None, self.num_nodes, add_self_loops=True)
        return self._csr(edges, weights)

    @cached_property
    def sum(self) -> torch.Tensor:
        ones = torch.ones(self.edge_index.size(1), device=self.edge_index.device)
        return self._csr(self.edge_index, ones)

    @cached_property
    def mean(self) -> torch.Tensor:
        target = self.edge_index[1]
        ones = torch.ones(target.numel(), device=target.device)
        degree = torch.zeros(self.num_nodes, device=target.device).index_add_(0, target, ones)
        return self._csr(self.edge_index, 1.0 / degree[target])


#: id(edge_index) -> (its version, num_nodes, operators); an entry goes when its tensor does
_CACHE: dict[int, tuple[int, int, Operators]] = {}


def operators(edge_index: torch.Tensor, num_nodes: int) -> Operators:
    """The operators of the graph ``edge_index`` over ``num_nodes`` nodes, built once while
    that tensor lives and is not modified in place."""
    key = id(edge_index)
    found = _CACHE.get(key)
    if found is not None and found[0] == edge_index._version and found[1] == num_nodes:
        return found[2]
    if found is None:
        weakref.finalize(edge_index, _CACHE.pop, key, None)
    built = Operators(edge_index, num_nodes)
    _CACHE[key] = (edge_index._version, num_nodes, built)
    return built
