"""The pre-training loop every strategy of this plugin shares: mini-batches of a molecule corpus,
one objective (:mod:`harness.objectives`, or the supervised multi-task loss), Adam over the GNN
and the objective's own heads, a fixed number of epochs, progress through the run context
(epoch, loss, ETA; not the cell's training curve), and the GNN's weights as the result (the
heads are dropped, as Hu et al. keep only the GNN)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from harness.checkpoints import checkpoint
from harness.objectives.contrast import NotEnoughGraphs


@dataclass(frozen=True)
class PretrainSettings:
    epochs: int
    batch_size: int
    lr: float

    def key(self) -> dict:
        return {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr}


def pretrain(gnn: nn.Module, heads: nn.Module, loss: Callable, graphs: list, settings: PretrainSettings, context, label: str) -> dict:
    """Train ``gnn`` and ``heads`` with ``loss(batch)`` on ``graphs``; returns the stage payload:
    the GNN's weights (``gnn``), the mean loss per epoch, the seconds per epoch, and how many
    batches were skipped because the objective found fewer than two molecules to pair."""
    from torch_geometric.loader import DataLoader

    if not graphs:
        raise ValueError(f"{label}: the pre-training corpus has no molecules")
    gnn.to(context.device).train()
    heads.to(context.device).train()
    # an objective may hold the GNN itself (L2P-GNN adapts it): each parameter once
    parameters = list({id(parameter): parameter for parameter in [*gnn.parameters(), *heads.parameters()]}.values())
    optimizer = torch.optim.Adam(parameters, lr=settings.lr)
    loader = DataLoader(graphs, batch_size=settings.batch_size, shuffle=True, drop_last=len(graphs) > settings.batch_size)
    losses, seconds, skipped = [], [], 0
    for epoch in range(settings.epochs):
        start, total, count = time.perf_counter(), 0.0, 0
        for batch in loader:
            batch = batch.to(context.device)
            optimizer.zero_grad()
            try:
                value = loss(batch)
            except NotEnoughGraphs:
                # too few molecules of the batch have what the objective pairs (a context ring)
                skipped += 1
                continue
            value.backward()
            optimizer.step()
            total, count = total + value.item(), count + 1
        losses.append(total / max(count, 1))
        seconds.append(time.perf_counter() - start)
        context.log_progress(epoch, settings.epochs, **{f"{label}_loss": losses[-1]})
    return {"gnn": checkpoint(gnn), "losses": torch.tensor(losses), "seconds": torch.tensor(seconds), "skipped_batches": skipped}


def summary(payload: dict, label: str) -> dict:
    """What the record keeps of a pre-training stage (JSON values)."""
    seconds = payload["seconds"].tolist()
    return {"strategy": label, "losses": [round(value, 6) for value in payload["losses"].tolist()],
            "seconds_per_epoch": sum(seconds) / len(seconds) if seconds else None, "skipped_batches": payload.get("skipped_batches", 0)}
