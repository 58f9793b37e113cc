"""A two-layer GCN for the objectives' tests on citation-like graphs (float features, no edge
attributes): it takes the ``edge_attr`` argument every pre-training gnn receives and ignores it."""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import GCNConv


class CitationGCN(nn.Module):
    def __init__(self, in_dim: int, width: int):
        super().__init__()
        self.first, self.second = GCNConv(in_dim, width), GCNConv(width, width)

    def forward(self, x, edge_index, edge_attr):
        return self.second(torch.relu(self.first(x, edge_index)), edge_index)
