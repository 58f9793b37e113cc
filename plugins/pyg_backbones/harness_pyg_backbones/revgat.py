"""``revgat``: a GAT whose hidden layers are grouped reversible blocks (Li, Müller, Ghanem and
Koltun, "Training Graph Neural Networks with 1000 Layers", ICML 2021; official code
github.com/lightaime/deep_gcns_torch, examples/ogb_eff). It is the backbone of the top
ogbn-arxiv entries of LD, GLEM and GIANT.

A first GAT layer maps the input to ``hidden`` x ``heads`` channels; each of the
``num_layers - 2`` hidden layers is PyG's :class:`~torch_geometric.nn.GroupAddRev`: the channels
are split into ``groups`` groups and each group's block (norm -> activation -> dropout -> GAT
layer) adds its output to the next group's input, so the block's input can be recomputed from its
output and is not kept for the backward pass (memory independent of depth). A last norm ->
activation -> dropout -> single-head GAT layer gives the outputs. As in the official code, one
dropout mask per forward pass is shared by every reversible block; it is an argument of the
blocks so that the recomputation in the backward pass uses the same mask.

``hops`` is ``num_layers``, the count LD's official RevGAT setting uses (N = 3 for 3 layers;
within a block the groups run one after another, so a node's receptive field is wider). The
forward without propagation (Label Deconvolution's encoder head) runs every GAT layer on each
node alone (:func:`~.no_propagation.gat_layer`), inside the same couplings (run without the
input recomputation: that form is a head on small batches, where memory is not the concern).

What differs from the official code: PyG's ``GATConv`` (no symmetric-normalised attention, no
attention over destination features switch, no edge dropout); the official ogbn-arxiv recipe's
label reuse and input-label tricks are method-side and not part of this backbone.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric import nn as pyg

from harness.layer_stack import ACTIVATIONS, NORMS
from harness_pyg_backbones.categorical import CategoricalInputs
from harness_pyg_backbones.no_propagation import gat_layer


class RevGATBlock(nn.Module):
    """One group's function in a reversible layer: norm -> activation -> dropout -> GAT layer.
    ``edge_index`` None runs the GAT layer without propagation."""

    def __init__(self, width, heads, attention_dropout, edge_dim, norm, activation):
        super().__init__()
        self.norm = NORMS[norm](width)
        self.activation = ACTIVATIONS[activation]()
        self.conv = pyg.GATConv(width, width // heads, heads=heads, dropout=attention_dropout, edge_dim=edge_dim or None)

    def forward(self, h, edge_index, dropout_mask, edge_attr):
        h = self.activation(self.norm(h))
        if dropout_mask is not None:
            h = h * dropout_mask
        return _gat(self.conv, h, edge_index, edge_attr)

    def reset_parameters(self):
        for module in (self.norm, self.conv):
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()


def _gat(layer: pyg.GATConv, h, edge_index, edge_attr):
    if edge_index is None:
        return gat_layer(layer, h)
    return layer(h, edge_index, edge_attr=edge_attr)


def _reversible(block: pyg.GroupAddRev, reversible: bool):
    """``block`` as a callable that keeps its input when not ``reversible`` (and otherwise as it
    is configured). Without propagation the attention weights are unused, and the recomputing
    backward pass differentiates every weight, so that form runs as plain residual couplings."""

    def call(*args):
        previous = block.disable
        block.disable = previous or not reversible
        try:
            return block(*args)
        finally:
            block.disable = previous

    return call


class RevGAT(nn.Module):
    def __init__(self, in_dim, out_dim, num_layers, hidden, heads, groups, dropout, attention_dropout, edge_dim, activation, norm):
        super().__init__()
        if num_layers < 2:
            raise ValueError(f"revgat needs num_layers >= 2 (a first and a last GAT layer), got {num_layers}")
        if hidden % groups:
            raise ValueError(f"revgat splits hidden = {hidden} channels per head into groups = {groups}: hidden must be a multiple of groups")
        width = hidden * heads
        if edge_dim and edge_dim == width:
            raise ValueError(f"edge_dim = {edge_dim} equals hidden x heads: GroupAddRev would split the edge features into groups")
        self.dropout, self.hops, self.uses_edge_attr = dropout, num_layers, edge_dim > 0
        self.first = pyg.GATConv(in_dim, hidden, heads=heads, dropout=attention_dropout, edge_dim=edge_dim or None)
        self.blocks = nn.ModuleList(
            pyg.GroupAddRev(RevGATBlock(width // groups, heads, attention_dropout, edge_dim, norm, activation), num_groups=groups)
            for _ in range(num_layers - 2)
        )
        self.norm = NORMS[norm](width)
        self.activation = ACTIVATIONS[activation]()
        self.last = pyg.GATConv(width, out_dim, heads=1, concat=False, dropout=attention_dropout, edge_dim=edge_dim or None)
        self.has_forward_without_propagation = True

    def forward(self, x, edge_index=None, edge_attr=None):
        return self._run(x, edge_index, edge_attr if self.uses_edge_attr else None)

    def forward_without_propagation(self, x):
        return self._run(x, None, None)

    def _run(self, x, edge_index, edge_attr):
        h = _gat(self.first, nn.functional.dropout(x, self.dropout, self.training), edge_index, edge_attr)
        mask = None
        if self.training and self.dropout > 0 and len(self.blocks):
            mask = torch.empty_like(h).bernoulli_(1 - self.dropout) / (1 - self.dropout)
        for block in self.blocks:
            h = _reversible(block, edge_index is not None)(h, edge_index, mask, edge_attr)
        h = nn.functional.dropout(self.activation(self.norm(h)), self.dropout, self.training)
        return _gat(self.last, h, edge_index, edge_attr)

    def reset_parameters(self):
        for module in (self.first, *self.blocks, self.norm, self.last):
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()


def revgat(in_dim, out_dim, task_type, num_layers=3, hidden=256, heads=3, groups=2, dropout=0.5, attention_dropout=0.0, edge_dim=0,
           activation="relu", norm="batch", categorical=None):
    inputs = CategoricalInputs(categorical, in_dim, hidden, edge_dim)
    return inputs.wrap(RevGAT(inputs.width, out_dim, num_layers, hidden, heads, groups, dropout, attention_dropout, edge_dim, activation, norm))
