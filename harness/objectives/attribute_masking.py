"""Attribute masking: hide some atoms' features and predict them back from the gnn's embeddings.

After Hu et al., "Strategies for Pre-training Graph Neural Networks", ICLR 2020, section 3.1.2
(official code: https://github.com/snap-stanford/pretrain-gnns, ``chem/pretrain_masking.py``
with the ``MaskAtom`` transform of ``chem/util.py``). Per molecule of n atoms,
``floor(rate * n) + 1`` atoms (at most n) are drawn uniformly without replacement; their feature
rows are replaced by the mask token (Hu's features: atom type 119, chirality 0); the gnn runs on
the masked molecules and a linear head on the masked atoms' final embeddings predicts their
original code in one feature column (the atom type), trained with cross-entropy.

What differs from the reference:

- The atoms are drawn when the loss is computed, for the whole batch at once with torch's
  generator, instead of per molecule in the dataset transform with Python's ``random``.
- Only atoms are masked: the reference's optional masking of the bonds around them
  (``--mask_edge``, off by default in its pre-training script) is not implemented.
- The batch is not modified: the gnn receives a masked copy of ``x``.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch_geometric.data import Data

from harness.objectives.graphs import batch_vector, graph_count, nodes_per_graph, random_ranks


def masked_counts(atoms_per_graph: Tensor, rate: float) -> Tensor:
    """``floor(rate * n) + 1`` per graph of n atoms, at most n (an empty graph gets none)."""
    # Double precision, as the reference's Python int(n * rate + 1): float32 differs for some
    # rates and sizes (0.35 * 180 gives 63, not 62).
    wanted = torch.floor(atoms_per_graph.double() * rate).long() + 1
    return torch.minimum(wanted, atoms_per_graph)


def choose_masked(batch: Tensor, rate: float, generator: torch.Generator | None = None,
                  num_graphs: int | None = None) -> Tensor:
    """The atoms to mask: ``floor(rate * n) + 1`` (at most n) per graph, uniformly without
    replacement; node indices into the batch, ascending."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"the mask rate is a fraction of the atoms, in [0, 1]; got {rate}")
    if num_graphs is None:
        num_graphs = int(batch.max()) + 1 if batch.numel() else 0
    counts = masked_counts(nodes_per_graph(batch, num_graphs), rate)
    ranks = random_ranks(batch, num_graphs, generator)
    return torch.nonzero(ranks < counts[batch]).flatten()


class AttributeMasking(nn.Module):
    """Masked-atom prediction; its parameter is the prediction head ``width -> num_classes``.

    ``mask_node`` is the row written over a masked atom's features, one code per feature
    column (Hu's features: ``(119, 0)``); ``column`` is the feature column predicted (0: the
    atom type), whose codes must lie in ``[0, num_classes)`` (Hu: 119 atom types).
    """

    def __init__(self, width: int, num_classes: int, mask_node: Sequence[int], rate: float = 0.15, column: int = 0):
        super().__init__()
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"the mask rate is a fraction of the atoms, in [0, 1]; got {rate}")
        if not 0 <= column < len(mask_node):
            raise ValueError(f"column {column} is not one of the {len(mask_node)} feature columns of mask_node")
        self.rate, self.column = rate, column
        self.head = nn.Linear(width, num_classes)
        # A buffer, so that it follows the module to the batch's device; not saved with the state.
        self.register_buffer("mask_node", torch.as_tensor(list(mask_node), dtype=torch.long), persistent=False)

    def masked_input(self, x: Tensor, masked: Tensor) -> Tensor:
        """A copy of ``x`` with the rows ``masked`` replaced by the mask token."""
        if x.dim() != 2 or x.size(1) != self.mask_node.numel():
            raise ValueError(f"mask_node has {self.mask_node.numel()} columns; the atom features x have shape {tuple(x.shape)}")
        masked_x = x.clone()
        masked_x[masked] = self.mask_node.to(x.device, x.dtype)
        return masked_x

    def targets(self, x: Tensor, masked: Tensor) -> Tensor:
        codes = x[masked, self.column].long()
        if codes.numel() and (int(codes.min()) < 0 or int(codes.max()) >= self.head.out_features):
            raise ValueError(f"feature column {self.column} holds codes outside [0, {self.head.out_features}),"
                             " the classes of the prediction head")
        return codes

    def loss(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> Tensor:
        return F.cross_entropy(*self.predictions(gnn, batch, generator))

    def per_example(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> Tensor:
        """One cross-entropy per masked atom; their mean is :meth:`loss`."""
        return F.cross_entropy(*self.predictions(gnn, batch, generator), reduction="none")

    def predictions(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """The head's logits for the masked atoms and their original codes."""
        masked = choose_masked(batch_vector(batch), self.rate, generator, num_graphs=graph_count(batch))
        if masked.numel() == 0:
            raise ValueError("attribute masking needs at least one atom in the batch")
        embeddings = gnn(self.masked_input(batch.x, masked), batch.edge_index, batch.edge_attr)
        return self.head(embeddings[masked]), self.targets(batch.x, masked)
