"""``sign``: a decoupled propagate-then-transform backbone in the SIGN / GAMLP family (Frasca,
Rossi, Eynard, Chamberlain, Bronstein and Monti, "SIGN: Scalable Inception Graph Neural
Networks", 2020; github.com/twitter-research/sign).

Features are propagated ``hops`` times by a fixed operator without parameters (mean
aggregation over in-neighbours and self, or GCN's symmetric normalisation), each of the
``hops + 1`` versions ``[X, PX, ..., P^K X]`` gets its own linear map (the "inception" layer),
and the concatenation goes through an MLP. Because the only graph operation is the parameter-free
propagation, the forward without propagation (Label Deconvolution's encoder head) is the same
network with every hop fed X itself. As in SIGN's code the propagated features are computed
once: the backbone keeps them while it is handed the same feature and edge tensors, unmodified
and without gradient (full-batch training), and recomputes them for anything else (a sampled
mini-batch, a trainable encoder's output). GAMLP's hop attention is not implemented.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.utils import add_remaining_self_loops, coalesce

from harness_pyg_backbones.categorical import CategoricalInputs
from harness_pyg_backbones.same_inputs import LastInputs
from harness_pyg_backbones.stack import LayerStack

OPERATORS = ("mean", "sym")


def propagation_weights(edge_index: torch.Tensor, num_nodes: int, operator: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Edges (with one self-loop per node, repeats merged) and their weights in P."""
    edges, _ = add_remaining_self_loops(edge_index, num_nodes=num_nodes)
    edges = coalesce(edges, num_nodes=num_nodes)
    source, target = edges
    degree = torch.bincount(target, minlength=num_nodes).to(torch.float32)
    if operator == "mean":
        return edges, 1.0 / degree[target]
    inverse_root = degree.pow(-0.5)
    return edges, inverse_root[source] * inverse_root[target]


def propagate(h: torch.Tensor, edges: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    source, target = edges
    return torch.zeros_like(h).index_add_(0, target, h[source] * weights.unsqueeze(1).to(h.dtype))


class SIGN(nn.Module):
    def __init__(self, in_dim, out_dim, hops, operator, num_layers, hidden, dropout, activation, norm, residual):
        super().__init__()
        if operator not in OPERATORS:
            raise ValueError(f"operator must be one of {OPERATORS}, got {operator!r}")
        self.hops, self.operator, self.dropout = hops, operator, dropout
        self.inception = nn.ModuleList(nn.Linear(in_dim, hidden) for _ in range(hops + 1))
        self.head = LayerStack((hops + 1) * hidden, out_dim, num_layers, hidden, dropout, activation, norm, residual,
                               make_layer=lambda i, o, last: (nn.Linear(i, o), o), propagates=False)
        self.activation = self.head.activation
        self.has_forward_without_propagation = True
        # [X, PX, ..., P^K X] of the inputs last propagated, while they are handed again
        self._inputs, self._kept = LastInputs(), None

    def _combine(self, versions) -> torch.Tensor:
        mapped = [layer(nn.functional.dropout(h, self.dropout, self.training)) for layer, h in zip(self.inception, versions)]
        return self.head(self.activation(torch.cat(mapped, dim=1)))

    def forward(self, x, edge_index=None, edge_attr=None):
        return self._combine(self._versions(x, edge_index))

    def _versions(self, x, edge_index) -> list[torch.Tensor]:
        """``[X, PX, ..., P^K X]``, kept from the last call when it had the same inputs."""
        if self._inputs.same(x, edge_index):
            return self._kept
        versions = self._propagate(x, edge_index)
        self._kept = versions if self._inputs.remember(x, edge_index) else None
        return versions

    def _propagate(self, x, edge_index) -> list[torch.Tensor]:
        edges, weights = propagation_weights(edge_index, x.size(0), self.operator)
        versions = [x]
        for _ in range(self.hops):
            versions.append(propagate(versions[-1], edges, weights))
        return versions

    def forward_without_propagation(self, x):
        return self._combine([x] * (self.hops + 1))


def sign(in_dim, out_dim, task_type, hops=3, operator="sym", categorical=None, **common):
    inputs = CategoricalInputs(categorical, in_dim, common["hidden"])
    return inputs.wrap(SIGN(inputs.width, out_dim, hops, operator, **common))
