"""Each layer type's forward with message passing removed: the layer's own weights applied as if
every node were its only neighbour (the propagation operator replaced by the identity).

Label Deconvolution (Shi et al., TPAMI 2024; github.com/MIRALab-USTC/LD) trains the node encoder
with the GNN as its head in this form, so that the encoder learns features the current GNN maps
to the (inverse) labels without touching any neighbour. For GCN (``D^-1/2 (A+I) D^-1/2 X W + b``)
that leaves ``X W + b``; for GraphSAGE (``W_r x_i + W_l mean_j x_j``) ``W_r x + W_l x``; for GAT,
whose attention over a single neighbour is 1 whatever the scores (edge features included),
``W x`` per head, concatenated or averaged, plus the bias.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch_geometric import nn as pyg


def _with_bias(out: torch.Tensor, bias) -> torch.Tensor:
    return out if bias is None else out + bias


def gcn_layer(layer: pyg.GCNConv, h: torch.Tensor) -> torch.Tensor:
    return _with_bias(layer.lin(h), layer.bias)


def sage_layer(layer: pyg.SAGEConv, h: torch.Tensor) -> torch.Tensor:
    if layer.project:
        h = layer.lin(h).relu()
    out = layer.lin_l(h)  # the aggregate of a node that is its own only neighbour is itself
    if layer.root_weight:
        out = out + layer.lin_r(h)
    return F.normalize(out, p=2.0, dim=-1) if layer.normalize else out


def gat_layer(layer: pyg.GATConv, h: torch.Tensor) -> torch.Tensor:
    heads, width = layer.heads, layer.out_channels
    out = layer.lin(h).view(-1, heads, width)  # attention weight 1: each node attends to itself only
    out = out.reshape(-1, heads * width) if layer.concat else out.mean(dim=1)
    if getattr(layer, "res", None) is not None:
        out = out + layer.res(h)
    return _with_bias(out, layer.bias)


def linear_layer(layer: nn.Linear, h: torch.Tensor) -> torch.Tensor:
    return layer(h)


#: layer class -> its forward without propagation
LOCAL_FORWARD = {pyg.GCNConv: gcn_layer, pyg.SAGEConv: sage_layer, pyg.GATConv: gat_layer, nn.Linear: linear_layer}


def local_forward(layer: nn.Module):
    """The forward without propagation of ``layer``, or None for layer types that have none."""
    return LOCAL_FORWARD.get(type(layer))
