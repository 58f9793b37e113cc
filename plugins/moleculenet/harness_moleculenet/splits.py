"""Train/validation/test splits of a molecule list, 80/10/10.

- ``scaffold`` (deterministic; Hu et al. and OGB's protocol, pretraining.md): group the
  molecules by Bemis-Murcko scaffold with chirality (acyclic molecules share the scaffold
  ``''``); order the groups by size, largest first, and among groups of equal size by the
  index of their first molecule, *larger first* (the reference code sorts the pair
  ``(size, first index)`` in descending order; this keeps its splits, OGB's included); then
  take the groups in that order and put each whole group in train if train stays within
  ``0.8 n``, otherwise in valid if train + valid stays within ``0.9 n``, otherwise in test.
  A group never straddles two parts. A later, smaller group can still go to train or valid
  after a larger one went further on: that is the reference's greedy fill.
- ``random-scaffold`` (Hu et al.'s random scaffold split): the scaffold groups in an order
  drawn from ``seed``; each group goes to valid while valid stays within ``floor(0.1 n)``,
  else to test while test stays within ``floor(0.1 n)``, else to train.
- ``random``: a permutation drawn from ``seed``; the first ``floor(0.8 n)`` molecules train,
  the next ``floor(0.1 n)`` validate, the rest test.

Indices in each part are returned sorted.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from harness.data.splits import random_fraction_split

SPLITS = ("scaffold", "random", "random-scaffold")
FRACTIONS = (0.8, 0.1, 0.1)


def scaffold_groups(scaffolds: Sequence[str]) -> list[list[int]]:
    """Molecule indices per scaffold, in the deterministic order described above."""
    groups: dict[str, list[int]] = {}
    for index, scaffold in enumerate(scaffolds):
        groups.setdefault(scaffold, []).append(index)
    return sorted(groups.values(), key=lambda members: (len(members), members[0]), reverse=True)


def scaffold_split(scaffolds: Sequence[str], fractions=FRACTIONS) -> dict[str, list[int]]:
    n = len(scaffolds)
    train_cutoff = fractions[0] * n
    valid_cutoff = (fractions[0] + fractions[1]) * n
    parts: dict[str, list[int]] = {"train": [], "valid": [], "test": []}
    for members in scaffold_groups(scaffolds):
        if len(parts["train"]) + len(members) <= train_cutoff:
            parts["train"] += members
        elif len(parts["train"]) + len(parts["valid"]) + len(members) <= valid_cutoff:
            parts["valid"] += members
        else:
            parts["test"] += members
    return {name: sorted(members) for name, members in parts.items()}


def random_scaffold_split(scaffolds: Sequence[str], seed: int, fractions=FRACTIONS) -> dict[str, list[int]]:
    n = len(scaffolds)
    groups: dict[str, list[int]] = {}
    for index, scaffold in enumerate(scaffolds):
        groups.setdefault(scaffold, []).append(index)
    ordered = list(groups.values())  # first-appearance order, then shuffled by the seed
    order = np.random.default_rng(seed).permutation(len(ordered))
    valid_size, test_size = math.floor(fractions[1] * n), math.floor(fractions[2] * n)
    parts: dict[str, list[int]] = {"train": [], "valid": [], "test": []}
    for position in order:
        members = ordered[position]
        if len(parts["valid"]) + len(members) <= valid_size:
            parts["valid"] += members
        elif len(parts["test"]) + len(members) <= test_size:
            parts["test"] += members
        else:
            parts["train"] += members
    return {name: sorted(members) for name, members in parts.items()}


def random_split(n: int, seed: int, fractions=FRACTIONS) -> dict[str, list[int]]:
    """:func:`harness.data.splits.random_fraction_split` as lists."""
    parts = random_fraction_split(n, seed, fractions[0], fractions[1])
    return {name: index.tolist() for name, index in parts.items()}


def make_split(kind: str, scaffolds: Sequence[str], seed: int) -> dict[str, list[int]]:
    if kind == "scaffold":
        return scaffold_split(scaffolds)
    if kind == "random-scaffold":
        return random_scaffold_split(scaffolds, seed)
    if kind == "random":
        return random_split(len(scaffolds), seed)
    raise ValueError(f"unknown split {kind!r}; valid: {', '.join(SPLITS)}")
