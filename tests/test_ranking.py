"""harness.ranking: OGB-style MRR (checked against ogb's own ogbl-citation2 evaluator) and
full-ranking Recall@K / NDCG@K with training edges masked, against hand-computed values and a
brute force over every tie-break."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from harness.evaluator import EvaluatorInputError
from harness.ranking import eval_mrr, full_ranking, full_ranking_per_query, masks_from_edges, mrr, ogb_ranks
from helpers.brute_ranking import every_tie_break

ogb_link = pytest.importorskip("ogb.linkproppred")


def _rng(*parts):
    return np.random.default_rng(list(parts))


# --- MRR ---------------------------------------------------------------------------------------


def test_mrr_hand_computed_with_ties():
    pos = np.array([3.0, 1.0, 5.0])
    neg = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 1.0], [6.0, 7.0, 0.0]])
    # ranks: 1 + 0 higher + 0.5 * 1 tie = 1.5; 1 + 0 + 0.5 * 2 = 2; 1 + 2 higher = 3
    assert ogb_ranks(pos, neg).tolist() == [1.5, 2.0, 3.0]
    assert mrr(pos, neg) == pytest.approx((1 / 1.5 + 1 / 2 + 1 / 3) / 3)
    assert eval_mrr({"y_pred_pos": pos, "y_pred_neg": neg}) == pytest.approx({"mrr": (1 / 1.5 + 0.5 + 1 / 3) / 3, "hits@1": 0.0, "hits@3": 1.0, "hits@10": 1.0})


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("tied", [False, True])
def test_mrr_matches_ogbl_citation2(seed, tied):
    rng = _rng(seed, tied)
    n, k = 200, 50
    if tied:  # few distinct values: many ties between a positive and its negatives
        pos, neg = rng.integers(0, 6, n).astype(np.float64), rng.integers(0, 6, (n, k)).astype(np.float64)
    else:
        pos, neg = rng.normal(size=n) + 1.0, rng.normal(size=(n, k))
    # OGB's numpy branch calls .sum(dim=...) and fails, so OGB gets torch tensors.
    ogb = ogb_link.Evaluator("ogbl-citation2").eval({"y_pred_pos": torch.from_numpy(pos), "y_pred_neg": torch.from_numpy(neg)})
    ours = eval_mrr({"y_pred_pos": pos, "y_pred_neg": neg})
    assert ours["mrr"] == pytest.approx(float(ogb["mrr_list"].mean()), abs=1e-6)  # OGB averages float32
    for hits in (1, 3, 10):
        assert ours[f"hits@{hits}"] == pytest.approx(float(ogb[f"hits@{hits}_list"].mean()), abs=1e-6)
    assert mrr(torch.from_numpy(pos), torch.from_numpy(neg)) == pytest.approx(ours["mrr"], abs=1e-12)


@pytest.mark.parametrize(
    "pos, neg, message",
    [
        (np.ones((3, 1)), np.ones((3, 4)), "y_pred_pos must have 1 dimension"),
        (np.ones(3), np.ones(12), "y_pred_neg must have 2 dimension"),
        (np.ones(3), np.ones((4, 2)), "one row per positive"),
        (np.ones(3), np.ones((3, 0)), "no negative"),
        (np.array([1.0, np.nan]), np.ones((2, 2)), "NaN"),
        (np.ones(0), np.ones((0, 2)), "empty"),
        ([1.0, 2.0], np.ones((2, 2)), "torch.Tensor or numpy.ndarray"),
    ],
)
def test_mrr_refuses_malformed_input(pos, neg, message):
    with pytest.raises(EvaluatorInputError, match=message):
        mrr(pos, neg)


def test_eval_mrr_names_its_keys():
    with pytest.raises(EvaluatorInputError, match="'y_pred_pos'"):
        eval_mrr({"y_pred": np.ones(2)})


# --- full ranking --------------------------------------------------------------------------------


def test_full_ranking_hand_computed():
    scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.5]])
    positives = np.array([[0, 1, 0, 1, 0]], dtype=bool)
    mask = np.array([[1, 0, 0, 0, 0]], dtype=bool)  # the top candidate is a training edge
    # Ranking without it: 1 (positive), 2, 3 (positive), 4. Top 2 holds one of the two positives.
    result = full_ranking(scores, positives, mask, k=2)
    assert result["recall@2"] == pytest.approx(0.5)
    assert result["ndcg@2"] == pytest.approx(1.0 / (1.0 + 1.0 / math.log2(3)))
    assert result["queries"] == 1
    # Unmasked, the training edge takes the first place and the positive drops to the second.
    unmasked = full_ranking(scores, positives, None, k=2)
    assert unmasked["ndcg@2"] == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    # Several cut-offs at once; K beyond the candidates finds every positive.
    both = full_ranking(scores, positives, mask, k=[1, 4])
    assert both["recall@1"] == 0.5 and both["recall@4"] == 1.0
    assert both["ndcg@4"] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))


def test_ties_expected_pessimistic_optimistic_by_hand():
    scores, positives = np.array([[1.0, 1.0, 0.5]]), np.array([[0, 1, 0]])
    # The positive shares the first score with a negative: first or second place, half each.
    assert full_ranking(scores, positives, k=1, ties="expected") == {"recall@1": 0.5, "ndcg@1": 0.5, "queries": 1}
    assert full_ranking(scores, positives, k=1, ties="pessimistic")["recall@1"] == 0.0
    assert full_ranking(scores, positives, k=1, ties="optimistic")["recall@1"] == 1.0
    expected_ndcg = (1 / math.log2(2) + 1 / math.log2(3)) / 2  # mean gain of positions 0 and 1
    assert full_ranking(scores, positives, k=2)["ndcg@2"] == pytest.approx(expected_ndcg)


def test_constant_scorer_gets_the_random_ranking_value():
    n, k = 50, 10
    positives = np.zeros((1, n), dtype=bool)
    positives[0, [3, 17, 39]] = True
    mask = np.zeros((1, n), dtype=bool)
    mask[0, -10:] = True  # 40 candidates left, 3 positives among them
    result = full_ranking(np.zeros((1, n)), positives, mask, k=k)
    assert result["recall@10"] == pytest.approx(k / 40)
    ideal = sum(1 / math.log2(i + 2) for i in range(3))
    assert result["ndcg@10"] == pytest.approx(3 / 40 * sum(1 / math.log2(i + 2) for i in range(k)) / ideal)
    assert full_ranking(np.zeros((1, n)), positives, mask, k=k, ties="pessimistic")["recall@10"] == 0.0
    assert full_ranking(np.zeros((1, n)), positives, mask, k=k, ties="optimistic")["ndcg@10"] == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(6))
def test_tie_modes_against_every_tie_break(seed):
    rng = _rng(seed)
    queries, n = 3, 7
    scores = rng.integers(0, 3, (queries, n)).astype(float)  # many ties
    positives = rng.random((queries, n)) < 0.35
    positives[:, 0] = True
    mask = (rng.random((queries, n)) < 0.2) & ~positives
    for k in (1, 2, 4):
        results = {ties: full_ranking_per_query(scores, positives, mask, k=k, ties=ties) for ties in ("expected", "pessimistic", "optimistic")}
        for q in range(queries):
            brute = every_tie_break(scores[q], positives[q], mask[q], k)
            for column, metric in enumerate(("recall", "ndcg")):
                values = brute[:, column]
                assert results["expected"][f"{metric}@{k}"][q] == pytest.approx(values.mean())
                assert results["pessimistic"][f"{metric}@{k}"][q] == pytest.approx(values.min())
                assert results["optimistic"][f"{metric}@{k}"][q] == pytest.approx(values.max())


def test_distinct_scores_match_a_plain_top_k_and_every_tie_mode_agrees():
    rng = _rng(7)
    queries, n, k = 20, 60, 10
    scores = rng.normal(size=(queries, n))
    positives = rng.random((queries, n)) < 0.1
    mask = (rng.random((queries, n)) < 0.1) & ~positives
    recalls, ndcgs = [], []
    for q in range(queries):
        if not positives[q].any():
            continue
        ranked = [c for c in np.argsort(-scores[q]) if not mask[q, c]][:k]
        hits = [i for i, c in enumerate(ranked) if positives[q, c]]
        recalls.append(len(hits) / positives[q].sum())
        ndcgs.append(sum(1 / math.log2(i + 2) for i in hits) / sum(1 / math.log2(i + 2) for i in range(min(k, positives[q].sum()))))
    for ties in ("expected", "pessimistic", "optimistic"):
        result = full_ranking(scores, positives, mask, k=k, ties=ties)
        assert result["recall@10"] == pytest.approx(np.mean(recalls))
        assert result["ndcg@10"] == pytest.approx(np.mean(ndcgs))
        assert result["queries"] == len(recalls)
    # torch tensors in, same values out
    assert full_ranking(torch.from_numpy(scores), torch.from_numpy(positives), torch.from_numpy(mask), k=k)["ndcg@10"] == pytest.approx(np.mean(ndcgs))


def test_queries_without_positives_are_skipped():
    scores = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.1]])
    positives = np.array([[0, 1, 0], [0, 0, 0]])
    per_query = full_ranking_per_query(scores, positives, k=1)
    assert per_query["query"].tolist() == [0] and per_query["recall@1"].tolist() == [1.0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"positives": np.zeros((2, 3))}, "no query has a held-out positive"),
        ({"positives": np.ones((3, 2))}, "must have the shape of scores"),
        ({"positives": np.full((2, 3), 2)}, "boolean or hold only 0 and 1"),
        ({"train_mask": np.eye(2, 3)}, "also in train_mask"),
        ({"scores": np.full((2, 3), np.nan)}, "NaN or infinite"),
        ({"scores": np.full((2, 3), -np.inf)}, "not as -inf"),
        ({"scores": np.ones(3)}, "scores must have 2 dimension"),
        ({"k": 0}, "positive integer"),
        ({"k": []}, "positive integer"),
        ({"k": True}, "positive integer"),
        ({"ties": "random"}, "ties must be one of"),
    ],
)
def test_full_ranking_refuses_malformed_input(kwargs, message):
    arguments = {"scores": np.zeros((2, 3)), "positives": np.eye(2, 3), "train_mask": None, "k": 2, **kwargs}
    with pytest.raises(EvaluatorInputError, match=message):
        full_ranking(**arguments)


def test_masks_from_edges_undirected_and_directed():
    held_out = np.array([[0, 2], [1, 3]])  # edges 0-1 and 2-3
    train = np.array([[0, 1], [2, 3]])  # edges 0-2 and 1-3
    positives, mask = masks_from_edges(np.array([0, 3]), held_out, train, num_candidates=4)
    assert positives.astype(int).tolist() == [[0, 1, 0, 0], [0, 0, 1, 0]]
    assert mask.astype(int).tolist() == [[0, 0, 1, 0], [0, 1, 0, 0]]
    positives, mask = masks_from_edges(np.array([0, 3]), held_out, train, num_candidates=4, undirected=False, mask_self=True)
    assert positives.astype(int).tolist() == [[0, 1, 0, 0], [0, 0, 0, 0]]
    assert mask.astype(int).tolist() == [[1, 0, 1, 0], [0, 0, 0, 1]]
    with pytest.raises(EvaluatorInputError, match=r"shape \(2, m\)"):
        masks_from_edges(np.array([0]), np.array([0, 1]), train, num_candidates=4)
    with pytest.raises(EvaluatorInputError, match="outside"):
        masks_from_edges(np.array([0]), np.array([[0], [9]]), train, num_candidates=4)
