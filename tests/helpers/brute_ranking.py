"""Recall@K and NDCG@K by brute force, for the ranking metrics' tests."""

from __future__ import annotations

import itertools
import math

import numpy as np


def every_tie_break(scores, positives, mask, k):
    """Recall@k and NDCG@k of one query under every order consistent with the scores (ties
    broken every possible way), one row per order."""
    candidates = [c for c in range(len(scores)) if not mask[c]]
    n_pos = int(positives.sum())
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, n_pos)))
    results = []
    for order in itertools.permutations(candidates):
        if any(scores[a] < scores[b] for a, b in zip(order, order[1:])):
            continue
        top = order[:k]
        recall = sum(positives[c] for c in top) / n_pos
        dcg = sum(1 / math.log2(i + 2) for i, c in enumerate(top) if positives[c])
        results.append((recall, dcg / ideal))
    return np.array(results)
