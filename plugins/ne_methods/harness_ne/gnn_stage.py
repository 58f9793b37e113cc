"""The GNN stage every NE method shares: train a backbone on fixed node features, score every
epoch on validation, keep the best state.

Targets are soft rows for any set of nodes (by default the gold labels of the training nodes);
GLEM adds pseudo-labelled nodes with weight ``alpha``. Full batch by default; with ``batch_size``
> 0, neighbour-sampled mini-batches of target nodes. Scoring and the logits of every node (which
later stages read) use the full graph. The epoch loop, the sampler and the settings are the
core's shared training pieces (:mod:`harness.training`).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass, field

import torch

from harness.training.epochs import train_epochs
from harness.training.params import TrainingSettings
from harness_ne.targets import gold_rows, is_multilabel, soft_loss, weighted_mean


@dataclass
class GNNResult:
    model: torch.nn.Module
    best_score: float
    best_epoch: int
    logits: torch.Tensor  # every node's output at the best epoch, on the CPU


@dataclass
class Targets:
    """What the GNN is trained toward: ``rows[i]`` for node ``nodes[i]``; ``is_train`` marks gold
    rows (the loss weighs the others by ``alpha``)."""

    nodes: torch.Tensor
    rows: torch.Tensor
    is_train: torch.Tensor
    alpha: float = 0.0

    @classmethod
    def gold(cls, task) -> "Targets":
        nodes = task.items["train"]
        return cls(nodes, gold_rows(task), torch.ones(len(nodes), dtype=torch.bool))

    def lookup(self, num_nodes: int, device):
        """``lookup(nodes) -> (rows, is_train)`` for any of ``self.nodes``, on ``device`` (the
        encoder stage's target function)."""
        position = torch.full((num_nodes,), -1, dtype=torch.long)
        position[self.nodes] = torch.arange(len(self.nodes))

        def targets(nodes):
            index = position[nodes.cpu()]
            return self.rows[index].to(device), self.is_train[index].to(device)

        return targets


@dataclass
class StageLog:
    """One training curve across stages: a running epoch number, metrics prefixed by stage, and
    every validation score also as plain ``valid`` (the learning curve ``harness plot`` draws
    then runs through all stages)."""

    context: object
    epoch: int = 0
    seconds: dict = field(default_factory=dict)  # wall time per part (encoder, gnn, ...)

    @contextlib.contextmanager
    def timed(self, part: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[part] = self.seconds.get(part, 0.0) + time.perf_counter() - start

    def log(self, stage: str, **metrics: float) -> None:
        named = {f"{stage}_{name}": value for name, value in metrics.items()}
        if "valid" in metrics:
            named["valid"] = metrics["valid"]
        self.context.log_epoch(self.epoch, **named)
        self.epoch += 1


def forward(model, data) -> torch.Tensor:
    return model(data.x, data.edge_index, getattr(data, "edge_attr", None))


def _epochs(data, targets: Targets, settings: TrainingSettings, device):
    """A callable giving one epoch's steps as (batch data, output rows to score, their targets,
    their is_train); the sampler, if any, is built once and reshuffles every epoch."""
    if not settings.batch_size:
        whole = (data, targets.nodes.to(device), targets.rows.to(device), targets.is_train.to(device))
        return lambda: [whole]
    from harness.training.neighbor_sampler import neighbor_loader

    position = torch.full((data.num_nodes,), -1, dtype=torch.long)
    position[targets.nodes] = torch.arange(len(targets.nodes))
    sampled = data.clone()
    sampled.target_position = position.to(data.x.device)
    loader = neighbor_loader(sampled, list(settings.fanout), settings.batch_size, targets.nodes, shuffle=True)

    def epoch():
        for batch in loader:
            seeds = batch.target_position[: batch.batch_size].cpu()
            yield batch.to(device), torch.arange(batch.batch_size, device=device), targets.rows[seeds].to(device), targets.is_train[seeds].to(device)

    return epoch


def _train_epoch(model, steps, alpha: float, optimizer, multilabel) -> float:
    total, count = 0.0, 0
    for batch, rows, target, is_train in steps:
        optimizer.zero_grad()
        losses = soft_loss(forward(model, batch)[rows], target, multilabel)
        loss = weighted_mean(losses, is_train, alpha)
        loss.backward()
        optimizer.step()
        total, count = total + loss.item() * len(rows), count + len(rows)
    return total / max(count, 1)


def train_gnn(task, model, settings: TrainingSettings, log: StageLog, stage: str, device="cpu", targets: Targets | None = None) -> GNNResult:
    """Train ``model`` on ``task.data`` (whose ``x`` are the features of this stage)."""
    targets = targets or Targets.gold(task)
    multilabel = is_multilabel(task)
    data = task.data.to(device)
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    epoch_steps = _epochs(data, targets, settings, device)
    valid = task.items["valid"]

    def validate():
        logits = forward(model, data).cpu()
        return task.score("valid", logits[valid]), logits

    best = train_epochs(
        model,
        log.context,
        epochs=settings.epochs,
        patience=settings.patience,
        train_epoch=lambda: _train_epoch(model, epoch_steps(), targets.alpha, optimizer, multilabel),
        validate=validate,
        improved=task.improved,
        log=lambda epoch, loss, score: log.log(stage, loss=loss, valid=score),
    )
    return GNNResult(model, best.score, best.epoch, best.outputs)


def predictions(task, result: GNNResult, **extra):
    """What the method returns: the best epoch's outputs for the validation and test nodes."""
    from harness.task import Predictions

    logits = result.logits
    return Predictions(valid=logits[task.items["valid"]], test=logits[task.items["test"]], best_epoch=result.best_epoch, extra=extra)


def reseed(context, stage: str) -> None:
    """Seed torch from the cell's seed and ``stage``, so that what follows a cached stage draws
    the same random numbers as when the stage ran."""
    digest = hashlib.sha256(f"{context.seed}:{stage}".encode()).digest()
    torch.manual_seed(int.from_bytes(digest[:8], "little"))
