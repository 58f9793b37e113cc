"""AUX-TS's adaptive weighting of auxiliary losses: the weighting network, its inputs, the
differentiable look-ahead (meta step) and the real step, and the two baselines that share the
same code path (``equal``: every auxiliary example weighted 1; ``target-only``: no auxiliary).

Han, Huang, An, Bai, "Adaptive Transfer Learning on Graph Neural Networks", KDD 2021; official
code github.com/Sean-Huang65/AUX-TS (``example_reddit/multi_reddit_one.py``, the weighting
network ``Weight`` of ``GPT_GNN/model_meta.py``). Every training step:

1. per-example losses of the target task and of each auxiliary task on the model (``model(batch,
   task)``, :class:`harness_pretraining.aux_model.MultiTaskModel`);
2. per auxiliary task k, ``cos_k``: the cosine between the gradients of the target's mean loss
   and of task k's mean loss with respect to the shared encoder's parameters (an input feature,
   no gradient flows through it);
3. the weighting network (Linear -> ReLU -> Linear -> sigmoid) maps each auxiliary example's
   [loss value, one-hot task id, cos_k] to its weight;
4. meta step: one SGD look-ahead of the encoder and target head, ``theta' = theta - a * grad
   (target mean loss + sum_k mean_i w_ki l_ki)``, kept differentiable in the weights
   (``create_graph``; :func:`torch.func.functional_call` evaluates the model at theta'); the
   target's loss on the same training examples at theta' is backpropagated into the weighting
   network, whose optimiser steps;
5. real step: the weights recomputed by the updated network (constants), and the model's
   optimiser minimises ``target mean loss + sum_k mean_i w_ki l_ki``. The per-example losses of
   step 1 are reused: the real model is still at theta, on the same batch.

What differs from the official code:

- the look-ahead is differentiable: the released code takes an in-place AdamW step on a copy of
  the model, which leaves the meta loss without a path to the weighting network (its gradient is
  zero, so it keeps its random initialisation); here an SGD step of size ``step_size``;
- the target's examples are not weighted (the released code feeds them to the weighting network
  too, with task id "target" and cosine 1): target loss + weighted auxiliary losses;
- the loss value fed to the weighting network is detached (an input feature, as in Meta-Weight-
  Net; the released code lets gradients flow through it);
- no gradient clipping (the released code clips at 0.5) and no learning-rate schedule;
- losses are computed once per step and reused by the real step, instead of a second forward
  pass of the real model (same parameters, same batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.func import functional_call
from torch.nn import functional as F

#: the name of the target task in a :class:`~harness_pretraining.aux_model.MultiTaskModel`
TARGET = "target"
#: the weightings, in the order the method's parameter lists them
WEIGHTINGS = ("adaptive", "equal", "target-only")


@dataclass
class StepReport:
    """What one training step measured: the target's mean loss and, per auxiliary task, its
    mean loss, its examples' mean weight (real step) and its gradient cosine (adaptive only)."""

    target_loss: float
    auxiliary_losses: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    cosines: list[float] = field(default_factory=list)


class WeightingNetwork(nn.Module):
    """Per-example weight in (0, 1) from [loss value, one-hot task id over the auxiliary tasks,
    cosine with the target's gradient]: Linear -> ReLU -> Linear -> sigmoid (the official
    ``Weight`` with ``act_type='sigmoid'``)."""

    def __init__(self, num_tasks: int, hidden: int):
        super().__init__()
        self.num_tasks = num_tasks
        self.layers = nn.Sequential(nn.Linear(num_tasks + 2, hidden), nn.ReLU(), nn.Linear(hidden, 1), nn.Sigmoid())

    def forward(self, features: Tensor) -> Tensor:
        return self.layers(features).squeeze(-1)


def weighting_features(losses: Tensor, task: int, num_tasks: int, cosine: float) -> Tensor:
    """One row per example of auxiliary task ``task``: [loss value, one-hot task id, cosine];
    constants (no gradient reaches the model through them)."""
    count = losses.numel()
    task_id = F.one_hot(torch.tensor(task, device=losses.device), num_tasks).to(losses.dtype).expand(count, num_tasks)
    return torch.cat([losses.detach().view(count, 1), task_id, losses.new_full((count, 1), cosine)], dim=1)


def mean_loss(losses: Tensor) -> Tensor:
    """The mean of per-example losses; 0 for a task without examples in this batch (a contrastive
    objective that found fewer than two molecules to pair)."""
    return losses.sum() / max(losses.numel(), 1)


def weighted_total(target: Tensor, auxiliary: list[Tensor], weights: list[Tensor]) -> Tensor:
    """Target mean loss plus each auxiliary task's mean weighted loss."""
    total = target.mean()
    for losses, weight in zip(auxiliary, weights):
        total = total + mean_loss(losses * weight)
    return total


def _flat_gradient(loss: Tensor, parameters: list[Tensor]) -> Tensor:
    if not loss.requires_grad:
        return torch.cat([torch.zeros_like(p).flatten() for p in parameters])
    grads = torch.autograd.grad(loss, parameters, retain_graph=True, allow_unused=True)
    return torch.cat([(torch.zeros_like(p) if g is None else g).flatten() for p, g in zip(parameters, grads)])


def gradient_cosines(target: Tensor, auxiliary: list[Tensor], shared: list[Tensor]) -> list[float]:
    """Per auxiliary task, the cosine between the gradients of the target's loss and of its loss
    with respect to the ``shared`` parameters (0 where either gradient is zero)."""
    reference = _flat_gradient(target, shared)
    cosines = []
    for loss in auxiliary:
        gradient = _flat_gradient(loss, shared)
        norms = reference.norm() * gradient.norm()
        cosines.append(float(reference @ gradient / norms) if norms > 0 else 0.0)
    return cosines


def look_ahead(parameters: dict[str, Tensor], loss: Tensor, step_size: float) -> dict[str, Tensor]:
    """``theta - step_size * grad(loss)``, differentiable in whatever ``loss`` depends on (the
    weights): the gradient is taken with ``create_graph``, never applied in place."""
    grads = torch.autograd.grad(loss, list(parameters.values()), create_graph=True, allow_unused=True)
    return {name: value if grad is None else value - step_size * grad for (name, value), grad in zip(parameters.items(), grads)}


def target_loss_at(model: nn.Module, parameters: dict[str, Tensor], batch, generator=None) -> Tensor:
    """The target's mean loss on ``batch`` with ``parameters`` in place of the model's (the
    others, buffers included, as they are: buffers are copies, so that a look-ahead in training
    mode leaves the real model's running statistics alone)."""
    buffers = {name: buffer.clone() for name, buffer in model.named_buffers()}
    return functional_call(model, {**buffers, **parameters}, (batch,), {"task": TARGET, "generator": generator}).mean()


class TargetOnly:
    """The target loss alone; no auxiliary loss is ever computed."""

    names: tuple[str, ...] = ()

    def step(self, model, batch, optimizer, generator=None) -> StepReport:
        optimizer.zero_grad()
        loss = model(batch, task=TARGET, generator=generator).mean()
        loss.backward()
        optimizer.step()
        return StepReport(float(loss.detach()))


class Equal:
    """Target loss plus every auxiliary task's mean loss, every example weighted 1."""

    def __init__(self, names: tuple[str, ...]):
        self.names = tuple(names)

    def losses(self, model, batch, generator=None) -> tuple[Tensor, list[Tensor]]:
        target = model(batch, task=TARGET, generator=generator)
        return target, [model(batch, task=name, generator=generator) for name in self.names]

    def step(self, model, batch, optimizer, generator=None) -> StepReport:
        target, auxiliary = self.losses(model, batch, generator)
        ones = [torch.ones_like(losses) for losses in auxiliary]
        optimizer.zero_grad()
        weighted_total(target, auxiliary, ones).backward()
        optimizer.step()
        return StepReport(float(target.detach().mean()), [float(mean_loss(losses.detach())) for losses in auxiliary], [1.0] * len(auxiliary))


class Adaptive(Equal):
    """AUX-TS: per-example weights from the weighting network, learnt through a differentiable
    look-ahead on the training examples (the module docstring has the steps)."""

    def __init__(self, names: tuple[str, ...], network: WeightingNetwork, lr: float, step_size: float):
        super().__init__(names)
        self.network = network
        self.optimizer = torch.optim.Adam(network.parameters(), lr=lr)
        self.step_size = step_size

    def features(self, model, target: Tensor, auxiliary: list[Tensor]) -> tuple[list[Tensor], list[float]]:
        """The weighting network's inputs per auxiliary task, and the tasks' gradient cosines."""
        shared = list(model.shared_parameters())
        cosines = gradient_cosines(target.mean(), [mean_loss(losses) for losses in auxiliary], shared)
        inputs = [weighting_features(losses, k, len(auxiliary), cosine) for k, (losses, cosine) in enumerate(zip(auxiliary, cosines))]
        return inputs, cosines

    def meta_loss(self, model, batch, target: Tensor, auxiliary: list[Tensor], inputs: list[Tensor], generator=None) -> Tensor:
        """The target's loss on the training batch after one look-ahead step with the weighted
        loss; differentiable in the weighting network's parameters."""
        weights = [self.network(rows) for rows in inputs]
        ahead = look_ahead(dict(model.target_parameters()), weighted_total(target, auxiliary, weights), self.step_size)
        return target_loss_at(model, ahead, batch, generator)

    def update_network(self, meta: Tensor) -> None:
        parameters = list(self.network.parameters())
        # retain: the real step backpropagates through the same per-example losses
        grads = torch.autograd.grad(meta, parameters, retain_graph=True, allow_unused=True)
        self.optimizer.zero_grad()
        for parameter, grad in zip(parameters, grads):
            parameter.grad = torch.zeros_like(parameter) if grad is None else grad
        self.optimizer.step()

    def step(self, model, batch, optimizer, generator=None) -> StepReport:
        target, auxiliary = self.losses(model, batch, generator)
        inputs, cosines = self.features(model, target, auxiliary)
        self.update_network(self.meta_loss(model, batch, target, auxiliary, inputs, generator))
        with torch.no_grad():
            weights = [self.network(rows) for rows in inputs]
        optimizer.zero_grad()
        weighted_total(target, auxiliary, weights).backward()
        optimizer.step()
        return StepReport(float(target.detach().mean()), [float(mean_loss(losses.detach())) for losses in auxiliary],
                          [float(mean_loss(weight)) for weight in weights], cosines)


def weighting(mode: str, names: tuple[str, ...], hidden: int, lr: float, step_size: float, device=None):
    """The weighting ``mode`` (one of :data:`WEIGHTINGS`) over the auxiliary tasks ``names``."""
    if mode == "target-only":
        return TargetOnly()
    if not names:
        raise ValueError(f"weighting {mode!r} needs at least one auxiliary task; use 'target-only' for none")
    if mode == "equal":
        return Equal(names)
    if mode == "adaptive":
        return Adaptive(names, WeightingNetwork(len(names), hidden).to(device), lr, step_size)
    raise ValueError(f"unknown weighting {mode!r}; valid: {', '.join(WEIGHTINGS)}")
