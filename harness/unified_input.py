"""AnyGraph's dataset-independent node input (Xia and Huang, "AnyGraph: Graph Foundation Model
in the Wild", 2024; github.com/HKUDS/AnyGraph), shared by the ``svd`` encoder and the AnyGraph
methods so that both compute the same thing.

- :func:`normalized_adjacency`: the symmetrised binary adjacency, ``D^-1/2 A D^-1/2`` (no
  self-loops, AnyGraph's default), isolated nodes as zero rows.
- :func:`svd_projection`: a randomised low-rank SVD (``torch.svd_lowrank``) of that adjacency,
  ``U sqrt(S) + V sqrt(S)``, zero-padded to ``dim`` columns; plus, when the features are
  informative, the SVD of the feature matrix ``U sqrt(S)``, zero-padded to ``dim`` and with its
  columns reversed (as the official code does), so that the leading components of the two parts
  fall on opposite ends of the vector instead of being summed onto the same columns. The random
  start of the SVD is drawn from ``seed``: a new seed gives a new projection, which is how
  AnyGraph's periodic re-projection (augmentation) is expressed here.
- :func:`propagate`: parameter-free smoothing, a LayerNorm without affine parameters and then
  ``sum over l = 1..hops of Â^l E`` (the input itself is not part of the sum, as in the
  official ``TopoEncoder``).

Import this module only where a cell runs: it imports torch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def normalized_adjacency(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """``D^-1/2 A D^-1/2`` of the symmetrised binary adjacency, a coalesced sparse COO matrix
    (repeated edges count once, isolated nodes get zero rows)."""
    edges = torch.cat([edge_index, edge_index.flip(0)], dim=1)
    adjacency = torch.sparse_coo_tensor(edges, torch.ones(edges.size(1)), (num_nodes, num_nodes), check_invariants=False).coalesce()
    index = adjacency.indices()
    ones = torch.ones(index.size(1))
    degree = torch.zeros(num_nodes).index_add_(0, index[0], ones)
    scale = degree.pow(-0.5)
    scale[degree == 0] = 0.0
    return torch.sparse_coo_tensor(index, scale[index[0]] * scale[index[1]], (num_nodes, num_nodes), check_invariants=False).coalesce()


def informative(x: torch.Tensor | None) -> bool:
    """Whether node features carry anything: present, not empty, not the same row everywhere
    (featureless datasets get a constant column)."""
    if x is None or x.dim() != 2 or x.numel() == 0:
        return False
    return bool((x != x[:1]).any())


def pad_columns(part: torch.Tensor, dim: int) -> torch.Tensor:
    """``part`` cut or zero-padded on the right to ``dim`` columns."""
    if part.size(1) >= dim:
        return part[:, :dim]
    return torch.cat([part, part.new_zeros(part.size(0), dim - part.size(1))], dim=1)


def low_rank(matrix: torch.Tensor, rank: int, niter: int, seed: int):
    """``torch.svd_lowrank`` with its random start drawn from ``seed`` (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return torch.svd_lowrank(matrix, q=rank, niter=niter)


def svd_projection(edge_index: torch.Tensor, num_nodes: int, x: torch.Tensor | None, dim: int, niter: int = 2, seed: int = 0,
                   use_features: bool = True) -> torch.Tensor:
    """The ``(num_nodes, dim)`` unified input of the module docstring; ``use_features=False``
    leaves the feature part out (AnyGraph's "without features" ablation)."""
    out = torch.zeros(num_nodes, dim)
    if edge_index.numel():
        u, s, v = low_rank(normalized_adjacency(edge_index, num_nodes), min(dim, num_nodes), niter, seed)
        root = s.clamp(min=0).sqrt()
        out += pad_columns(u * root + v * root, dim)
    if use_features and informative(x):
        x = x.float().reshape(x.size(0), -1)
        u, s, _ = low_rank(x, min(dim, *x.shape), niter, seed)
        out += pad_columns(u * s.clamp(min=0).sqrt(), dim).flip(-1)
    return out


def propagate(embeddings: torch.Tensor, adjacency: torch.Tensor, hops: int = 3) -> torch.Tensor:
    """LayerNorm without affine parameters, then ``sum over l = 1..hops of Â^l E`` (``hops=0``
    returns the normalised input)."""
    with torch.no_grad():
        current = F.layer_norm(embeddings, embeddings.shape[-1:])
        if hops == 0:
            return current
        total = torch.zeros_like(current)
        for _ in range(hops):
            current = torch.sparse.mm(adjacency, current)
            total += current
        return total
