"""Pure split functions for dataset plugins, and the split a cell asks its dataset for.

A dataset declares the split protocols it offers (``Component(..., splits=(FIXED, PER_SEED,
FOLDS))``); under ``per-seed`` and ``folds`` its factory receives ``split_choice``, a
:class:`Split` whose ``index`` is the split seed or the fold and whose ``count`` is the number
of folds. The functions below turn labels (or an item count) and a seed into train, valid and
test indices: numpy only, each part a sorted ``int64`` array, determined by its arguments alone
(each draws from its own ``numpy.random.default_rng``, never from global state).

Example, a loader offering the three protocols::

    def load(root, split_seed=0, split_choice=None):
        labels = ...
        if split_choice is not None and split_choice.protocol == FOLDS:
            parts = fold_split(labels, split_choice.index, split_choice.count, seed=split_seed)
        else:
            seed = split_choice.index if split_choice is not None else split_seed
            parts = per_class_split(labels, seed, train_per_class=20, valid_per_class=30)
        items = {name: torch.from_numpy(index) for name, index in parts.items()}
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np

from harness.cell import FIXED, FOLDS, PER_SEED, SPLIT_PROTOCOLS, Split

__all__ = [
    "FIXED",
    "FOLDS",
    "LTD_PER_CLASS",
    "PER_SEED",
    "SPLIT_PROTOCOLS",
    "Split",
    "fold_split",
    "per_class_parts",
    "per_class_split",
    "per_class_train_split",
    "random_fraction_split",
    "stratified_folds",
]

Parts = dict[str, np.ndarray]

#: LTD's protocol (Guo et al., WSDM 2023), per class: 20 training nodes (hard labels), 20 for
#: the ``meta`` split (only for learning how to distil) and 10 validation nodes (early
#: stopping); every other node of the largest connected component is a test node
#: (:func:`harness.data.components.ltd_split`)
LTD_PER_CLASS = {"train": 20, "meta": 20, "valid": 10}


def _sorted_parts(**parts: Iterable[int]) -> Parts:
    return {name: np.sort(np.asarray(index, dtype=np.int64)) for name, index in parts.items()}


def stratified_folds(labels: np.ndarray, k: int, seed) -> np.ndarray:
    """The fold (0..k-1) of every item: the items of each class shuffled, then dealt round-robin
    to the folds, the deal continuing from one class to the next, so that folds differ in size
    by at most one item and in each class's count by at most one. ``seed``: anything
    ``numpy.random.default_rng`` takes (an int, or a list of ints)."""
    if k < 2:
        raise ValueError(f"k-fold needs k >= 2, got {k}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    fold = np.empty(len(labels), dtype=np.int64)
    start = 0
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        fold[members] = (start + np.arange(len(members))) % k
        start = (start + len(members)) % k
    return fold


def fold_split(labels: np.ndarray, fold: int, k: int, seed: int = 0, valid_folds: int = 10) -> Parts:
    """Fold ``fold`` of a stratified ``k``-fold cross-validation drawn from ``seed``: test = the
    fold; valid = one of ``valid_folds`` stratified folds of the remaining items (drawn from
    ``(seed, fold)``), train = the rest."""
    if not 0 <= fold < k:
        raise ValueError(f"fold must be in 0..{k - 1}, got {fold}")
    labels = np.asarray(labels)
    folds = stratified_folds(labels, k, seed)
    test = np.flatnonzero(folds == fold)
    rest = np.flatnonzero(folds != fold)
    inner = stratified_folds(labels[rest], valid_folds, [seed, fold])
    return _sorted_parts(train=rest[inner != 0], valid=rest[inner == 0], test=test)


def per_class_split(labels: np.ndarray, seed: int, train_per_class: int, valid_per_class: int) -> Parts:
    """Per class, ``train_per_class`` training and ``valid_per_class`` validation items drawn
    from ``seed``; every other item is a test item (Shchur et al. 2018's protocol). A class too
    small to leave a test item is an error."""
    return per_class_parts(labels, seed, {"train": train_per_class, "valid": valid_per_class})


def per_class_parts(labels: np.ndarray, seed: int, per_class: Mapping[str, int], exclude: Iterable[int] = ()) -> Parts:
    """Per class, the items of each part of ``per_class`` (part name -> count, drawn in that
    order from one permutation of the class's items) and every other item for ``test``, all
    drawn from ``seed``. LTD's protocol is ``{"train": 20, "meta": 20, "valid": 10}``. Items in
    ``exclude`` (unlabelled ones) are in no part. A class too small to leave a test item is an
    error."""
    labels = np.asarray(labels)
    pool = np.ones(len(labels), dtype=bool)
    pool[np.asarray(list(exclude), dtype=np.int64)] = False
    rng = np.random.default_rng(seed)
    needed = sum(per_class.values())
    parts: dict[str, list[np.ndarray]] = {name: [] for name in [*per_class, "test"]}
    for c in np.unique(labels[pool]):
        members = rng.permutation(np.flatnonzero(pool & (labels == c)))
        if len(members) <= needed:
            counts = " and ".join(f"{count} {name}" for name, count in per_class.items())
            raise ValueError(f"class {c} has {len(members)} items: {counts} items per class leave none for test")
        start = 0
        for name, count in per_class.items():
            parts[name].append(members[start : start + count])
            start += count
        parts["test"].append(members[start:])
    return _sorted_parts(**{name: np.concatenate(index) for name, index in parts.items()})


def per_class_train_split(labels: np.ndarray, seed: int, train_per_class: int, num_valid: int, num_test: int, exclude: Iterable[int] = ()) -> Parts:
    """``train_per_class`` training items of every class 0..max (all of a smaller class), then
    ``num_valid`` validation and ``num_test`` test items from the rest (Planetoid's random split);
    items in ``exclude`` (unlabelled ones) are never drawn."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    pool = np.ones(len(labels), dtype=bool)
    pool[np.asarray(list(exclude), dtype=np.int64)] = False
    train = np.concatenate([rng.permutation(np.flatnonzero(pool & (labels == c)))[:train_per_class] for c in range(int(labels.max()) + 1)])
    pool[train] = False
    rest = rng.permutation(np.flatnonzero(pool))
    return _sorted_parts(train=train, valid=rest[:num_valid], test=rest[num_valid : num_valid + num_test])


def random_fraction_split(n: int, seed: int, train: float, valid: float) -> Parts:
    """A permutation of ``n`` items drawn from ``seed``: the first ``floor(train n)`` train, the
    next ``floor(valid n)`` validate, the rest test."""
    order = np.random.default_rng(seed).permutation(n)
    a = math.floor(train * n)
    b = a + math.floor(valid * n)
    return _sorted_parts(train=order[:a], valid=order[a:b], test=order[b:])
