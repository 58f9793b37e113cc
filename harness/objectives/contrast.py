"""The pieces the contrastive objectives share: the binary loss on positive and negative
scores, and the pairing of each graph with another graph of the batch.

Hu et al. (ICLR 2020; https://github.com/snap-stanford/pretrain-gnns, chem/) score positives
and negatives with ``BCEWithLogitsLoss`` each and draw a negative by shifting the graphs of the
batch cyclically by one; these functions do the same.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F


class NotEnoughGraphs(ValueError):
    """A batch with fewer than two usable graphs, where a negative must come from another graph.

    A training loop may catch it and skip the batch (a loader's last, short batch, say)."""


def binary_contrast_loss(positive: Tensor, negative: Tensor) -> Tensor:
    """``BCE(positive, 1) + BCE(negative, 0)`` on logits, each term the mean over its scores."""
    return (F.binary_cross_entropy_with_logits(positive, torch.ones_like(positive))
            + F.binary_cross_entropy_with_logits(negative, torch.zeros_like(negative)))


def binary_contrast_terms(positive: Tensor, negative: Tensor) -> Tensor:
    """The per-pair terms of :func:`binary_contrast_loss`: each positive and each negative pair
    is one example, its BCE scaled by the share of examples its side holds, so that the terms'
    mean is the loss itself (with as many negatives as positives, twice each pair's BCE). An
    empty side contributes no term."""
    count = positive.numel() + negative.numel()
    terms = []
    for scores, target in ((positive, torch.ones_like(positive)), (negative, torch.zeros_like(negative))):
        if scores.numel():
            bce = F.binary_cross_entropy_with_logits(scores, target, reduction="none")
            terms.append(bce * (count / scores.numel()))
    return torch.cat(terms) if terms else positive.new_zeros(0)


def shifted_by_one(count: int, device: torch.device | str | None = None) -> Tensor:
    """Index of the partner of each of ``count`` graphs: the next one, the last with the first.

    No graph is its own partner when ``count >= 2``; fewer is refused."""
    if count < 2:
        raise NotEnoughGraphs(f"a negative pairs a graph with another one of the batch: need at least 2 graphs, got {count}")
    return torch.roll(torch.arange(count, device=device), -1)


def dot_scores(left: Tensor, right: Tensor) -> Tensor:
    """Row-wise dot products: the score of each pair of embeddings."""
    return (left * right).sum(dim=-1)
