"""Embeddings of integer-coded (categorical) features for backbones: one learned vector per value
of every column, summed over the columns, as OGB's examples do for molecules.

:func:`node_embedding` and :func:`edge_embedding` build the embedding for a dataset's
declaration (:class:`harness.features.CategoricalFeatures`): OGB's own ``AtomEncoder`` and
``BondEncoder`` for OGB's molecule features (vocabulary ``"ogb"``), a
:class:`CategoricalEmbedding` with the declared vocabulary sizes otherwise. A backbone that
declares the ``categorical-features`` capability uses them in front of its first layer.
"""

from __future__ import annotations

import torch
from torch import nn

from harness.features import OGB_MOLECULE, CategoricalFeatures


class CategoricalEmbedding(nn.Module):
    """``sum_i E_i[x[:, i]]``: one ``nn.Embedding(sizes[i], width)`` per column, initialised as
    OGB's encoders are (Xavier uniform)."""

    def __init__(self, sizes: tuple[int, ...], width: int):
        super().__init__()
        if not sizes:
            raise ValueError("a categorical embedding needs at least one column")
        self.sizes = tuple(sizes)
        self.tables = nn.ModuleList(nn.Embedding(size, width) for size in self.sizes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for table in self.tables:
            nn.init.xavier_uniform_(table.weight)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        if codes.is_floating_point() or codes.dim() != 2 or codes.size(1) != len(self.tables):
            raise TypeError(f"expected integer codes of shape (n, {len(self.tables)}), got {codes.dtype} {tuple(codes.shape)}")
        return sum(table(codes[:, column]) for column, table in enumerate(self.tables))


def _is_ogb(sizes: tuple[int, ...], ogb_sizes: tuple[int, ...], vocabulary: str) -> bool:
    if vocabulary != OGB_MOLECULE.vocabulary:
        return False
    if sizes != ogb_sizes:
        raise ValueError(f"vocabulary 'ogb' declares columns of sizes {sizes}; OGB's molecule features have {ogb_sizes}")
    return True


def node_embedding(features: CategoricalFeatures, width: int) -> nn.Module:
    """The embedding of the declared node columns into ``width`` channels."""
    if _is_ogb(features.node, OGB_MOLECULE.node, features.vocabulary):
        from ogb.graphproppred.mol_encoder import AtomEncoder

        return AtomEncoder(width)
    return CategoricalEmbedding(features.node, width)


def edge_embedding(features: CategoricalFeatures, width: int) -> nn.Module:
    """The embedding of the declared edge columns into ``width`` channels."""
    if _is_ogb(features.edge, OGB_MOLECULE.edge, features.vocabulary):
        from ogb.graphproppred.mol_encoder import BondEncoder

        return BondEncoder(width)
    return CategoricalEmbedding(features.edge, width)
