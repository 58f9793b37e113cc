"""LTD's per-node temperatures (Guo et al., "Learning to Distill Graph Neural Networks", WSDM
2023; github.com/BUPT-GAMMA/LTD, ``distill_dgl.py``).

A small MLP reads, for every node, the student's logits, their L2 norm (without gradient) and
the entropy of the teacher's mean prediction over the node's neighbours, and gives a number s in
(0, 1) (sigmoid); the temperature is ``(s - 0.2) * k``. Temperatures below 0 are allowed on
purpose: they invert the teacher's ranking at nodes where it is likely wrong. A temperature of
magnitude below 1e-4 becomes 1e-4 (so the teacher's logits are never divided by zero).

As in the reference code: two linear layers of width 64 with ReLU, dropout before each of them
with probability 0.4 (its ``MLP(dropout=0.6)`` keeps 0.6), active whenever temperatures are
computed (the reference never switches the model to evaluation); the student's logits enter
with their gradient, so the student's step also moves through its own temperatures.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

#: temperatures of smaller magnitude are replaced by this value
SMALLEST = 1e-4
#: the sigmoid's output is shifted by this before scaling, so that temperatures can be negative
SHIFT = 0.2


def neighbourhood_entropy(teacher_logits: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
    """Per node, the entropy of the mean of the teacher's softmax over its neighbours (itself
    excluded, each neighbour once); ``SMALLEST`` for a node without neighbours (the reference's
    0/0)."""
    from torch_geometric.utils import coalesce, remove_self_loops, scatter

    num_nodes = teacher_logits.size(0)
    edge_index, _ = remove_self_loops(edge_index)
    source, target = coalesce(edge_index, num_nodes=num_nodes)
    probabilities = F.softmax(teacher_logits, dim=-1)
    mean = scatter(probabilities[source], target, dim=0, dim_size=num_nodes, reduce="mean")
    entropy = -(mean * torch.log(mean)).nan_to_num(0.0).sum(dim=-1)
    has_neighbours = torch.zeros(num_nodes, dtype=torch.bool, device=entropy.device)
    has_neighbours[target] = True
    return torch.where(has_neighbours, entropy, torch.full_like(entropy, SMALLEST))


class TemperatureModel(nn.Module):
    def __init__(self, num_classes: int, scale: float, hidden: int = 64, dropout: float = 0.4):
        super().__init__()
        self.scale = scale
        self.dropout = dropout
        self.hidden = nn.Linear(num_classes + 2, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, student_logits: torch.Tensor, entropy: torch.Tensor) -> torch.Tensor:
        """One temperature per node, ``(n,)``."""
        norm = torch.linalg.vector_norm(student_logits.detach(), dim=-1, keepdim=True)
        features = torch.cat([student_logits, norm, entropy.view(-1, 1).to(student_logits.dtype)], dim=-1)
        h = F.relu(self.hidden(F.dropout(features, self.dropout, training=True)))
        share = torch.sigmoid(self.out(F.dropout(h, self.dropout, training=True))).view(-1)
        temperature = (share - SHIFT) * self.scale
        return torch.where(temperature.abs() < SMALLEST, torch.full_like(temperature, SMALLEST), temperature)
