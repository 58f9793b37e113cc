"""A GAT layer whose attention also reads edge features, written with DGL's message passing and
edge softmax: ``dgl.nn.GATConv`` has no edge features, and the ogbn-proteins GAT models (the
official code of LD and GLEM on that dataset) put them into the attention scores.

The score of the edge ``j -> i`` per head is ``LeakyReLU(a_src . W x_j + a_dst . W x_i +
a_edge . W_e e_ij)``, a softmax over the edges into ``i``, and the output ``sum_j alpha_ij W x_j``
plus a bias: PyG's ``GATConv(edge_dim=...)``, so the same weights give the same outputs."""

from __future__ import annotations

import torch
from dgl import function as fn
from dgl.nn.functional import edge_softmax
from torch import nn


class EdgeGATConv(nn.Module):
    """``forward(graph, feat, edge_feat)`` gives ``(nodes, heads, out_dim)``."""

    def __init__(self, in_dim: int, out_dim: int, heads: int, edge_dim: int, attention_dropout: float, negative_slope: float = 0.2):
        super().__init__()
        self.heads, self.out_dim = heads, out_dim
        self.fc = nn.Linear(in_dim, heads * out_dim, bias=False)
        self.fc_edge = nn.Linear(edge_dim, heads * out_dim, bias=False)
        self.attn_l = nn.Parameter(torch.empty(1, heads, out_dim))
        self.attn_r = nn.Parameter(torch.empty(1, heads, out_dim))
        self.attn_e = nn.Parameter(torch.empty(1, heads, out_dim))
        self.bias = nn.Parameter(torch.empty(heads * out_dim))
        self.attn_drop = nn.Dropout(attention_dropout)
        self.negative_slope = negative_slope
        self.reset_parameters()

    def reset_parameters(self):
        gain = nn.init.calculate_gain("relu")
        for weight in (self.fc.weight, self.fc_edge.weight, self.attn_l, self.attn_r, self.attn_e):
            nn.init.xavier_normal_(weight, gain=gain)
        nn.init.zeros_(self.bias)

    def forward(self, graph, feat: torch.Tensor, edge_feat: torch.Tensor) -> torch.Tensor:
        shape = (-1, self.heads, self.out_dim)
        with graph.local_scope():
            h = self.fc(feat).view(shape)
            e = self.fc_edge(edge_feat.view(edge_feat.size(0), -1)).view(shape)
            graph.srcdata.update(ft=h, el=(h * self.attn_l).sum(-1, keepdim=True))
            graph.dstdata.update(er=(h * self.attn_r).sum(-1, keepdim=True))
            graph.apply_edges(fn.u_add_v("el", "er", "e"))
            logits = nn.functional.leaky_relu(graph.edata.pop("e") + (e * self.attn_e).sum(-1, keepdim=True), self.negative_slope)
            graph.edata["a"] = self.attn_drop(edge_softmax(graph, logits))
            graph.update_all(fn.u_mul_e("ft", "a", "m"), fn.sum("m", "ft"))
            return graph.dstdata["ft"] + self.bias.view(1, self.heads, self.out_dim)
