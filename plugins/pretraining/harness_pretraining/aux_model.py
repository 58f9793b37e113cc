"""The model AUX-TS trains: one shared encoder, the target task's head and each auxiliary task's
module, every task giving its loss per example (``model(batch, task)``), so that the weighting
network can weight examples one by one and :func:`torch.func.functional_call` can evaluate the
target at look-ahead parameters (:mod:`.aux_ts`).

A task module has ``per_example(encoder, batch, generator=None) -> Tensor``: the objectives of
:mod:`harness.objectives` (link reconstruction is edge prediction, attribute reconstruction is
feature reconstruction or attribute masking), the random-label heads of :mod:`.random_labels`,
and the two targets below: node classification (cross-entropy per training node) and graph
classification (per molecule: BCE averaged over its labelled tasks, as Hu et al.'s masked BCE
without the mean over the batch; cross-entropy for class ids).
"""

from __future__ import annotations

from typing import Iterator

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from harness.objectives.contrast import NotEnoughGraphs
from harness_pretraining.aux_ts import TARGET


class MultiTaskModel(nn.Module):
    def __init__(self, encoder: nn.Module, target: nn.Module, auxiliaries: dict[str, nn.Module]):
        super().__init__()
        self.encoder = encoder
        self.target = target
        self.auxiliaries = nn.ModuleDict(auxiliaries)

    def forward(self, batch, task: str = TARGET, generator: torch.Generator | None = None) -> Tensor:
        """The per-example losses of ``task`` on ``batch``; none (an empty vector) where a
        contrastive objective finds fewer than two molecules to pair in the batch."""
        if task == TARGET:
            return self.target.per_example(self.encoder, batch, generator)
        try:
            return self.auxiliaries[task].per_example(self.encoder, batch, generator)
        except NotEnoughGraphs:
            return torch.zeros(0, device=next(self.encoder.parameters()).device)

    def shared_parameters(self) -> Iterator[nn.Parameter]:
        """The encoder's parameters, which every task shares (gradient cosines)."""
        return self.encoder.parameters()

    def target_parameters(self) -> Iterator[tuple[str, nn.Parameter]]:
        """The parameters the target's loss depends on (encoder and target head), by name in this
        module: those the look-ahead updates."""
        return ((name, parameter) for name, parameter in self.named_parameters()
                if parameter.requires_grad and name.split(".", 1)[0] in ("encoder", "target"))

    def logits(self, batch) -> Tensor:
        return self.target.logits(self.encoder, batch)


class NodeTarget(nn.Module):
    """Node classification: a linear head on the encoder's node embeddings; the per-example loss
    is the cross-entropy of each training node (items and labels kept as buffers)."""

    def __init__(self, width: int, classes: int, items: Tensor, labels: Tensor):
        super().__init__()
        self.head = nn.Linear(width, classes)
        self.register_buffer("items", items.clone(), persistent=False)
        self.register_buffer("labels", labels.clone(), persistent=False)

    def logits(self, encoder: nn.Module, data) -> Tensor:
        return self.head(encoder(data.x, data.edge_index, data.edge_attr))

    def per_example(self, encoder: nn.Module, data, generator=None) -> Tensor:
        return F.cross_entropy(self.logits(encoder, data)[self.items], self.labels, reduction="none")


class GraphTarget(nn.Module):
    """Graph classification: mean pooling and a linear head (Hu et al.'s fine-tuning model); the
    per-example loss of a molecule is its BCE averaged over its labelled tasks (molecules without
    any label give none), or the cross-entropy where labels are class ids."""

    def __init__(self, width: int, outputs: int):
        super().__init__()
        self.head = nn.Linear(width, outputs)

    def logits(self, encoder: nn.Module, batch) -> Tensor:
        from torch_geometric.nn import global_mean_pool

        nodes = encoder(batch.x, batch.edge_index, batch.edge_attr)
        return self.head(global_mean_pool(nodes, batch.batch, size=batch.num_graphs))

    def per_example(self, encoder: nn.Module, batch, generator=None) -> Tensor:
        logits, targets = self.logits(encoder, batch), batch.y
        if not targets.is_floating_point():
            return F.cross_entropy(logits, targets.view(-1), reduction="none")
        known = ~torch.isnan(targets)
        bce = F.binary_cross_entropy_with_logits(logits, torch.where(known, targets, 0.0), reduction="none")
        counts = known.sum(dim=1)
        labelled = counts > 0
        return (bce * known).sum(dim=1)[labelled] / counts[labelled]
