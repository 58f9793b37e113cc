"""Fine-tuning as Hu et al. do it, the one code path of every method of this plugin (``none``
included): the GNN (pre-trained weights loaded, or fresh), mean pooling, a fresh linear head to
the downstream tasks, masked BCE over the labelled entries, Adam, mini-batches of 32 molecules,
the backbone's dropout (0.5 in Hu et al.'s fine-tuning), a fixed number of epochs.

Every epoch the validation and test items are predicted and kept (``Predictions.epochs``): the
harness scores the whole curve into the record (``epoch_scores``). The predictions returned as
the cell's are those of the epoch with the best validation score, as Hu et al.'s released
parser reads its logs; the last epoch's scores stay in the curve, since much follow-up work
reports those. Validation is the only split scored here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from harness.checkpoints import load_checkpoint
from harness.task import EpochPredictions, Predictions


@dataclass(frozen=True)
class FinetuneSettings:
    epochs: int
    lr: float
    weight_decay: float
    batch_size: int


class GraphPredictor(nn.Module):
    """GNN, mean pooling, linear head: Hu et al.'s graph prediction model."""

    def __init__(self, gnn: nn.Module, width: int, outputs: int):
        super().__init__()
        self.gnn = gnn
        self.head = nn.Linear(width, outputs)

    def forward(self, batch) -> torch.Tensor:
        from torch_geometric.nn import global_mean_pool

        nodes = self.gnn(batch.x, batch.edge_index, batch.edge_attr)
        return self.head(global_mean_pool(nodes, batch.batch, size=batch.num_graphs))


def masked_bce(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """BCE over the labelled entries only (NaN: no label), averaged over them."""
    known = ~torch.isnan(targets)
    return F.binary_cross_entropy_with_logits(logits[known], targets[known])


def labelled_graphs(graphs, items: torch.Tensor, labels: torch.Tensor) -> list:
    """The graphs of ``items`` each carrying its label row as ``y`` (1, tasks)."""
    chosen = []
    for index, row in zip(items.tolist(), labels):
        graph = graphs[index].clone()
        graph.y = row.view(1, -1).float()
        chosen.append(graph)
    return chosen


def train_epoch(model: nn.Module, loader, optimizer, device: str) -> float:
    model.train()
    total, count = 0.0, 0
    for batch in loader:
        batch = batch.to(device)
        optimizer.zero_grad()
        loss = masked_bce(model(batch), batch.y)
        loss.backward()
        optimizer.step()
        total, count = total + loss.item() * batch.num_graphs, count + batch.num_graphs
    return total / max(count, 1)


@torch.no_grad()
def predict(model: nn.Module, graphs, device: str, batch_size: int) -> torch.Tensor:
    from torch_geometric.loader import DataLoader

    model.eval()
    outputs = [model(batch.to(device)).cpu() for batch in DataLoader(graphs, batch_size=max(batch_size, 256))]
    return torch.cat(outputs) if outputs else torch.zeros(0)


def finetune(task, gnn: nn.Module, width: int, settings: FinetuneSettings, context, checkpoint=None, what: str = "checkpoint") -> Predictions:
    """Fine-tune ``gnn`` (after loading ``checkpoint``, a state dict of its parameters, when
    given) with a fresh head on ``task``; the best-validation epoch's predictions, every epoch's
    kept, and the time per epoch in ``extra``."""
    from torch_geometric.loader import DataLoader

    if checkpoint is not None:
        load_checkpoint(gnn, checkpoint, what)
    model = GraphPredictor(gnn, width, task.num_outputs).to(context.device)
    context.track(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    train = DataLoader(labelled_graphs(task.graphs, task.items["train"], task.labels["train"]), batch_size=settings.batch_size, shuffle=True)
    held = {split: [task.graphs[i] for i in task.items[split].tolist()] for split in ("valid", "test")}
    context.plan_epochs(settings.epochs)
    epochs, best, seconds = [], None, 0.0
    for epoch in range(settings.epochs):
        start = time.perf_counter()
        loss = train_epoch(model, train, optimizer, context.device)
        seconds += time.perf_counter() - start
        kept = EpochPredictions(epoch, *(predict(model, held[split], context.device, settings.batch_size) for split in ("valid", "test")))
        epochs.append(kept)
        score = task.score("valid", kept.valid)
        context.log_epoch(epoch, train_loss=loss, valid=score)
        if task.improved(score, None if best is None else best[1]):
            best = (kept, score)
    chosen = best[0]
    extra = {"finetune_seconds_per_epoch": seconds / settings.epochs}
    return Predictions(valid=chosen.valid, test=chosen.test, best_epoch=chosen.epoch, extra=extra, epochs=epochs)
