"""GCN, GraphSAGE (mean and sum) and GIN layers run as sparse matrix products, with the layer's
own PyG parameters.

PyG's layers build one message per edge (``h[source]``, as wide as the layer's input) and
scatter them; on a bag-of-words graph such as Coauthor CS (6,805 features, 164k edges) that
message tensor alone is several GB, and GCN renormalises the graph in every layer of every
epoch. Here the aggregation is one product with the graph's cached operator
(:mod:`.adjacency`), and where the layer's first map is linear and the aggregation a sum or a
mean (which commute with it), a wide or sparse input is projected first: ``A (h W)`` instead of
``(A h) W``, so nothing as wide as the input is ever built.

- GCN (``GCNConv``): ``Â (h Θ) + b``, as PyG computes it;
- GraphSAGE (``SAGEConv``, mean or sum): ``W_l (A h) + b_l + W_r h`` (``A`` row-normalised for
  the mean), projected first as ``A (h W_l) + b_l + W_r h``; the max aggregation does not commute
  with the map and keeps PyG's own forward (:data:`LAYER_FORWARD` has no entry for it);
- GIN (``GINConv`` over an MLP whose first module is ``nn.Linear``):
  ``mlp((1 + eps) h + A h)``, projected first as ``rest((1 + eps) h W + A (h W) + b)``.

``h`` may be a CSR tensor (:mod:`harness.sparse_features`): it is only ever multiplied by a
dense weight, never aggregated as it is.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch_geometric import nn as pyg

from harness.sparse_features import is_sparse, linear
from harness_pyg_backbones.adjacency import Operators


def project_first(h: torch.Tensor, out_width: int) -> bool:
    """Map before aggregating when ``h`` is sparse or wider than what the map produces."""
    return is_sparse(h) or h.size(-1) > out_width


def gcn_layer(layer: pyg.GCNConv, h: torch.Tensor, graph: Operators) -> torch.Tensor:
    out = graph.apply("gcn", linear(h, layer.lin.weight, layer.lin.bias))
    return out if layer.bias is None else out + layer.bias


def _sage_supported(layer: pyg.SAGEConv) -> bool:
    return str(layer.aggr) in ("mean", "sum") and not layer.project


def sage_layer(layer: pyg.SAGEConv, h: torch.Tensor, graph: Operators) -> torch.Tensor:
    operator = "mean" if str(layer.aggr) == "mean" else "sum"
    if project_first(h, layer.out_channels):
        out = graph.apply(operator, linear(h, layer.lin_l.weight))
        if layer.lin_l.bias is not None:
            out = out + layer.lin_l.bias
    else:
        out = layer.lin_l(graph.apply(operator, h))
    if layer.root_weight:
        out = out + linear(h, layer.lin_r.weight, layer.lin_r.bias)
    return F.normalize(out, p=2.0, dim=-1) if layer.normalize else out


def _gin_supported(layer: pyg.GINConv) -> bool:
    return isinstance(layer.nn, nn.Sequential) and isinstance(layer.nn[0], nn.Linear)


def gin_layer(layer: pyg.GINConv, h: torch.Tensor, graph: Operators) -> torch.Tensor:
    first, rest = layer.nn[0], layer.nn[1:]
    if project_first(h, first.out_features):
        mapped = linear(h, first.weight)
        combined = (1 + layer.eps) * mapped + graph.apply("sum", mapped)
        return rest(combined if first.bias is None else combined + first.bias)
    return layer.nn((1 + layer.eps) * h + graph.apply("sum", h))


#: layer class -> (whether a given layer qualifies, its forward as sparse products)
LAYER_FORWARD = {
    pyg.GCNConv: (lambda layer: layer.normalize and layer.add_self_loops and not layer.improved, gcn_layer),
    pyg.SAGEConv: (_sage_supported, sage_layer),
    pyg.GINConv: (_gin_supported, gin_layer),
}


def sparse_forward(layer: nn.Module):
    """The sparse-product forward of ``layer``, or None where PyG's own forward must run."""
    qualifies, forward = LAYER_FORWARD.get(type(layer), (None, None))
    return forward if qualifies is not None and qualifies(layer) else None
