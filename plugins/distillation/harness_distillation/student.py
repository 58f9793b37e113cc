"""The student of every distillation method here: a fresh copy of the cell's backbone (the
teacher's architecture: self-distillation), trained by one plain SGD step per epoch on the
distillation loss (:mod:`.soft_targets`), as LTD's reference code does (``distill_train``:
``theta - lr * grad``, the loss summed over nodes), for at most ``epochs`` epochs, stopping when
the validation accuracy has not reached its best for ``patience`` epochs (ties count as reached,
the reference's ``>=``); the best epoch's weights are restored before predicting.

The step is written with :func:`torch.func.functional_call` on a dictionary of parameters, so
that LTD can keep it differentiable (:mod:`.ltd`); FT/KD and BAN take the same step without a
graph. Validation labels choose the epoch and enter no loss; the ``meta`` split's labels are
read by LTD's temperature step alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch.func import functional_call

from harness.task import Predictions
from harness.training.epochs import train_epochs


@dataclass(frozen=True)
class StudentSettings:
    epochs: int
    patience: int
    #: the step size of the student's SGD step (the reference's ``my_lr``)
    lr: float
    #: weight of the hard-label term (the reference's ``lam``)
    lam: float


class Student:
    def __init__(self, task, backbone, teacher_logits: torch.Tensor, settings: StudentSettings, context):
        device = context.device
        self.task, self.settings, self.context = task, settings, context
        data = task.data.to(device)
        self.inputs = (data.x, data.edge_index, getattr(data, "edge_attr", None))
        self.model = backbone(task.in_dim, task.num_outputs).to(device)
        self.teacher_logits = teacher_logits.to(device)
        self.train_items = task.items["train"].to(device)
        self.train_labels = task.labels["train"].to(device)
        context.track(self.model)

    def parameters(self) -> dict[str, torch.Tensor]:
        return dict(self.model.named_parameters())

    def logits(self, parameters: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """The student's logits for every node, with ``parameters`` in place of its own."""
        if parameters is None:
            return self.model(*self.inputs)
        return functional_call(self.model, parameters, self.inputs)

    def stepped(self, loss: torch.Tensor, parameters: dict[str, torch.Tensor], differentiable: bool) -> dict[str, torch.Tensor]:
        """``theta - lr * grad(loss)``; with ``differentiable``, a function of whatever ``loss``
        depends on (the temperatures), for a gradient through the step."""
        grads = torch.autograd.grad(loss, list(parameters.values()), create_graph=differentiable)
        return {name: value - self.settings.lr * grad for (name, value), grad in zip(parameters.items(), grads)}

    def adopt(self, parameters: dict[str, torch.Tensor]) -> None:
        """Make ``parameters`` (detached) the student's own."""
        with torch.no_grad():
            for name, value in self.model.named_parameters():
                value.copy_(parameters[name])

    def fit(self, epoch_step: Callable[[int], float]) -> Predictions:
        """Run ``epoch_step(epoch)`` (one training step, returning its loss) with early stopping
        on validation accuracy; the best epoch's predictions."""
        valid_items = self.task.items["valid"].to(self.context.device)
        settings = self.settings
        self.context.plan_epochs(settings.epochs)
        epoch = iter(range(settings.epochs))
        best = train_epochs(
            self.model,
            self.context,
            epochs=settings.epochs,
            patience=settings.patience,
            train_epoch=lambda: epoch_step(next(epoch)),
            validate=lambda: (self.task.score("valid", self.logits()[valid_items].cpu()), None),
            improved=lambda score, best: best is None or score >= best,
        )
        with torch.no_grad():
            logits = self.logits().cpu()
        return Predictions(valid=logits[self.task.items["valid"]], test=logits[self.task.items["test"]], best_epoch=best.epoch)
