"""The link-ranking protocol: ranking targets built from edge lists, the filtered MRR, the
registered ranking metrics refusing malformed input, and a grid that runs ``synthetic-ranking``
end to end with MRR / Recall@K / NDCG@K computed by the harness, training edges masked."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.evaluator import EvaluatorInputError
from harness.ranking import RankingMetric, filtered_ranks, full_ranking, ranking_splits, ranking_target, split_target

# Scores every node for each query: the query's training neighbours on top (a scorer that
# "remembers" the training graph), then the other nodes by increasing id. Only masking the
# training edges gives its held-out neighbours a fair rank.
TRAIN_FIRST = '''
"""A method for the ranking tests: training neighbours first, then nodes by increasing id."""

from harness import Component, TaskType, hookimpl


@hookimpl
def harness_methods():
    return [Component(kind="method", name="train-first", factory="harness_local_ranking_plugin:TrainFirst",
                      doc="Scores a query's training neighbours highest, then nodes by increasing id.",
                      task_types={TaskType.LINK_RANKING})]


def train_first_scores(edge_index, queries, num_nodes):
    import torch

    adjacency = torch.zeros(num_nodes, num_nodes)
    adjacency[edge_index[0], edge_index[1]] = 1.0
    return 10.0 * adjacency[queries] - torch.arange(num_nodes, dtype=torch.float) / num_nodes


class TrainFirst:
    def run(self, task, encoder, backbone, context):
        from harness.task import Predictions

        n = task.data.num_nodes
        return Predictions(valid=train_first_scores(task.data.edge_index, task.items["valid"], n),
                           test=train_first_scores(task.data.edge_index, task.items["test"], n))
'''


def test_filtered_ranks_leave_out_masked_candidates_and_other_positives():
    scores = np.array([[0.9, 0.8, 0.7, 0.7, 0.1]])
    positives = np.array([[0, 1, 1, 0, 0]], dtype=bool)
    masked = np.array([[1, 0, 0, 0, 0]], dtype=bool)
    # candidate 0 is masked; positive 1 outranks every negative (rank 1); positive 2 is tied
    # with negative 3 (rank 1 + 0.5) and is not pushed down by positive 1
    assert filtered_ranks(scores, positives, masked).tolist() == [1.0, 1.5]
    assert filtered_ranks(scores, positives).tolist() == [2.0, 2.5]
    assert RankingMetric("mrr")(ranking_target(positives, masked), scores) == pytest.approx((1 + 1 / 1.5) / 2)


def test_ranking_splits_mask_known_edges_and_the_query_itself():
    train = np.array([[0, 1], [1, 2]])  # edges 0-1 and 1-2
    valid = np.array([[0], [2]])  # 0-2
    test = np.array([[1, 2], [3, 3]])  # 1-3 and 2-3
    items, labels = ranking_splits(train, valid, test, num_nodes=4)
    assert items["valid"].tolist() == [0, 2] and items["test"].tolist() == [1, 2, 3]
    # valid: query 0 has positive 2 (and query 2 positive 0), each excludes itself and its
    # training neighbour 1
    assert labels["valid"].tolist() == [[-1, -1, 1, 0], [1, -1, -1, 0]]
    # test: query 2 excludes its training edge (1) and validation edge (0) and itself
    assert labels["test"].tolist() == [[-1, -1, -1, 1], [-1, -1, -1, 1], [0, 1, 1, -1]]
    assert labels["valid"].dtype == np.int8


@pytest.mark.parametrize(
    "target, scores, says",
    [
        (np.zeros((2, 3), dtype=np.float32), np.zeros((2, 3)), "integers of shape"),
        (np.array([[2, 0, 0]]), np.zeros((1, 3)), r"1 \(held-out positive\), 0 \(candidate\) or -1"),
        (np.array([[1, 0, 0]]), np.zeros((1, 4)), "must have the shape of scores"),
        (np.array([[1, 0, 0]]), np.zeros(3), "must have 2 dimension"),
        (np.array([[0, 0, -1]]), np.zeros((1, 3)), "no query has a held-out positive"),
        (np.array([[1, 0, 0]]), np.array([[np.nan, 0, 0]]), "NaN or infinite"),
    ],
)
@pytest.mark.parametrize("measure", ["mrr", "recall", "ndcg"])
def test_ranking_metrics_refuse_malformed_input_saying_what_they_expected(target, scores, says, measure):
    metric = RankingMetric(measure, k=None if measure == "mrr" else 2)
    with pytest.raises(EvaluatorInputError, match=says):
        metric(target, scores)


def test_a_ranking_task_refuses_malformed_splits(tiny_task):
    import dataclasses

    task = tiny_task("link-ranking")
    assert task.task_type == "link-ranking" and (task.metric, task.extra_metrics) == ("mrr", ("recall@20", "ndcg@20"))
    flat = {**task.labels, "test": task.labels["test"][:, :-1]}
    with pytest.raises(ValueError, match=r"ranking target \(n, num_nodes=120\)"):
        dataclasses.replace(task, labels=flat)
    with pytest.raises(ValueError, match="training items are edges"):
        dataclasses.replace(task, items={**task.items, "train": task.items["valid"]})
    with pytest.raises(ValueError, match="metric 'hits@20' does not apply to a link-ranking task"):
        dataclasses.replace(task, metric="hits@20", evaluator=None)


def test_a_method_sees_no_test_target(tiny_task):
    from harness.task import HiddenLabelError

    view = tiny_task("link-ranking").method_view()
    assert view.labels["valid"].shape == (len(view.items["valid"]), view.data.num_nodes)
    with pytest.raises(HiddenLabelError):
        view.labels["test"]


@pytest.mark.slow
def test_a_grid_runs_the_ranking_protocol_with_metrics_computed_by_the_harness(harness_run, harness_registry, tmp_path):
    plugin = tmp_path / "ranking_plugin.py"
    plugin.write_text(TRAIN_FIRST)
    grid = {
        "name": "ranking",
        "seeds": [0],
        "datasets": [{"name": "synthetic-ranking", "params": {"num_nodes": 120}}],
        "backbones": ["gcn"],
        "methods": ["train-first", {"name": "supervised", "params": {"epochs": 3, "patience": 0}}],
        "defaults": {"backbones": {"hidden": 8}},
    }
    _, records = harness_run(grid, plugin_files=[plugin])
    assert len(records) == 2 and all(r["status"] == "complete" for r in records), [r.get("error") for r in records]
    by_method = {r["config"]["method"]["name"]: r for r in records}
    for record in records:
        assert (record["task_type"], record["metric"], record["higher_is_better"]) == ("link-ranking", "mrr", True)
        for split in ("valid", "test"):
            assert set(record["metrics"][split]) == {"mrr", "recall@20", "ndcg@20"}
            assert record["metrics"][split]["mrr"] == record[split]

    # Recompute the train-first method's test scores and rank them with the task's target.
    component = harness_registry.get("dataset", "synthetic-ranking")
    task = component.load()(root=".", **{**component.defaults(), "num_nodes": 120})
    namespace: dict = {}
    exec(compile(TRAIN_FIRST, "train_first", "exec"), namespace)
    scores = namespace["train_first_scores"](task.data.edge_index, task.items["test"], 120).numpy()
    positives, excluded = split_target(task.labels["test"])
    queries = task.items["test"].numpy()
    source, target = task.data.edge_index.numpy()
    row_of = {node: row for row, node in enumerate(queries)}
    trained = [(row_of[u], v) for u, v in zip(source, target) if u in row_of]
    assert trained and all(excluded[row, v] for row, v in trained), "every training edge of a query is masked"
    assert all(excluded[row, node] for row, node in enumerate(queries)), "a query is not its own candidate"

    masked = {"mrr": float(np.mean(1 / filtered_ranks(scores, positives, excluded))), **full_ranking(scores, positives, excluded, k=20)}
    unmasked_mrr = float(np.mean(1 / filtered_ranks(scores, positives)))
    recorded = by_method["train-first"]["metrics"]["test"]
    for name in ("mrr", "recall@20", "ndcg@20"):
        assert recorded[name] == pytest.approx(masked[name], abs=1e-12)
    assert recorded["mrr"] > unmasked_mrr  # without the mask the training neighbours would rank first


def test_the_usair_ranking_variant_holds_out_the_link_datasets_edges(harness_registry):
    from conftest import SHARED_DATA

    if not (SHARED_DATA / "linkpred_seal_classic" / "USAir.txt").is_file():
        pytest.skip(f"the shared link data is not at {SHARED_DATA} (set HARNESS_SHARED_DATA)")
    load = lambda name: harness_registry.get("dataset", name).load()(root=str(SHARED_DATA), split_seed=3)
    ranking, link = load("usair-ranking"), load("usair")
    assert (ranking.task_type, ranking.metric, ranking.extra_metrics) == ("link-ranking", "mrr", ("recall@20", "ndcg@20"))
    for split in ("valid", "test"):
        pairs, labels = link.items[split], link.labels[split]
        held_out = {tuple(sorted(p)) for p in pairs[:, labels == 1].t().tolist()}
        positives, excluded = split_target(ranking.labels[split])
        rows, columns = np.nonzero(positives)
        queries = ranking.items[split].numpy()
        assert {tuple(sorted((int(queries[r]), int(c)))) for r, c in zip(rows, columns)} == held_out
        source, target = ranking.data.edge_index.numpy()
        row_of = {node: row for row, node in enumerate(queries)}
        assert all(excluded[row_of[u], v] for u, v in zip(source, target) if u in row_of)
    assert torch.equal(ranking.data.edge_index, link.data.edge_index)
