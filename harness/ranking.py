"""Ranking metrics for link prediction: OGB's MRR against per-positive negatives, and
full-ranking Recall@K / NDCG@K over all candidates with training edges masked (as AnyGraph,
Xia & Huang 2024, reports). numpy only; torch tensors are accepted as input.

Like :mod:`harness.evaluator`, every function checks its input and refuses what is malformed
with a message that says what it expected (:class:`~harness.evaluator.EvaluatorInputError`).

**MRR** (``ogb.linkproppred.Evaluator('ogbl-citation2')``): positive ``i`` with score
``y_pred_pos[i]`` is ranked among its own negatives ``y_pred_neg[i, :]``;
``rank = 1 + #(negatives scoring higher) + 0.5 * #(negatives scoring the same)`` (OGB's mean of
the optimistic and the pessimistic rank), and MRR is the mean of ``1 / rank``. Hits@K in the
same contract is the share of positives with ``rank <= K``.

**Full ranking** (:func:`full_ranking`): for each query (row of ``scores``, one score per
candidate), the candidates in ``train_mask`` are removed (the query's training edges; add the
query itself if self-pairs are not candidates), the rest are sorted by decreasing score, and
with ``P`` the query's held-out positives (``positives``; all unmasked) and ``hits`` those in
the top ``K``:

- ``Recall@K = |hits| / |P|`` (AnyGraph's and LightGCN's definition; it cannot reach 1 when
  ``|P| > K``);
- ``NDCG@K = DCG / IDCG`` with ``DCG = sum over hits of 1 / log2(position + 2)`` (positions
  counted from 0) and ``IDCG = sum over i < min(K, |P|) of 1 / log2(i + 2)``.

Queries without a held-out positive are skipped; the reported value is the mean over the
others. **Ties** (``ties=``): ``"expected"`` (default) is the exact expectation over a uniformly
random order among tied candidates (each positive tied with ``e - 1`` others at positions
``a .. a+e-1`` gets the mean of those positions' gains), so a constant scorer gets the value of
a random ranking and the result never depends on the order of the candidates;
``"pessimistic"`` puts tied positives after tied negatives (a lower bound over tie-breaks);
``"optimistic"`` before them (an upper bound).

**Filtered MRR** (:func:`filtered_ranks`): in the full-ranking setting, each held-out positive
is ranked among its query's candidates that are neither masked nor other held-out positives,
ties counting half as in OGB's MRR; MRR is the mean of ``1 / rank`` over all held-out positives.

**The link-ranking protocol** (task type ``link-ranking``): a dataset's validation and test
labels are ranking targets (:func:`ranking_target`, built from edge lists by
:func:`ranking_splits`), a method returns a score for every (query, candidate) pair, and the
registered metrics ``mrr``, ``recall@K`` and ``ndcg@K`` (:class:`RankingMetric`) score them here,
in the harness, with the query's known edges left out.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from harness.evaluator import EvaluatorInputError, _as_numpy

TIES = ("expected", "pessimistic", "optimistic")
OGB_HITS = (1, 3, 10)


# --- input checks ---------------------------------------------------------------------------


def _scores(name: str, value, ndim: int) -> np.ndarray:
    array = _as_numpy(name, value)
    if array.ndim != ndim:
        raise EvaluatorInputError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise EvaluatorInputError(f"{name} must hold numbers, got dtype {array.dtype}")
    if not np.all(np.isfinite(array)):
        raise EvaluatorInputError(f"{name} contains NaN or infinite values (pass training edges through train_mask, not as -inf)")
    return array.astype(np.float64)


def _mask(name: str, value, shape: tuple[int, ...]) -> np.ndarray:
    array = _as_numpy(name, value)
    if array.shape != shape:
        raise EvaluatorInputError(f"{name} must have the shape of scores {shape}, got {array.shape}")
    if array.dtype != np.bool_:
        if not (np.issubdtype(array.dtype, np.number) and np.isin(array, (0, 1)).all()):
            raise EvaluatorInputError(f"{name} must be boolean or hold only 0 and 1")
        array = array.astype(bool)
    return array


def _ks(k) -> tuple[int, ...]:
    ks = (k,) if isinstance(k, (int, np.integer)) and not isinstance(k, bool) else tuple(k) if isinstance(k, Iterable) else None
    if not ks or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1 for x in ks):
        raise EvaluatorInputError(f"k must be a positive integer or a non-empty list of them, got {k!r}")
    return tuple(int(x) for x in ks)


# --- MRR, OGB style ---------------------------------------------------------------------------


def ogb_ranks(y_pred_pos, y_pred_neg) -> np.ndarray:
    """Each positive's rank among its own negatives, ties counted half (OGB's convention)."""
    pos = _scores("y_pred_pos", y_pred_pos, 1)
    neg = _scores("y_pred_neg", y_pred_neg, 2)
    if len(pos) == 0:
        raise EvaluatorInputError("y_pred_pos is empty")
    if neg.shape[0] != len(pos):
        raise EvaluatorInputError(f"y_pred_neg must have one row per positive: {len(pos)} positives but {neg.shape[0]} rows")
    if neg.shape[1] == 0:
        raise EvaluatorInputError("y_pred_neg has no negative per positive (shape (n, 0))")
    higher = (neg > pos[:, None]).sum(axis=1)
    tied = (neg == pos[:, None]).sum(axis=1)
    return 1.0 + higher + 0.5 * tied


def mrr(y_pred_pos, y_pred_neg) -> float:
    """Mean reciprocal rank of ``y_pred_pos (n,)`` against ``y_pred_neg (n, K)``."""
    return float(np.mean(1.0 / ogb_ranks(y_pred_pos, y_pred_neg)))


def eval_mrr(input_dict: dict) -> dict[str, float]:
    """OGB's ``ogbl-citation2`` contract: ``{'y_pred_pos', 'y_pred_neg'}`` in, the means of
    OGB's lists out: ``{'mrr', 'hits@1', 'hits@3', 'hits@10'}``."""
    if not isinstance(input_dict, dict) or not {"y_pred_pos", "y_pred_neg"} <= set(input_dict):
        raise EvaluatorInputError("input must be a dict with keys 'y_pred_pos' (n,) and 'y_pred_neg' (n, K)")
    ranks = ogb_ranks(input_dict["y_pred_pos"], input_dict["y_pred_neg"])
    result = {"mrr": float(np.mean(1.0 / ranks))}
    result.update({f"hits@{k}": float(np.mean(ranks <= k)) for k in OGB_HITS})
    return result


# --- full ranking: Recall@K and NDCG@K --------------------------------------------------------


def _gain_prefix(length: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Prefix sums over positions 0..length-1 of the recall gain (1 inside the top k) and of
    the discounted gain (1 / log2(position + 2) inside the top k): ``prefix[x]`` sums
    positions ``< x``."""
    inside = np.arange(length) < k
    recall = np.concatenate([[0.0], np.cumsum(inside.astype(np.float64))])
    dcg = np.concatenate([[0.0], np.cumsum(np.where(inside, 1.0 / np.log2(np.arange(length) + 2.0), 0.0))])
    return recall, dcg


def _tie_sums(prefix: np.ndarray, above: np.ndarray, tied: np.ndarray, count: np.ndarray, ties: str) -> float:
    """Sum of the gains of the positives of one query. A group of ``count`` positives shares a
    score with ``tied - count`` negatives and has ``above`` candidates scored strictly higher,
    so the group occupies positions ``above .. above + tied - 1``."""
    if ties == "expected":
        return float(np.sum(count * (prefix[above + tied] - prefix[above]) / tied))
    if ties == "pessimistic":
        return float(np.sum(prefix[above + tied] - prefix[above + tied - count]))
    return float(np.sum(prefix[above + count] - prefix[above]))


def full_ranking_per_query(scores, positives, train_mask=None, k=20, ties: str = "expected") -> dict[str, np.ndarray]:
    """Per query with at least one held-out positive: ``query`` (row index), ``recall@K`` and
    ``ndcg@K`` for each K (see the module docstring for the definitions and ``ties``).

    :param scores: ``(n_queries, n_candidates)`` finite scores, higher is better.
    :param positives: same shape, boolean (or 0/1): the query's held-out positives.
    :param train_mask: same shape, boolean (or 0/1), or None: candidates removed from the
        ranking (the query's training edges). A positive inside the mask is an error.
    :param k: one cut-off or a list of them.
    """
    if ties not in TIES:
        raise EvaluatorInputError(f"ties must be one of {list(TIES)}, got {ties!r}")
    ks = _ks(k)
    matrix, positive, masked, queries = _ranking_inputs(scores, positives, train_mask)
    prefixes = {kk: _gain_prefix(matrix.shape[1], kk) for kk in ks}
    out = {"query": queries, **{f"{m}@{kk}": np.zeros(len(queries)) for kk in ks for m in ("recall", "ndcg")}}
    for slot, row in enumerate(queries):
        candidates = np.sort(matrix[row, ~masked[row]])
        values, count = np.unique(matrix[row, positive[row]], return_counts=True)
        right = np.searchsorted(candidates, values, side="right")
        above = len(candidates) - right
        tied = right - np.searchsorted(candidates, values, side="left")
        n_positive = int(count.sum())
        for kk in ks:
            recall_prefix, dcg_prefix = prefixes[kk]
            ideal = dcg_prefix[min(kk, n_positive)]
            out[f"recall@{kk}"][slot] = _tie_sums(recall_prefix, above, tied, count, ties) / n_positive
            out[f"ndcg@{kk}"][slot] = _tie_sums(dcg_prefix, above, tied, count, ties) / ideal
    return out


def _ranking_inputs(scores, positives, train_mask) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Checked ``(scores, positives, train_mask, queries with a positive)``."""
    matrix = _scores("scores", scores, 2)
    positive = _mask("positives", positives, matrix.shape)
    masked = np.zeros(matrix.shape, dtype=bool) if train_mask is None else _mask("train_mask", train_mask, matrix.shape)
    overlap = positive & masked
    if overlap.any():
        row, column = np.argwhere(overlap)[0]
        raise EvaluatorInputError(f"{int(overlap.sum())} held-out positive(s) are also in train_mask (first: query {row}, candidate {column}); a held-out edge cannot be a training edge")
    queries = np.flatnonzero(positive.any(axis=1))
    if len(queries) == 0:
        raise EvaluatorInputError("no query has a held-out positive")
    return matrix, positive, masked, queries


def filtered_ranks(scores, positives, train_mask=None) -> np.ndarray:
    """The rank of every held-out positive (row-major order) among its query's negatives: the
    candidates neither in ``train_mask`` nor positives of that query ("filtered" ranking, so
    one held-out edge never pushes another down). Ties count half, as in :func:`ogb_ranks`.
    Arguments as in :func:`full_ranking_per_query`."""
    matrix, positive, masked, queries = _ranking_inputs(scores, positives, train_mask)
    ranks = []
    for row in queries:
        negatives = np.sort(matrix[row, ~masked[row] & ~positive[row]])
        values = matrix[row, positive[row]]
        above = len(negatives) - np.searchsorted(negatives, values, side="right")
        tied = np.searchsorted(negatives, values, side="right") - np.searchsorted(negatives, values, side="left")
        ranks.append(1.0 + above + 0.5 * tied)
    return np.concatenate(ranks)


def full_ranking(scores, positives, train_mask=None, k=20, ties: str = "expected") -> dict[str, float]:
    """Recall@K and NDCG@K averaged over the queries that have a held-out positive, and the
    number of such queries (``queries``). Arguments as in :func:`full_ranking_per_query`.
    For graphs too large for one dense matrix, call :func:`full_ranking_per_query` on batches
    of queries and average the concatenated values."""
    per_query = full_ranking_per_query(scores, positives, train_mask, k, ties)
    result = {name: float(values.mean()) for name, values in per_query.items() if name != "query"}
    result["queries"] = len(per_query["query"])
    return result


def masks_from_edges(queries, held_out, train, num_candidates: int, undirected: bool = True, mask_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``(positives, train_mask)`` for the given query nodes from edge lists ``(2, m)``.

    With ``undirected`` an edge ``(u, v)`` counts for query ``u`` (candidate ``v``) and for
    query ``v`` (candidate ``u``); otherwise only for ``u``. ``mask_self`` also masks each
    query's own node (a square graph where self-pairs are not candidates)."""
    query = _as_numpy("queries", queries).astype(np.int64).reshape(-1)
    row_of = np.full(int(num_candidates), -1, dtype=np.int64)
    if query.size and (query.min() < 0 or query.max() >= num_candidates):
        raise EvaluatorInputError(f"queries must be node ids in 0..{num_candidates - 1}")
    row_of[query] = np.arange(len(query))

    def dense(name, edges):
        edges = _as_numpy(name, edges).astype(np.int64)
        if edges.ndim != 2 or edges.shape[0] != 2:
            raise EvaluatorInputError(f"{name} must be node pairs of shape (2, m), got {edges.shape}")
        if edges.size and (edges.min() < 0 or edges.max() >= num_candidates):
            raise EvaluatorInputError(f"{name} holds node ids outside 0..{num_candidates - 1}")
        matrix = np.zeros((len(query), int(num_candidates)), dtype=bool)
        directions = [edges, edges[::-1]] if undirected else [edges]
        for source, target in directions:
            keep = row_of[source] >= 0
            matrix[row_of[source[keep]], target[keep]] = True
        return matrix

    positives, mask = dense("held_out", held_out), dense("train", train)
    if mask_self:
        mask[np.arange(len(query)), query] = True
    return positives, mask


# --- the link-ranking protocol ----------------------------------------------------------------

POSITIVE, CANDIDATE, EXCLUDED = 1, 0, -1


def ranking_target(positives, excluded) -> np.ndarray:
    """The labels of one split of a ``link-ranking`` task: ``int8 (n_queries, n_candidates)``
    holding 1 for a held-out positive, 0 for any other candidate and -1 for a candidate left
    out of the ranking (the query's known edges and itself)."""
    positive = _mask("positives", positives, np.shape(positives))
    left_out = _mask("excluded", excluded, positive.shape)
    if (positive & left_out).any():
        raise EvaluatorInputError("a held-out positive cannot also be excluded from the ranking")
    target = np.full(positive.shape, CANDIDATE, dtype=np.int8)
    target[positive] = POSITIVE
    target[left_out] = EXCLUDED
    return target


def split_target(target) -> tuple[np.ndarray, np.ndarray]:
    """``(positives, excluded)`` boolean matrices from a ranking target."""
    array = _as_numpy("y_true", target)
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.integer):
        raise EvaluatorInputError(f"y_true must be a ranking target: integers of shape (n_queries, n_candidates), got {array.dtype} {array.shape}")
    if not np.isin(array, (POSITIVE, CANDIDATE, EXCLUDED)).all():
        raise EvaluatorInputError("y_true must hold 1 (held-out positive), 0 (candidate) or -1 (excluded)")
    return array == POSITIVE, array == EXCLUDED


class RankingMetric:
    """One metric of the link-ranking protocol: ``metric(target, scores) -> float`` with the
    target of :func:`ranking_target` and the method's scores ``(n_queries, n_candidates)``.

    ``measure``: ``mrr`` (the mean of ``1 / rank`` over every held-out positive, ranked among
    its query's candidates that are neither excluded nor positives: :func:`filtered_ranks`),
    ``recall`` or ``ndcg`` (at ``k``, per query then averaged: :func:`full_ranking`)."""

    MEASURES = ("mrr", "recall", "ndcg")

    def __init__(self, measure: str, k: int | None = None, ties: str = "expected"):
        if measure not in self.MEASURES:
            raise ValueError(f"measure must be one of {list(self.MEASURES)}, got {measure!r}")
        if measure != "mrr":
            _ks(k)
        self.measure, self.k, self.ties = measure, k, ties

    def __call__(self, y_true, y_pred) -> float:
        positives, excluded = split_target(y_true)
        if self.measure == "mrr":
            return float(np.mean(1.0 / filtered_ranks(y_pred, positives, excluded)))
        return full_ranking(y_pred, positives, excluded, self.k, self.ties)[f"{self.measure}@{self.k}"]


def ranking_splits(train, valid, test, num_nodes: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Items and labels of the ``valid`` and ``test`` splits of a ``link-ranking`` task, from
    disjoint undirected edge lists ``(2, m)`` over ``num_nodes`` candidate nodes.

    Every endpoint of a held-out edge is a query (items: node ids, ascending); its held-out
    positives are its neighbours through that split's edges. Excluded from a query's ranking:
    itself and its training edges, and for the test split also its validation edges (all
    known before the test)."""
    items, labels = {}, {}
    for split, held, known in (("valid", valid, (train,)), ("test", test, (train, valid))):
        held = _as_numpy(split, held).astype(np.int64)
        queries = np.unique(held.reshape(-1))
        positives, excluded = masks_from_edges(queries, held, np.concatenate([_as_numpy("train", e).astype(np.int64) for e in known], axis=1), num_nodes, undirected=True, mask_self=True)
        items[split], labels[split] = queries, ranking_target(positives, excluded)
    return items, labels
