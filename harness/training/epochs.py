"""The epoch loop of a trained method: train, score on validation, keep the best state, stop when
the validation score has not improved for ``patience`` epochs.

Model selection reads the validation split only; what a method trains on is its own business
(``train_epoch``). Each epoch is logged through the run context, which is also where the cell's
time limit interrupts the loop (:class:`harness.context.CellTimeout`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import torch


@dataclass
class BestEpoch:
    """The epoch chosen on validation: its number (from 0), its score and what ``validate``
    returned with that score (for example every node's output at that epoch)."""

    epoch: int
    score: float
    outputs: Any = None


def train_epochs(
    model: torch.nn.Module,
    context,
    *,
    epochs: int,
    patience: int,
    train_epoch: Callable[[], float],
    validate: Callable[[], tuple[float, Any]],
    improved: Callable[[float, float | None], bool],
    log: Callable[[int, float, float], None] | None = None,
) -> BestEpoch:
    """Train ``model`` for at most ``epochs`` epochs and leave it in the state of the best one.

    Every epoch: ``train_epoch()`` in train mode returns the epoch's training loss; then, in eval
    mode and without gradients, ``validate()`` returns ``(score, outputs)``; ``log(epoch, loss,
    score)`` records the epoch (by default ``context.log_epoch(epoch, train_loss=loss,
    valid=score)``). ``improved(score, best)`` (a task's ``improved``) decides whether the epoch
    is the best so far; the best epoch's parameters are kept and loaded back into ``model`` at
    the end. Training stops after ``patience`` epochs in a row without improvement (0: never).
    The cell's time limit is checked after every epoch, whatever ``log`` does.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if log is None:
        log = lambda epoch, loss, score: context.log_epoch(epoch, train_loss=loss, valid=score)  # noqa: E731
    best, best_state, waited = None, None, 0
    for epoch in range(epochs):
        model.train()
        loss = train_epoch()
        model.eval()
        with torch.no_grad():
            score, outputs = validate()
        log(epoch, loss, score)
        context.check_time()
        if improved(score, None if best is None else best.score):
            best, waited = BestEpoch(epoch, score, outputs), 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            waited += 1
            if patience and waited >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return best
