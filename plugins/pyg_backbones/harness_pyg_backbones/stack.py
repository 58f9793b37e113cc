"""One layer stack for every PyG backbone (:class:`harness.layer_stack.LayerStack`: dropout ->
layer -> (norm -> activation -> residual) per hidden layer, the output layer bare). Only the
layer type differs between backbones.

Every stack has ``hops`` (how many times features are propagated: the number of message-passing
layers, 0 for the MLP); stacks whose layers all have a form without propagation
(:mod:`.no_propagation`: GCN, GraphSAGE, GAT, MLP) also run ``forward_without_propagation``,
the same weights on each node alone, which Label Deconvolution uses as the encoder's head.

``x`` may be a CSR tensor (:mod:`harness.sparse_features`): input dropout then touches its
stored values, GCN, GraphSAGE (mean, sum), GIN and linear layers multiply it sparse, GAT's
linear map takes it as it is, and any other layer receives it dense."""

from __future__ import annotations

from typing import Callable

from torch import nn
from torch_geometric import nn as pyg

from harness import layer_stack, sparse_features
from harness_pyg_backbones import no_propagation
from harness_pyg_backbones.adjacency import operators
from harness_pyg_backbones.categorical import CategoricalInputs
from harness_pyg_backbones.sparse_propagation import sparse_forward

#: layers whose PyG forward takes CSR features as they are (their first operation is a linear map)
TAKES_SPARSE = (pyg.GATConv, nn.Linear)


class LayerStack(layer_stack.LayerStack):
    """``make_layer(in_width, out_width, is_last)`` builds each layer and returns
    ``(module, produced_width)``; ``propagates`` says whether layers take ``edge_index``."""

    def __init__(self, in_dim, out_dim, num_layers, hidden, dropout, activation, norm, residual,
                 make_layer: Callable, propagates: bool = True, uses_edge_attr: bool = False):
        super().__init__(in_dim, out_dim, num_layers, hidden, dropout, activation, norm, residual, make_layer)
        self.propagates = propagates
        self.uses_edge_attr = uses_edge_attr
        self.hops = num_layers if propagates else 0
        # GCN, GraphSAGE (mean, sum) and GIN layers aggregate by sparse products with the
        # graph's cached operators (:mod:`.sparse_propagation`); the others run PyG's forward
        self.sparse_forwards = [sparse_forward(layer) if propagates and not uses_edge_attr else None for layer in self.layers]

    def _layer_forward(self, index, h, edge_index, edge_attr, graph):
        layer = self.layers[index]
        if self.sparse_forwards[index] is not None:
            return self.sparse_forwards[index](layer, h, graph)
        if not isinstance(layer, TAKES_SPARSE):
            h = sparse_features.densify(h)
        if not self.propagates:
            return sparse_features.linear(h, layer.weight, layer.bias) if isinstance(layer, nn.Linear) else layer(h)
        if self.uses_edge_attr:
            return layer(h, edge_index, edge_attr=edge_attr)
        return layer(h, edge_index)

    def forward(self, x, edge_index=None, edge_attr=None):
        graph = operators(edge_index, x.size(0)) if any(self.sparse_forwards) else None
        return self.run_layers(x, lambda index, h: self._layer_forward(index, h, edge_index, edge_attr, graph))

    def local_forward(self, layer):
        return no_propagation.local_forward(layer)


def _common(num_layers, hidden, dropout, activation, norm, residual):
    return dict(num_layers=num_layers, hidden=hidden, dropout=dropout, activation=activation, norm=norm, residual=residual)


def gcn(in_dim, out_dim, task_type, categorical=None, **common):
    inputs = CategoricalInputs(categorical, in_dim, common["hidden"])
    return inputs.wrap(LayerStack(inputs.width, out_dim, **_common(**common),
                                  make_layer=lambda i, o, last: (pyg.GCNConv(i, o), o)))


def sage(in_dim, out_dim, task_type, aggregation="mean", categorical=None, **common):
    inputs = CategoricalInputs(categorical, in_dim, common["hidden"])
    return inputs.wrap(LayerStack(inputs.width, out_dim, **_common(**common),
                                  make_layer=lambda i, o, last: (pyg.SAGEConv(i, o, aggr=aggregation), o)))


def gat(in_dim, out_dim, task_type, heads=8, out_heads=1, attention_dropout=0.6, edge_dim=0, categorical=None, **common):
    def make(i, o, last):
        n_heads = out_heads if last else heads
        layer = pyg.GATConv(i, o, heads=n_heads, concat=not last, dropout=attention_dropout, edge_dim=edge_dim or None)
        return layer, o if last else o * n_heads

    inputs = CategoricalInputs(categorical, in_dim, common["hidden"], edge_dim)
    return inputs.wrap(LayerStack(inputs.width, out_dim, **_common(**common), make_layer=make, uses_edge_attr=edge_dim > 0))


def gin(in_dim, out_dim, task_type, train_eps=False, categorical=None, **common):
    hidden = common["hidden"]

    def make(i, o, last):
        mlp = nn.Sequential(nn.Linear(i, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, o))
        return pyg.GINConv(mlp, train_eps=train_eps), o

    inputs = CategoricalInputs(categorical, in_dim, hidden)
    return inputs.wrap(LayerStack(inputs.width, out_dim, **_common(**common), make_layer=make))


def linear_stack(in_dim, out_dim, **common) -> LayerStack:
    """The MLP: linear layers that never read the graph (a CSR input goes to the first one as it is)."""
    return LayerStack(in_dim, out_dim, **_common(**common), make_layer=lambda i, o, last: (nn.Linear(i, o), o), propagates=False)


def mlp(in_dim, out_dim, task_type, categorical=None, **common):
    inputs = CategoricalInputs(categorical, in_dim, common["hidden"])
    return inputs.wrap(linear_stack(inputs.width, out_dim, **common))
