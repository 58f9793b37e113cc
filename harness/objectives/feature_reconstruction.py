"""Feature reconstruction: hide some nodes' feature rows and decode them back from the gnn's
embeddings of the masked graph.

The attribute-reconstruction auxiliary task of Han et al., "Adaptive Transfer Learning on Graph
Neural Networks", KDD 2021 (official code: https://github.com/Sean-Huang65/AUX-TS, the
``feat_loss`` of its GPT-GNN model for vector attributes), itself GPT-GNN's attribute generation
(Hu et al., KDD 2020): the features of the nodes to generate are replaced by a dummy row (the
mean feature row of the input, as GPT-GNN's ``init_emb``), the gnn runs on the masked input, and
a linear decoder maps each masked node's final embedding back to its feature row.

What differs from the reference:

- Nodes are masked as attribute masking masks atoms (:func:`attribute_masking.choose_masked`:
  ``floor(rate * n) + 1`` per graph, uniformly without replacement, drawn when the loss is
  computed), not by GPT-GNN's sampled subgraphs with separate generation nodes; no edge of a
  masked node is removed.
- The loss is the squared distance between the decoded and the original feature row, per masked
  node; the reference compares decoded and original vectors with its own matcher.
- The batch is not modified: the gnn receives a masked copy of ``x``.

Works on a batch of graphs and on a single graph (a ``Data`` without ``batch``). Features are
numbers (a float matrix); integer codes (atom types) are attribute masking's business.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from harness.objectives.attribute_masking import choose_masked
from harness.objectives.graphs import batch_vector, graph_count


class FeatureReconstruction(nn.Module):
    """Masked-feature reconstruction; its parameter is the decoder ``width -> in_dim``."""

    def __init__(self, width: int, in_dim: int, rate: float = 0.15):
        super().__init__()
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"the mask rate is a fraction of the nodes, in [0, 1]; got {rate}")
        self.rate = rate
        self.decoder = nn.Linear(width, in_dim)

    def masked_input(self, x: Tensor, masked: Tensor) -> Tensor:
        """A copy of ``x`` whose rows ``masked`` hold the mean feature row (GPT-GNN's dummy)."""
        if not x.is_floating_point() or x.dim() != 2 or x.size(1) != self.decoder.out_features:
            raise ValueError(f"feature reconstruction decodes float rows of width {self.decoder.out_features};"
                             f" x is {x.dtype} of shape {tuple(x.shape)}")
        masked_x = x.clone()
        masked_x[masked] = x.mean(dim=0).detach()
        return masked_x

    def per_example(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> Tensor:
        """The squared distance between decoded and original row, one per masked node."""
        x = batch.x.to_dense() if batch.x.layout != torch.strided else batch.x
        masked = choose_masked(batch_vector(batch), self.rate, generator, num_graphs=graph_count(batch))
        if masked.numel() == 0:
            raise ValueError("feature reconstruction needs at least one node in the batch")
        embeddings = gnn(self.masked_input(x, masked), batch.edge_index, batch.edge_attr)
        return (self.decoder(embeddings[masked]) - x[masked]).pow(2).sum(dim=-1)

    def loss(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> Tensor:
        return self.per_example(gnn, batch, generator).mean()
