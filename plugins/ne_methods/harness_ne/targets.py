"""Label matrices and soft losses shared by the NE methods.

Single-label tasks use class distributions (rows summing to 1) and soft cross-entropy;
multi-label tasks use per-label probabilities and binary cross-entropy, with missing gold labels
(NaN) left out of the loss. Only training labels ever enter a target: validation labels are for
selecting epochs, and test labels are not in the task a method receives.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from harness.components import TaskType


def is_multilabel(task) -> bool:
    return task.task_type == TaskType.NODE_MULTILABEL


def gold_rows(task) -> torch.Tensor:
    """The training labels as a float matrix (one-hot rows for single-label tasks)."""
    labels = task.labels["train"]
    if is_multilabel(task):
        return labels.float()
    return F.one_hot(labels.long().view(-1), task.num_outputs).float()


def probabilities(logits: torch.Tensor, multilabel: bool, temperature: float = 1.0) -> torch.Tensor:
    """``softmax(logits / T)`` (single-label) or ``sigmoid(logits / T)`` (multi-label)."""
    scaled = logits / temperature
    return torch.sigmoid(scaled) if multilabel else torch.softmax(scaled, dim=-1)


def gold_and_pseudo(task, logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Y_hat of every node: the gold label on training nodes (where known), the model's soft
    prediction at ``temperature`` everywhere else."""
    multilabel = is_multilabel(task)
    matrix = probabilities(logits.detach().float(), multilabel, temperature).clone()
    train = task.items["train"]
    gold = gold_rows(task).to(matrix.device)
    known = ~torch.isnan(gold)
    rows = matrix[train]
    rows[known] = gold[known]
    matrix[train] = rows
    return matrix


def soft_loss(logits: torch.Tensor, target: torch.Tensor, multilabel: bool) -> torch.Tensor:
    """Per-row loss against soft targets: cross-entropy with a distribution, or binary
    cross-entropy averaged over the known labels (NaN targets are skipped)."""
    if not multilabel:
        return -(target * F.log_softmax(logits, dim=-1)).sum(dim=-1)
    known = ~torch.isnan(target)
    losses = F.binary_cross_entropy_with_logits(logits, torch.nan_to_num(target), reduction="none")
    return (losses * known).sum(dim=-1) / known.sum(dim=-1).clamp(min=1)


def squared_hinge(scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-row mean of ``max(0, 1 - y s)^2`` over the entries whose target ``y`` is +1 or -1
    (NaN: not a candidate, skipped); XR-Transformer's ranking loss."""
    known = ~torch.isnan(target)
    losses = torch.relu(1 - torch.nan_to_num(target) * scores).pow(2)
    return (losses * known).sum(dim=-1) / known.sum(dim=-1).clamp(min=1)


def weighted_mean(losses: torch.Tensor, is_train: torch.Tensor, alpha: float) -> torch.Tensor:
    """``alpha * mean(non-training rows) + (1 - alpha) * mean(training rows)``; a batch with
    rows of only one kind uses that kind's mean."""
    train, other = losses[is_train], losses[~is_train]
    if not len(other):
        return train.mean()
    if not len(train):
        return other.mean()
    return alpha * other.mean() + (1 - alpha) * train.mean()
