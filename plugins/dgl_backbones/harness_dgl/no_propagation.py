"""Each DGL layer's forward with message passing removed: the layer's own weights applied as if
every node were its only neighbour (see the PyG backbones' module of the same name for why Label
Deconvolution needs it). GCN leaves ``X W + b``; GraphSAGE its self and neighbour maps both on
``x`` (``gcn`` aggregation: the neighbour map alone); GAT, whose attention over one neighbour is
1, ``W x`` per head plus the bias. GIN has none."""

from __future__ import annotations

import torch
from dgl import nn as dglnn

from harness_dgl.edge_gat import EdgeGATConv


def _graph_conv(layer: dglnn.GraphConv, h: torch.Tensor) -> torch.Tensor:
    out = h @ layer.weight
    return out if layer.bias is None else out + layer.bias


def _sage_conv(layer: dglnn.SAGEConv, h: torch.Tensor) -> torch.Tensor:
    kind = layer._aggre_type
    if kind == "pool":
        neighbour = layer.fc_pool(h).relu()
    elif kind in ("mean", "gcn"):
        neighbour = h
    else:
        raise TypeError(f"SAGEConv with {kind} aggregation has no forward without propagation here")
    out = layer.fc_neigh(neighbour)
    if kind != "gcn":
        return out + layer.fc_self(h)  # the self map holds the bias
    return out if layer.bias is None else out + layer.bias


def _gat_conv(layer, h: torch.Tensor) -> torch.Tensor:
    if isinstance(layer, EdgeGATConv):
        heads, width = layer.heads, layer.out_dim
    else:
        heads, width = layer._num_heads, layer._out_feats
    out = layer.fc(h).view(-1, heads, width)
    bias = getattr(layer, "bias", None)
    return out if bias is None else out + bias.view(1, heads, width)


LOCAL_FORWARD = {dglnn.GraphConv: _graph_conv, dglnn.SAGEConv: _sage_conv, dglnn.GATConv: _gat_conv, EdgeGATConv: _gat_conv}


def local_forward(layer):
    """The forward without propagation of ``layer``, or None for layer types that have none."""
    return LOCAL_FORWARD.get(type(layer))
