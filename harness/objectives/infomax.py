"""Deep Graph Infomax on batches of graphs: tell a node paired with its own graph's summary from
the node paired with another graph's summary.

After Hu et al., "Strategies for Pre-training Graph Neural Networks", ICLR 2020, the
graph-level baseline of their section 5.1 (official code:
https://github.com/snap-stanford/pretrain-gnns, ``chem/pretrain_deepgraphinfomax.py``), which
adapts Velickovic et al.'s Deep Graph Infomax (ICLR 2019) to many small graphs: node
embeddings h; summary ``s_g = sigmoid(mean of h over graph g)``; bilinear discriminator
``D(h_i, s) = h_i^T W s``; positives ``(h_i, s_g(i))``, negatives ``(h_i, s)`` of the next
graph of the batch (a cyclic shift by one); loss ``BCE(positive, 1) + BCE(negative, 0)``.

What differs from the reference:

- A batch of one graph is refused (``NotEnoughGraphs``); the reference would use the graph's
  own summary as its negative.
- The reference scores ``s^T W h``; this module scores ``h^T W s``, the same family of
  discriminators with W transposed. W is initialised uniformly in ``+-1/sqrt(width)`` as there.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from harness.objectives.contrast import binary_contrast_loss, binary_contrast_terms, shifted_by_one
from harness.objectives.graphs import batch_vector, graph_count, nodes_per_graph


def graph_summaries(embeddings: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
    """``sigmoid`` of the mean node embedding of each graph (an empty graph's mean is 0)."""
    totals = embeddings.new_zeros((num_graphs, embeddings.size(1))).index_add_(0, batch, embeddings)
    counts = nodes_per_graph(batch, num_graphs).clamp(min=1).unsqueeze(1).to(embeddings.dtype)
    return torch.sigmoid(totals / counts)


class Infomax(nn.Module):
    """Graph-batch Deep Graph Infomax; its parameter is the discriminator's ``width x width`` W."""

    def __init__(self, width: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(width, width))
        bound = 1.0 / math.sqrt(width)
        nn.init.uniform_(self.weight, -bound, bound)

    def discriminate(self, nodes: Tensor, summaries: Tensor) -> Tensor:
        """``h_i^T W s_i`` for each row i."""
        return (nodes * (summaries @ self.weight.T)).sum(dim=-1)

    def loss(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> Tensor:
        """``generator`` is accepted for the shared contract; the negatives are not random."""
        return binary_contrast_loss(*self.scores(gnn, batch))

    def per_example(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> Tensor:
        """One term per (node, summary) pair, positives then negatives; their mean is :meth:`loss`."""
        return binary_contrast_terms(*self.scores(gnn, batch))

    def scores(self, gnn: nn.Module, batch: Data) -> tuple[Tensor, Tensor]:
        """The discriminator's logits of the positive and of the negative pairs."""
        num_graphs = graph_count(batch)
        partner = shifted_by_one(num_graphs, batch.x.device)  # refuses a single graph before the gnn runs
        graph = batch_vector(batch)
        embeddings = gnn(batch.x, batch.edge_index, batch.edge_attr)
        summaries = graph_summaries(embeddings, graph, num_graphs)
        positive = self.discriminate(embeddings, summaries[graph])
        negative = self.discriminate(embeddings, summaries[partner][graph])
        return positive, negative
