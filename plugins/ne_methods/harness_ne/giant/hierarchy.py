"""The label hierarchy of GIANT: label embeddings clustered by recursive spherical k-means."""

from __future__ import annotations

import torch
from torch.nn import functional as F


def spherical_kmeans(points: torch.Tensor, k: int, generator: torch.Generator, iterations: int = 20) -> torch.Tensor:
    """Cluster ids of unit-norm ``points`` by cosine similarity; k-means++ seeding."""
    n = len(points)
    centres = [int(torch.randint(n, (1,), generator=generator))]
    for _ in range(1, k):
        distance = (1 - points @ points[centres].T).min(dim=1).values.clamp(min=0)  # to the nearest centre
        weights = distance if distance.sum() > 0 else torch.ones(n)
        centres.append(int(torch.multinomial(weights, 1, generator=generator)))
    centroids = points[centres]
    for _ in range(iterations):
        assignment = (points @ centroids.T).argmax(dim=1)
        sums = torch.zeros_like(centroids).index_add_(0, assignment, points)
        empty = torch.bincount(assignment, minlength=k) == 0
        sums[empty] = points[torch.randint(n, (int(empty.sum()),), generator=generator)]
        centroids = F.normalize(sums, dim=1)
    return (points @ centroids.T).argmax(dim=1)


def build_levels(embeddings: torch.Tensor, branching: int, leaf_size: int, seed: int) -> list[torch.Tensor]:
    """Cluster ids of every label at each level, coarse to fine; each cluster with more than
    ``leaf_size`` labels is split into ``branching`` children at the next level, the others
    carry over unchanged."""
    generator = torch.Generator().manual_seed(seed)
    current = torch.zeros(len(embeddings), dtype=torch.long)
    levels = []
    while torch.bincount(current).max() > leaf_size:
        split = torch.empty_like(current)
        next_id = 0
        for cluster in range(int(current.max()) + 1):
            members = (current == cluster).nonzero().view(-1)
            if len(members) > leaf_size:
                parts = spherical_kmeans(embeddings[members], min(branching, len(members)), generator)
                _, parts = torch.unique(parts, return_inverse=True)
            else:
                parts = torch.zeros(len(members), dtype=torch.long)
            split[members] = parts + next_id
            next_id += int(parts.max()) + 1 if len(members) else 0
        current = split
        levels.append(current)
    return levels or [current]
