"""The DGL backbones' layer stack: :class:`harness.layer_stack.LayerStack` (dropout -> layer ->
(norm -> activation -> residual) per hidden layer, the output layer bare), as the PyG stacks
run. ``forward(x, edge_index, edge_attr)`` builds the DGL graph from PyG's ``edge_index``
(messages flow from ``edge_index[0]`` to ``edge_index[1]``) once per graph and adds self-loops
where PyG's layer would.

Every stack has ``hops`` (its number of layers); GCN, GraphSAGE and GAT stacks also run
``forward_without_propagation`` (:mod:`.no_propagation`)."""

from __future__ import annotations

from typing import Callable

import torch
from dgl import nn as dglnn
from torch import nn

from harness import layer_stack
from harness_dgl import no_propagation
from harness_dgl.edge_gat import EdgeGATConv
from harness_dgl.graphs import dgl_graph


class DGLStack(layer_stack.LayerStack):
    """``make_layer(in_width, out_width, is_last)`` builds each layer and returns ``(module,
    produced_width)``; ``self_loops``: the layers read the graph with a self-loop per node."""

    def __init__(self, in_dim, out_dim, num_layers, hidden, dropout, activation, norm, residual,
                 make_layer: Callable, self_loops: bool, uses_edge_attr: bool = False):
        super().__init__(in_dim, out_dim, num_layers, hidden, dropout, activation, norm, residual, make_layer)
        self.self_loops = self_loops
        self.uses_edge_attr = uses_edge_attr
        self.hops = num_layers

    def forward(self, x, edge_index=None, edge_attr=None):
        graph, edge_feats = dgl_graph(edge_index, x.size(0), self.self_loops, edge_attr if self.uses_edge_attr else None)
        graph = graph.to(x.device)

        def apply(index, h):
            layer = self.layers[index]
            out = layer(graph, h, edge_feats) if self.uses_edge_attr else layer(graph, h)
            return _merge_heads(layer, out)

        return self.run_layers(x, apply)

    def local_forward(self, layer):
        return no_propagation.local_forward(layer)

    def local_output(self, layer, out):
        return _merge_heads(layer, out)


def _merge_heads(layer, out: torch.Tensor) -> torch.Tensor:
    """GAT layers give ``(nodes, heads, width)``: hidden layers concatenate the heads, the output
    layer averages them (``layer.concat``, set where the stack builds it)."""
    if out.dim() == 3:
        return out.flatten(1) if layer.concat else out.mean(dim=1)
    return out


def _common(num_layers, hidden, dropout, activation, norm, residual):
    return dict(num_layers=num_layers, hidden=hidden, dropout=dropout, activation=activation, norm=norm, residual=residual)


def gcn(in_dim, out_dim, task_type, **common):
    return DGLStack(in_dim, out_dim, **_common(**common), self_loops=True,
                    make_layer=lambda i, o, last: (dglnn.GraphConv(i, o, norm="both", allow_zero_in_degree=True), o))


def sage(in_dim, out_dim, task_type, aggregation="mean", **common):
    return DGLStack(in_dim, out_dim, **_common(**common), self_loops=False,
                    make_layer=lambda i, o, last: (dglnn.SAGEConv(i, o, aggregator_type=aggregation), o))


def gat(in_dim, out_dim, task_type, heads=8, out_heads=1, attention_dropout=0.6, edge_dim=0, **common):
    def make(i, o, last):
        n_heads = out_heads if last else heads
        if edge_dim:
            layer = EdgeGATConv(i, o, n_heads, edge_dim, attention_dropout)
        else:
            layer = dglnn.GATConv(i, o, n_heads, attn_drop=attention_dropout, negative_slope=0.2, allow_zero_in_degree=True)
        layer.concat = not last
        return layer, o if last else o * n_heads

    return DGLStack(in_dim, out_dim, **_common(**common), make_layer=make, self_loops=True, uses_edge_attr=edge_dim > 0)


def gin(in_dim, out_dim, task_type, train_eps=False, **common):
    hidden = common["hidden"]

    def make(i, o, last):
        mlp = nn.Sequential(nn.Linear(i, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, o))
        return dglnn.GINConv(mlp, aggregator_type="sum", learn_eps=train_eps), o

    return DGLStack(in_dim, out_dim, **_common(**common), make_layer=make, self_loops=False)

