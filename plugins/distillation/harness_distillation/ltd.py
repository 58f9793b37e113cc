"""One epoch of LTD (Guo et al., WSDM 2023; github.com/BUPT-GAMMA/LTD, ``distill_train``).

1. Distil step: temperatures from the temperature model (:mod:`.temperatures`); the student's
   SGD step on the distillation loss (:mod:`.soft_targets`), kept differentiable, so that the
   stepped weights theta' are a function of the temperature model's parameters.
2. Learn step (after ``warmup`` epochs): the student with theta' on the ``meta`` split (the
   paper's L2); the cross-entropy on its labels, differentiated through the step into the
   temperature model, which takes one SGD step of size ``temperature_lr``.
3. The student keeps theta' (detached): its new weights were computed before the learn step, so
   they depend on the ``meta`` labels only through the temperatures of earlier epochs.

The reference starts the learn step at its epoch 21 (epochs counted from 1): here after
``warmup`` = 20 epochs, counted from 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from harness_distillation.soft_targets import distillation_loss, hard_cross_entropy
from harness_distillation.student import Student
from harness_distillation.temperatures import TemperatureModel


@dataclass(frozen=True)
class LtdSettings:
    #: the temperature model's SGD step size (the reference's ``my_t_lr``)
    temperature_lr: float
    #: k in ``(sigmoid - 0.2) * k``
    scale: float
    warmup: int
    hidden: int = 64
    dropout: float = 0.4


class LearnedTemperatures:
    """The temperature model and the ``meta`` split it learns on."""

    def __init__(self, student: Student, entropy: torch.Tensor, settings: LtdSettings, meta_items: torch.Tensor, meta_labels: torch.Tensor):
        self.student, self.settings = student, settings
        device = student.teacher_logits.device
        self.entropy = entropy.to(device)
        self.model = TemperatureModel(student.task.num_outputs, settings.scale, settings.hidden, settings.dropout).to(device)
        self.meta_items, self.meta_labels = meta_items.to(device), meta_labels.to(device)
        self.last: torch.Tensor | None = None

    def __call__(self, student_logits: torch.Tensor) -> torch.Tensor:
        return self.model(student_logits, self.entropy)

    def epoch(self, epoch: int) -> float:
        """The distil step and, after the warm-up, the learn step; the distillation loss."""
        student = self.student
        parameters = student.parameters()
        logits = student.logits(parameters)
        temperatures = self(logits)
        loss = distillation_loss(logits, student.teacher_logits, temperatures, student.train_items, student.train_labels, student.settings.lam)
        learning = epoch >= self.settings.warmup
        stepped = student.stepped(loss, parameters, differentiable=learning)
        if learning:
            self.learn(stepped)
        student.adopt(stepped)
        self.last = temperatures.detach()
        return loss.item()

    def meta_loss(self, stepped: dict[str, torch.Tensor]) -> torch.Tensor:
        """The stepped student's cross-entropy on the ``meta`` split (summed, as the reference)."""
        logits = self.student.logits(stepped)
        return hard_cross_entropy(logits[self.meta_items], self.meta_labels).sum()

    def learn(self, stepped: dict[str, torch.Tensor]) -> None:
        parameters = list(self.model.parameters())
        grads = torch.autograd.grad(self.meta_loss(stepped), parameters, allow_unused=True)
        with torch.no_grad():
            for parameter, grad in zip(parameters, grads):
                if grad is not None:
                    parameter -= self.settings.temperature_lr * grad
