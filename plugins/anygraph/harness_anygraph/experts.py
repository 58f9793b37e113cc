"""AnyGraph's experts and its router.

An expert is a residual MLP on the unified input: per layer ``e <- LayerNorm(dropout(relu(W e +
b)) + e)``, with an affine LayerNorm (the official ``MLP``). The router scores every expert on a
graph by how well its embeddings rank the graph's own known edges above random nodes,
``mean sigmoid(e_u . e_v - e_u . e_n)`` (:func:`link_score`); during training each score is
multiplied by a frequency factor in ``[1 - r/2, 1 + r/2]`` that favours the experts trained on
fewer samples (:func:`frequency_factors`), and each graph goes to its best expert (top-1).
"""

from __future__ import annotations

import torch
from torch import nn


class Expert(nn.Module):
    """One expert; it maps the unified input to node embeddings of the same width. Given another
    input width (a method other than AnyGraph's using the backbone, which then acts as a
    residual MLP that ignores the graph), a linear map to the output width comes first."""

    def __init__(self, dim: int, layers: int, dropout: float, in_dim: int | None = None):
        super().__init__()
        self.project = nn.Linear(in_dim, dim) if in_dim is not None and in_dim != dim else None
        self.linears = nn.ModuleList(nn.Linear(dim, dim) for _ in range(layers))
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(layers))
        self.dropout = nn.Dropout(dropout)

    def forward(self, embeddings: torch.Tensor, edge_index=None, edge_attr=None) -> torch.Tensor:
        if self.project is not None:
            embeddings = self.project(embeddings)
        for linear, norm in zip(self.linears, self.norms):
            embeddings = norm(self.dropout(torch.relu(linear(embeddings))) + embeddings)
        return embeddings


def expert(in_dim: int, out_dim: int, task_type: str, categorical=None, layers: int = 8, dropout: float = 0.1) -> Expert:
    """The ``anygraph-expert`` backbone's factory: one expert of width ``out_dim`` (AnyGraph's
    experts have ``in_dim == out_dim``)."""
    return Expert(out_dim, layers, dropout, in_dim)


def frequency_factors(trained_samples: torch.Tensor, spread: float = 0.2) -> torch.Tensor:
    """``(1 - c_k / sum c) * spread + 1 - spread / 2`` for the samples ``c_k`` each expert was
    trained on (every count starts at 1): in ``[1 - spread/2, 1 + spread/2]``, the least
    trained experts highest."""
    counts = trained_samples.double()
    return ((1.0 - counts / counts.sum()) * spread + 1.0 - spread / 2).float()


@torch.no_grad()
def link_score(embeddings: torch.Tensor, anchors: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor) -> float:
    """``mean sigmoid(e_u . e_v - e_u . e_n)`` over the sampled (anchor, positive, negative)."""
    anchor = embeddings[anchors]
    margin = (anchor * embeddings[positives]).sum(-1) - (anchor * embeddings[negatives]).sum(-1)
    return torch.sigmoid(margin).mean().item()


@torch.no_grad()
def routing_scores(experts, inputs: torch.Tensor, anchors, positives, negatives) -> torch.Tensor:
    """Every expert's :func:`link_score` on one graph (experts in eval mode: no dropout)."""
    scores = []
    for expert in experts:
        was_training = expert.training
        expert.eval()
        scores.append(link_score(expert(inputs), anchors, positives, negatives))
        expert.train(was_training)
    return torch.tensor(scores)


def route(scores: torch.Tensor, factors: torch.Tensor | None = None) -> int:
    """The top-1 expert: the best score, after the frequency factors when given."""
    return int(torch.argmax(scores * factors if factors is not None else scores))


def routing_sample(edges: torch.Tensor, num_nodes: int, limit: int, generator: torch.Generator):
    """At most ``limit`` known directed edges (all when ``limit`` is 0) and one uniformly drawn
    node per edge as its negative."""
    if limit and edges.size(1) > limit:
        edges = edges[:, torch.randperm(edges.size(1), generator=generator)[:limit]]
    negatives = torch.randint(num_nodes, (edges.size(1),), generator=generator)
    return edges[0], edges[1], negatives
