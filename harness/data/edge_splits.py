"""Seeded edge splits for link prediction, with an equal number of negatives (numpy only;
everything is drawn from ``numpy.random.default_rng(seed)``, so a split depends on the seed and
the graph alone, never on a global random state).

:func:`split_edges` holds out ``floor(valid_fraction * m)`` edges for validation and
``floor(test_fraction * m)`` for test (the rounding of PyG's ``RandomLinkSplit``); the rest
are the training edges, the only ones messages may pass over (build the message graph from
``EdgeSplit.train`` alone, for example with :func:`harness.data.readers.edge_index`).
Validation and test each get as many negatives as positives: distinct unordered pairs ``u < v``
drawn uniformly from the pairs that are not edges of the full graph (so a negative is never a
held-out positive), no self-pair, and no pair shared between validation and test.
:func:`mix` shuffles positives and negatives into one labelled list; :func:`split_items` splits
labelled edges (or any items) that need no negatives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_ENUMERATE_UP_TO = 2000  # nodes: below this, negatives are drawn from the enumerated non-edges


@dataclass
class EdgeSplit:
    """Each array is (k, 2) int64 with ``u < v``."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    valid_negative: np.ndarray
    test_negative: np.ndarray


def check_fractions(valid_fraction: float, test_fraction: float) -> None:
    """Raise ``ValueError`` unless both fractions are in (0, 1) and leave training items."""
    if not (0 < valid_fraction < 1 and 0 < test_fraction < 1 and valid_fraction + test_fraction < 1):
        raise ValueError(f"valid_fraction ({valid_fraction}) and test_fraction ({test_fraction}) must be in (0, 1) and sum to less than 1")


def held_out_counts(num_items: int, valid_fraction: float, test_fraction: float, what: str = "edges") -> tuple[int, int]:
    """How many of ``num_items`` go to validation and to test (rounded down); ``ValueError``
    when a part would be empty."""
    check_fractions(valid_fraction, test_fraction)
    valid, test = int(valid_fraction * num_items), int(test_fraction * num_items)
    if valid < 1 or test < 1 or num_items - valid - test < 1:
        raise ValueError(
            f"{num_items} {what} are too few for valid_fraction={valid_fraction} and test_fraction={test_fraction}: "
            f"the split would hold {num_items - valid - test} train, {valid} valid and {test} test {what}"
        )
    return valid, test


def sample_non_edges(edges: np.ndarray, num_nodes: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct unordered pairs ``u < v`` that are not in ``edges``, uniformly."""
    n = int(num_nodes)
    available = n * (n - 1) // 2 - len(edges)
    if count > available:
        raise ValueError(f"asked for {count} negative pairs but the graph has only {available} non-adjacent pairs")
    if count == 0:
        return np.zeros((0, 2), dtype=np.int64)
    edge_keys = edges[:, 0] * n + edges[:, 1]
    if n <= _ENUMERATE_UP_TO:
        u, v = np.triu_indices(n, k=1)
        keys = u.astype(np.int64) * n + v
        chosen = rng.choice(keys[~np.isin(keys, edge_keys)], size=count, replace=False)
    else:
        taken, chosen, seen = set(edge_keys.tolist()), [], set()
        while len(chosen) < count:
            draw = rng.integers(0, n, size=(2 * (count - len(chosen)) + 16, 2))
            draw = draw[draw[:, 0] != draw[:, 1]]
            draw.sort(axis=1)
            for key in (draw[:, 0] * n + draw[:, 1]).tolist():
                if key not in taken and key not in seen:
                    seen.add(key)
                    chosen.append(key)
                    if len(chosen) == count:
                        break
        chosen = np.array(chosen, dtype=np.int64)
    chosen = np.asarray(chosen, dtype=np.int64)
    return np.stack([chosen // n, chosen % n], axis=1)


def split_edges(edges: np.ndarray, num_nodes: int, valid_fraction: float, test_fraction: float, seed: int) -> EdgeSplit:
    """Hold out validation and test edges and draw their negatives (see the module docstring)."""
    edges = np.asarray(edges, dtype=np.int64)
    n_valid, n_test = held_out_counts(len(edges), valid_fraction, test_fraction)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(edges))
    valid, test, train = edges[order[:n_valid]], edges[order[n_valid : n_valid + n_test]], edges[order[n_valid + n_test :]]
    negatives = sample_non_edges(edges, num_nodes, n_valid + n_test, rng)
    return EdgeSplit(train=train, valid=valid, test=test, valid_negative=negatives[:n_valid], test_negative=negatives[n_valid:])


def mix(positive: np.ndarray, negative: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Positives and negatives as one list of pairs in a random order, with 0/1 labels. The order
    is shuffled so that an item's position says nothing about its label."""
    pairs = np.concatenate([positive, negative])
    labels = np.concatenate([np.ones(len(positive)), np.zeros(len(negative))])
    order = rng.permutation(len(pairs))
    return pairs[order], labels[order]


def split_items(num_items: int, valid_fraction: float, test_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """A seeded random split of item indices (for labelled edges: no negatives needed)."""
    n_valid, n_test = held_out_counts(num_items, valid_fraction, test_fraction, what="items")
    order = np.random.default_rng(seed).permutation(num_items)
    return {"valid": np.sort(order[:n_valid]), "test": np.sort(order[n_valid : n_valid + n_test]), "train": np.sort(order[n_valid + n_test :])}
