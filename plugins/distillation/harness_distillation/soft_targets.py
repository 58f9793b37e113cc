"""The distillation loss every student method of this plugin minimises, as LTD's reference code
writes it (``distill_train`` in github.com/BUPT-GAMMA/LTD): a cross-entropy between the
teacher's softmax at each node's temperature and the student's softmax at temperature 1, summed
over every node, plus ``lam`` times the cross-entropy of the student on the hard labels of the
training nodes, summed.

- FT/KD: one temperature for every node; BAN: temperature 1 and ``lam`` 0 (the student learns
  from the teacher's soft labels alone); LTD: one learned temperature per node
  (:mod:`.temperatures`).
- Sums, not means, and no T^2 factor on the soft term, as in the reference code; the step size
  of the student's SGD step is set for sums (:mod:`.student`).
- Both cross-entropies add ``SMOOTHING`` (1e-6) to the target and to the student's probability
  inside the logarithm, as the reference code does, which keeps a zero probability finite.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

SMOOTHING = 1e-6


def soft_cross_entropy(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature) -> torch.Tensor:
    """Per node, the cross-entropy of the student's softmax against the teacher's softmax at
    ``temperature`` (a number, or one temperature per node as an ``(n,)`` or ``(n, 1)`` tensor;
    the student's logits are not scaled)."""
    if torch.is_tensor(temperature):
        temperature = temperature.reshape(-1, 1)
    target = F.softmax(teacher_logits / temperature, dim=-1)
    return -((target + SMOOTHING) * torch.log(F.softmax(student_logits, dim=-1) + SMOOTHING)).sum(dim=-1)


def hard_cross_entropy(student_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per node, the smoothed cross-entropy of the student's softmax against one-hot ``labels``."""
    one_hot = F.one_hot(labels, student_logits.size(-1)).to(student_logits.dtype)
    return -((one_hot + SMOOTHING) * torch.log(F.softmax(student_logits, dim=-1) + SMOOTHING)).sum(dim=-1)


def distillation_loss(student_logits, teacher_logits, temperature, train_items, train_labels, lam: float) -> torch.Tensor:
    """The soft term over every node plus ``lam`` times the hard term over the training nodes."""
    soft = soft_cross_entropy(student_logits, teacher_logits, temperature).sum()
    if lam == 0:
        return soft
    return soft + lam * hard_cross_entropy(student_logits[train_items], train_labels).sum()
