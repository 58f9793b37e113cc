"""``gin-mol``: Hu et al.'s GIN with edge features (ICLR 2020; snap-stanford/pretrain-gnns),
for integer molecule features of either featurisation.

- Input: each integer feature column is embedded and the embeddings summed. With Hu et al.'s
  features (``x`` has 2 columns) the tables are atom type (120 rows: 118 elements, the dummy
  atom, the mask token 119) and chirality (4 rows: the reference has 3, which cannot take the
  "other" tag); with OGB's (9 columns) OGB's ``AtomEncoder``.
- Each layer: add a self-loop to every atom; edge embeddings of the layer's own (Hu: bond type
  with 4 = self-loop and 5 = mask, plus bond direction; OGB: OGB's ``BondEncoder`` for bonds
  and a learned self-loop vector, which plays the role of Hu's extra bond type 4); message
  ``h_j + e_ij``; sum over incoming messages; MLP ``d -> 2d -> ReLU -> d``; BatchNorm; ReLU
  except after the last layer; dropout after every layer.
- Jumping knowledge over the input embedding and every layer's output, as the reference does:
  ``last`` (the default), ``sum`` or ``concat``; then a linear projection to ``out_dim`` when
  that width differs from it.

The featurisation is the vocabulary of the task's categorical declaration (``categorical``, which
the harness passes: this backbone has the ``categorical-features`` capability); without one it
is read from ``in_dim`` (the number of feature columns): 2 means Hu et al.'s, 9 OGB's; any other
width or vocabulary is refused.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from harness.features import CategoricalFeatures
from harness_moleculenet import featurize
from harness_moleculenet.vocabularies import BY_FEATURIZATION

JK_MODES = ("last", "sum", "concat")


def featurization_for(in_dim: int, categorical: CategoricalFeatures | None = None) -> str:
    """'hu' or 'ogb': the vocabulary of ``categorical``, or without it the one ``in_dim`` columns
    mean."""
    if categorical is not None:
        if categorical != BY_FEATURIZATION.get(categorical.vocabulary):
            raise ValueError(
                f"gin-mol embeds the molecule featurisations {', '.join(BY_FEATURIZATION)}; these inputs are"
                f" {categorical.vocabulary or 'unnamed'} categorical features {categorical.to_dict()}"
            )
        return categorical.vocabulary
    for name, width in featurize.NUM_ATOM_FEATURES.items():
        if in_dim == width:
            return name
    raise ValueError(
        f"gin-mol takes integer molecule features: {featurize.NUM_ATOM_FEATURES['hu']} columns (featurization 'hu') "
        f"or {featurize.NUM_ATOM_FEATURES['ogb']} (featurization 'ogb'); got in_dim={in_dim}"
    )


def _embedding(rows: int, width: int) -> nn.Embedding:
    table = nn.Embedding(rows, width)
    nn.init.xavier_uniform_(table.weight)
    return table


class AtomEmbedding(nn.Module):
    def __init__(self, featurization: str, width: int):
        super().__init__()
        self.featurization = featurization
        if featurization == "hu":
            self.atom_type = _embedding(featurize.HU_NUM_ATOM_TYPES, width)
            self.chirality = _embedding(featurize.HU_NUM_CHIRALITY_TAGS, width)
        else:
            from ogb.graphproppred.mol_encoder import AtomEncoder

            self.encoder = AtomEncoder(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.featurization == "hu":
            return self.atom_type(x[:, 0]) + self.chirality(x[:, 1])
        return self.encoder(x)


class EdgeEmbedding(nn.Module):
    """One layer's embedding of the bonds followed by one self-loop per atom."""

    def __init__(self, featurization: str, width: int):
        super().__init__()
        self.featurization = featurization
        if featurization == "hu":
            self.bond_type = _embedding(featurize.HU_NUM_BOND_TYPES, width)
            self.bond_direction = _embedding(featurize.HU_NUM_BOND_DIRECTIONS, width)
        else:
            from ogb.graphproppred.mol_encoder import BondEncoder

            self.encoder = BondEncoder(width)
            self.self_loop = nn.Parameter(torch.empty(1, width))
            nn.init.xavier_uniform_(self.self_loop)

    def forward(self, edge_attr: torch.Tensor, num_nodes: int) -> torch.Tensor:
        if self.featurization == "hu":
            loops = edge_attr.new_zeros((num_nodes, 2))
            loops[:, 0] = featurize.HU_SELF_LOOP_BOND
            attr = torch.cat([edge_attr, loops])
            return self.bond_type(attr[:, 0]) + self.bond_direction(attr[:, 1])
        bonds = self.encoder(edge_attr)
        return torch.cat([bonds, self.self_loop.expand(num_nodes, -1)])


class GINMolConv(nn.Module):
    """``MLP(sum_{j in N(i) + i} h_j + e_ij)``."""

    def __init__(self, featurization: str, width: int):
        super().__init__()
        self.edges = EdgeEmbedding(featurization, width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.ReLU(), nn.Linear(2 * width, width))

    def forward(self, h: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        n = h.size(0)
        loops = torch.arange(n, device=h.device)
        source = torch.cat([edge_index[0], loops])
        target = torch.cat([edge_index[1], loops])
        messages = h[source] + self.edges(edge_attr, n)
        aggregated = torch.zeros_like(h).index_add_(0, target, messages)
        return self.mlp(aggregated)


class GINMol(nn.Module):
    def __init__(self, in_dim: int, out_dim: int, num_layers: int = 5, hidden: int = 300, dropout: float = 0.5, jk: str = "last",
                 categorical: CategoricalFeatures | None = None):
        super().__init__()
        if jk not in JK_MODES:
            raise ValueError(f"unknown jk {jk!r}; valid: {', '.join(JK_MODES)}")
        if num_layers < 1:
            raise ValueError("gin-mol needs at least one layer")
        self.featurization = featurization_for(in_dim, categorical)
        self.dropout, self.jk = dropout, jk
        self.atoms = AtomEmbedding(self.featurization, hidden)
        self.convs = nn.ModuleList(GINMolConv(self.featurization, hidden) for _ in range(num_layers))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden) for _ in range(num_layers))
        width = hidden * (num_layers + 1) if jk == "concat" else hidden
        self.projection = nn.Linear(width, out_dim) if width != out_dim else nn.Identity()

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor | None = None) -> torch.Tensor:
        if edge_attr is None:
            raise ValueError("gin-mol needs the bond features edge_attr (the molecule datasets provide them)")
        if x.is_floating_point() or edge_attr.is_floating_point():
            raise TypeError(f"gin-mol takes integer atom and bond features, got x {x.dtype} and edge_attr {edge_attr.dtype}")
        h = self.atoms(x)
        states = [h]
        last = len(self.convs) - 1
        for index, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            h = norm(conv(h, edge_index, edge_attr))
            if index < last:
                h = F.relu(h)
            h = F.dropout(h, p=self.dropout, training=self.training)
            states.append(h)
        if self.jk == "last":
            out = states[-1]
        elif self.jk == "sum":
            out = torch.stack(states).sum(dim=0)
        else:
            out = torch.cat(states, dim=1)
        return self.projection(out)


def gin_mol(in_dim: int, out_dim: int, task_type: str, num_layers: int = 5, hidden: int = 300, dropout: float = 0.5, jk: str = "last",
            categorical: CategoricalFeatures | None = None) -> GINMol:
    return GINMol(in_dim, out_dim, num_layers=num_layers, hidden=hidden, dropout=dropout, jk=jk, categorical=categorical)
