"""harness.evaluator.Evaluator against OGB's own evaluators, and its refusal of malformed input.

Every comparison feeds the same seeded random data to both sides: the harness in its score
contract (class scores, flat pair scores with 0/1 labels), OGB in its own (class ids,
positive/negative score arrays).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.evaluator import Evaluator, EvaluatorInputError
from harness.metrics import higher_is_better, valid_metrics

ogb_node = pytest.importorskip("ogb.nodeproppred")
ogb_graph = pytest.importorskip("ogb.graphproppred")
ogb_link = pytest.importorskip("ogb.linkproppred")

SIZES = (7, 64, 1000)
SEEDS = (0, 1, 2)


def _rng(*parts: int) -> np.random.Generator:
    return np.random.default_rng(list(parts))


# --- agreement with OGB --------------------------------------------------------------------


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_acc_matches_ogbn_arxiv(n, seed):
    rng = _rng(n, seed)
    classes = 40
    y_true = rng.integers(0, classes, size=n)
    scores = rng.normal(size=(n, classes))
    # Make about half the predictions right so the value is not trivially near 1/40.
    right = rng.random(n) < 0.5
    scores[right, y_true[right]] += 10.0

    expected = ogb_node.Evaluator("ogbn-arxiv").eval(
        {"y_true": y_true.reshape(-1, 1), "y_pred": scores.argmax(axis=1).reshape(-1, 1)}
    )["acc"]
    evaluator = Evaluator("acc")
    assert evaluator(y_true, scores) == pytest.approx(expected, abs=1e-12)
    # (n, 1) labels and torch tensors give the same value.
    assert evaluator(y_true.reshape(-1, 1), scores) == pytest.approx(expected, abs=1e-12)
    assert evaluator(torch.from_numpy(y_true), torch.from_numpy(scores)) == pytest.approx(expected, abs=1e-12)
    assert evaluator.eval({"y_true": y_true, "y_pred": scores}) == {"acc": pytest.approx(expected, abs=1e-12)}


def test_acc_known_value():
    y_true = np.array([0, 1, 2, 1])
    scores = np.array([[3.0, 1, 0], [0, 2, 1], [5, 0, 1], [0, 9, 0]])  # right, right, wrong, right
    assert Evaluator("acc")(y_true, scores) == 0.75


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS[:2])  # 112 tasks each: fewer seeds keep it quick
def test_rocauc_matches_ogbn_proteins(n, seed):
    rng = _rng(n, seed, 112)
    tasks = 112
    y_true = (rng.random((n, tasks)) < rng.uniform(0.05, 0.6, size=tasks)).astype(np.int64)
    y_true[:, 0] = 0  # a task with only negatives: skipped by both
    y_true[:, 1] = 1  # a task with only positives: skipped by both
    y_true[0, 2], y_true[1, 2] = 0, 1  # at least one task with both classes, even for tiny n
    y_pred = rng.normal(size=(n, tasks)) + 0.8 * y_true

    expected = ogb_node.Evaluator("ogbn-proteins").eval({"y_true": y_true, "y_pred": y_pred})["rocauc"]
    evaluator = Evaluator("rocauc")
    assert evaluator(y_true, y_pred) == pytest.approx(expected, abs=1e-12)
    assert evaluator(torch.from_numpy(y_true), torch.from_numpy(y_pred).float()) == pytest.approx(expected, abs=1e-6)


def _graph_labels(rng: np.random.Generator, n: int, tasks: int) -> np.ndarray:
    """0/1 labels with NaN for missing ones; at least one task has both classes."""
    y_true = (rng.random((n, tasks)) < 0.3).astype(np.float64)
    y_true[rng.random((n, tasks)) < 0.2] = np.nan
    y_true[0, 0], y_true[1, 0] = 0.0, 1.0
    return y_true


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_rocauc_matches_ogbg_molhiv(n, seed):
    rng = _rng(n, seed, 1)
    y_true = _graph_labels(rng, n, 1)
    y_pred = rng.normal(size=(n, 1)) + np.nan_to_num(y_true)

    expected = ogb_graph.Evaluator("ogbg-molhiv").eval({"y_true": y_true, "y_pred": y_pred})["rocauc"]
    assert Evaluator("rocauc")(y_true, y_pred) == pytest.approx(expected, abs=1e-12)
    # A single task may also come flat.
    assert Evaluator("rocauc")(y_true.reshape(-1), y_pred.reshape(-1)) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_rocauc_matches_ogbg_moltox21_with_missing_and_single_class_tasks(n, seed):
    rng = _rng(n, seed, 12)
    tasks = 12
    y_true = _graph_labels(rng, n, tasks)
    # Task 3: every labelled value is a positive (one class present) -> skipped, as OGB does.
    y_true[:, 3] = np.where(rng.random(n) < 0.5, np.nan, 1.0)
    y_true[0, 3] = 1.0
    # Task 5: every labelled value is a negative -> skipped.
    y_true[:, 5] = np.where(rng.random(n) < 0.5, np.nan, 0.0)
    # Task 7: no label at all -> skipped.
    y_true[:, 7] = np.nan
    y_pred = rng.normal(size=(n, tasks)) + np.nan_to_num(y_true)

    expected = ogb_graph.Evaluator("ogbg-moltox21").eval({"y_true": y_true, "y_pred": y_pred})["rocauc"]
    got = Evaluator("rocauc")(y_true, y_pred)
    assert got == pytest.approx(expected, abs=1e-12)

    # The skipped tasks really are skipped: their predictions do not move the value.
    scrambled = y_pred.copy()
    scrambled[:, [3, 5, 7]] = rng.normal(size=(n, 3)) * 100
    assert Evaluator("rocauc")(y_true, scrambled) == pytest.approx(got, abs=1e-12)


def test_rocauc_ignores_predictions_on_missing_labels():
    y_true = np.array([[0.0], [1.0], [np.nan], [0.0], [1.0]])
    y_pred = np.array([[0.1], [0.9], [0.5], [0.2], [0.8]])
    perfect = Evaluator("rocauc")(y_true, y_pred)
    assert perfect == 1.0
    y_pred[2, 0] = -1e6  # the prediction where the label is missing
    assert Evaluator("rocauc")(y_true, y_pred) == 1.0


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("missing", [False, True])
def test_rmse_matches_ogbg_molesol(n, seed, missing):
    rng = _rng(n, seed, int(missing))
    y_true = rng.normal(loc=-3.0, scale=2.0, size=(n, 1))
    if missing:
        y_true[rng.random((n, 1)) < 0.3] = np.nan
        y_true[0, 0] = 1.5
    y_pred = np.nan_to_num(y_true) + rng.normal(scale=0.7, size=(n, 1))

    expected = ogb_graph.Evaluator("ogbg-molesol").eval({"y_true": y_true, "y_pred": y_pred})["rmse"]
    assert Evaluator("rmse")(y_true, y_pred) == pytest.approx(expected, rel=1e-12)
    assert Evaluator("rmse")(y_true.reshape(-1), y_pred.reshape(-1)) == pytest.approx(expected, rel=1e-12)
    assert not higher_is_better("rmse")


def _pairs(rng: np.random.Generator, n_pos: int, n_neg: int, tied: bool):
    """Flat (label, score) pairs in shuffled order, and the same scores split for OGB."""
    if tied:  # few distinct values: many positives tie with the K-th best negative
        pos = rng.integers(0, 6, size=n_pos).astype(np.float64)
        neg = rng.integers(0, 6, size=n_neg).astype(np.float64)
    else:
        pos = rng.normal(loc=1.0, size=n_pos)
        neg = rng.normal(size=n_neg)
    labels = np.concatenate([np.ones(n_pos, dtype=np.int64), np.zeros(n_neg, dtype=np.int64)])
    scores = np.concatenate([pos, neg])
    order = rng.permutation(labels.size)
    return labels[order], scores[order], pos, neg


@pytest.mark.parametrize("k", [1, 10, 50, 100])
@pytest.mark.parametrize("n_pos,n_neg", [(5, 3), (40, 120), (300, 1000)])
@pytest.mark.parametrize("tied", [False, True])
def test_hits_matches_ogbl_collab(k, n_pos, n_neg, tied):
    rng = _rng(k, n_pos, n_neg, int(tied))
    labels, scores, pos, neg = _pairs(rng, n_pos, n_neg, tied)

    ogb = ogb_link.Evaluator("ogbl-collab")
    ogb.K = k
    expected = ogb.eval({"y_pred_pos": pos, "y_pred_neg": neg})[f"hits@{k}"]
    expected_torch = ogb.eval({"y_pred_pos": torch.from_numpy(pos), "y_pred_neg": torch.from_numpy(neg)})[f"hits@{k}"]
    assert expected == pytest.approx(expected_torch)

    evaluator = Evaluator(f"hits@{k}")
    assert higher_is_better(f"hits@{k}")
    assert evaluator(labels, scores) == pytest.approx(expected, abs=1e-12)
    assert evaluator(torch.from_numpy(labels), torch.from_numpy(scores)) == pytest.approx(expected, abs=1e-12)
    assert evaluator(labels.astype(np.float32), scores) == pytest.approx(expected, abs=1e-12)


def test_hits_tie_with_kth_negative_is_a_miss():
    # Negatives 0.9, 0.5, 0.1: the 2nd best is 0.5. A positive at exactly 0.5 is not above it.
    labels = np.array([1, 1, 1, 0, 0, 0])
    scores = np.array([0.5, 0.7, 0.2, 0.9, 0.5, 0.1])
    ogb = ogb_link.Evaluator("ogbl-collab")
    ogb.K = 2
    expected = ogb.eval({"y_pred_pos": scores[:3], "y_pred_neg": scores[3:]})["hits@2"]
    assert expected == pytest.approx(1 / 3)
    assert Evaluator("hits@2")(labels, scores) == pytest.approx(1 / 3)


def test_hits_with_fewer_negatives_than_k_is_one():
    labels = np.array([1, 0, 0])
    scores = np.array([-5.0, 3.0, 4.0])
    assert Evaluator("hits@3")(labels, scores) == 1.0


# --- OGB's evaluator behind the harness's score contract ----------------------------------


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_ogb_adapter_agrees_on_acc(n, seed):
    OgbEvaluator = pytest.importorskip("harness_ogb.loader").OgbEvaluator
    rng = _rng(n, seed, 40)
    y_true = torch.from_numpy(rng.integers(0, 40, size=n))
    scores = torch.from_numpy(rng.normal(size=(n, 40))).float()
    scores[torch.arange(n)[: n // 2], y_true[: n // 2]] += 5.0

    adapter = OgbEvaluator("ogbn-arxiv")
    assert adapter.metric == "acc"
    assert adapter(y_true, scores) == pytest.approx(Evaluator("acc")(y_true, scores), abs=1e-12)


@pytest.mark.parametrize("n", SIZES)
def test_ogb_adapter_agrees_on_rocauc(n):
    OgbEvaluator = pytest.importorskip("harness_ogb.loader").OgbEvaluator
    rng = _rng(n, 112, 1)
    y_true = (rng.random((n, 112)) < 0.3).astype(np.float32)
    y_true[0, 0], y_true[1, 0] = 0.0, 1.0
    y_pred = rng.normal(size=(n, 112)).astype(np.float32) + y_true

    adapter = OgbEvaluator("ogbn-proteins")
    assert adapter.metric == "rocauc"
    got = adapter(torch.from_numpy(y_true), torch.from_numpy(y_pred))
    assert got == pytest.approx(Evaluator("rocauc")(torch.from_numpy(y_true), torch.from_numpy(y_pred)), abs=1e-12)


# --- refusal of malformed input -------------------------------------------------------------


def _refuses(metric: str, y_true, y_pred, match: str) -> None:
    with pytest.raises(EvaluatorInputError, match=match):
        Evaluator(metric).eval({"y_true": y_true, "y_pred": y_pred})


GOOD_ACC = (np.array([0, 1, 2]), np.eye(3))
GOOD_ROC = (np.array([[0.0], [1.0], [0.0]]), np.array([[0.1], [0.9], [0.3]]))


def test_good_inputs_pass():
    assert Evaluator("acc")(*GOOD_ACC) == 1.0
    assert Evaluator("rocauc")(*GOOD_ROC) == 1.0


@pytest.mark.parametrize(
    "metric,y_true,y_pred,match",
    [
        ("acc", np.array([0, 1, 2]), np.array([0.1, 0.2, 0.3]), r"class scores of shape \(n, num_classes\)"),
        ("acc", np.array([[0, 1], [1, 0], [0, 0]]), np.eye(3)[:, :2], r"shape \(n,\) or \(n, 1\)"),
        ("acc", np.zeros((3, 1, 1), dtype=np.int64), np.eye(3), r"shape \(n,\) or \(n, 1\)"),
        ("rocauc", np.zeros((3, 2)), np.zeros((3, 3)), r"must both have shape"),
        ("rocauc", np.zeros(3), np.zeros((3, 2)), r"must both have shape"),
        ("rocauc", np.zeros((3, 2, 1)), np.zeros((3, 2, 1)), r"must both have shape"),
        ("rmse", np.zeros((3, 1)), np.zeros((3, 2)), r"must both have shape"),
        ("hits@10", np.array([[1], [0], [0]]), np.array([[0.3], [0.2], [0.1]]), r"must have shape \(n,\)"),
        ("hits@10", np.array([1, 0, 0]), np.array([[0.3], [0.2], [0.1]]), r"must have shape \(n,\)"),
    ],
)
def test_wrong_shapes_are_refused(metric, y_true, y_pred, match):
    _refuses(metric, y_true, y_pred, match)


@pytest.mark.parametrize("metric", ["acc", "rocauc", "rmse", "hits@10"])
def test_scalars_are_refused(metric):
    with pytest.raises(EvaluatorInputError):
        Evaluator(metric).eval({"y_true": np.array(1), "y_pred": np.array(0.5)})


@pytest.mark.parametrize("metric,y_true,y_pred", [
    ("acc", np.array([0, 1, 2, 0]), np.eye(3)),
    ("rocauc", np.array([0.0, 1.0]), np.array([0.1, 0.9, 0.4])),
    ("hits@1", np.array([1, 0, 0]), np.array([0.3, 0.2])),
])
def test_mismatched_lengths_are_refused(metric, y_true, y_pred):
    _refuses(metric, y_true, y_pred, r"y_true has \d+ rows but y_pred has \d+")


@pytest.mark.parametrize("metric,y_true,y_pred", [
    ("acc", np.zeros(0, dtype=np.int64), np.zeros((0, 3))),
    ("rocauc", np.zeros((0, 2)), np.zeros((0, 2))),
    ("rmse", np.zeros(0), np.zeros(0)),
    ("hits@10", np.zeros(0, dtype=np.int64), np.zeros(0)),
])
def test_empty_input_is_refused(metric, y_true, y_pred):
    _refuses(metric, y_true, y_pred, "empty")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("metric", ["acc", "rocauc", "rmse", "hits@1"])
def test_non_finite_predictions_are_refused(metric, bad):
    y_true = {"acc": np.array([0, 1, 0]), "hits@1": np.array([1, 0, 0])}.get(metric, np.array([[0.0], [1.0], [0.0]]))
    y_pred = np.eye(3)[:, :2].copy() if metric == "acc" else np.array([0.2, 0.7, 0.1]).reshape(y_true.shape).astype(float)
    y_pred.flat[1] = bad
    _refuses(metric, y_true, y_pred, "NaN or infinite")


def test_nan_predictions_in_a_torch_tensor_are_refused():
    scores = torch.eye(3)
    scores[0, 0] = float("nan")
    _refuses("acc", torch.tensor([0, 1, 2]), scores, "NaN or infinite")


@pytest.mark.parametrize("y_true", [
    np.array([0.0, 1.0, 2.0]),
    np.array([0.0, 1.5, 2.0]),
    np.array([True, False, True]),
    torch.tensor([0.0, 1.0, 2.0]),
])
def test_acc_refuses_non_integer_class_ids(y_true):
    _refuses("acc", y_true, np.eye(3), r"acc: y_true must be integer class ids")


@pytest.mark.parametrize("y_true", [np.array([0, 1, 3]), np.array([-1, 1, 2]), np.array([[0], [7], [1]])])
def test_acc_refuses_class_ids_out_of_range(y_true):
    _refuses("acc", y_true, np.eye(3), r"class ids outside 0\.\.2")


@pytest.mark.parametrize("bad", [2.0, -1.0, 0.5, np.inf])
def test_rocauc_refuses_labels_other_than_0_1_nan(bad):
    y_true = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, np.nan], [1.0, 0.0]])
    y_true[2, 1] = bad
    _refuses("rocauc", y_true, np.zeros((4, 2)), r"rocauc: y_true must hold 0, 1 or NaN")


@pytest.mark.parametrize("y_true", [
    np.array([[0.0, 1.0], [0.0, 1.0], [0.0, np.nan]]),  # each task has one class only
    np.array([[np.nan], [np.nan], [np.nan]]),  # no label at all
    np.array([1, 1, 1]),
])
def test_rocauc_refuses_when_no_task_has_both_classes(y_true):
    _refuses("rocauc", y_true, np.zeros(y_true.shape), r"no task has both a positive and a negative label")


def test_rmse_refuses_when_no_value_is_labelled():
    _refuses("rmse", np.full((3, 2), np.nan), np.zeros((3, 2)), r"rmse: no labelled value")
    _refuses("mae", np.full(3, np.nan), np.zeros(3), r"mae: no labelled value")


def test_hits_refuses_labels_other_than_0_1_and_no_positive():
    _refuses("hits@1", np.array([1, 2, 0]), np.array([0.1, 0.2, 0.3]), r"y_true must hold 0 or 1")
    _refuses("hits@1", np.array([1.0, np.nan, 0.0]), np.array([0.1, 0.2, 0.3]), r"y_true must hold 0 or 1")
    _refuses("hits@1", np.array([0, 0, 0]), np.array([0.1, 0.2, 0.3]), r"no positive pair")


@pytest.mark.parametrize("bad", [
    None,
    [np.array([0]), np.eye(1)],
    (np.array([0]), np.eye(1)),
    {"y_true": np.array([0])},
    {"y_pred": np.eye(1)},
    {"true": np.array([0]), "pred": np.eye(1)},
])
def test_not_a_dict_or_missing_keys_is_refused(bad):
    with pytest.raises(EvaluatorInputError, match=r"dict with keys 'y_true' and 'y_pred'"):
        Evaluator("acc").eval(bad)


@pytest.mark.parametrize("which", ["y_true", "y_pred"])
def test_a_python_list_is_refused(which):
    arrays = {"y_true": np.array([0, 1]), "y_pred": np.eye(2)}
    arrays[which] = arrays[which].tolist()
    with pytest.raises(EvaluatorInputError, match=rf"{which} must be a torch.Tensor or numpy.ndarray, got list"):
        Evaluator("acc").eval(arrays)


@pytest.mark.parametrize("name", ["accuracy", "auc", "hits@", "hits@k", "hits@0", "hits@-1", "Hits@10", "hits", ""])
def test_unknown_metric_is_refused(name):
    with pytest.raises(ValueError, match="unknown metric"):
        Evaluator(name)
    with pytest.raises(ValueError, match="unknown metric"):
        higher_is_better(name)


def test_metric_directions():
    assert valid_metrics() == ["acc", "ap", "hits@K", "mae", "mrr", "ndcg@K", "recall@K", "rmse", "rocauc"]
    assert [higher_is_better(m) for m in ("acc", "rocauc", "ap", "rmse", "mae", "hits@20")] == [True, True, True, False, False, True]
    assert not issubclass(ValueError, EvaluatorInputError) and issubclass(EvaluatorInputError, ValueError)
