"""AnyGraph (harness_anygraph): zero-shot predictions depend on the checkpoint and never on the
target's held-out edges, evaluation changes no parameter, routing and its frequency factors,
class nodes for node classification, full-ranking metrics against brute force, the training
stage shared by a grid's cells, and the refusal of a grid that is not zero-shot."""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from harness.ranking import RankingMetric, split_target
from harness.unified_input import normalized_adjacency, propagate, svd_projection
from harness_anygraph.experts import expert, frequency_factors, link_score, route, routing_scores
from harness_anygraph.graph_input import graph_input
from harness_anygraph.settings import ModelSettings, TrainingSettings
from harness_anygraph.training import load_experts, make_experts, sampled_softmax_loss, train
from harness_anygraph.zero_shot import predictions, unified_input, zero_shot
from helpers.brute_ranking import every_tie_break

MODEL = ModelSettings(dim=16, experts=3, hops=2)
QUICK = TrainingSettings(epochs=2, batch=64, max_steps=3, lr=1e-2)
BACKBONE = functools.partial(expert, task_type="link-ranking", layers=2, dropout=0.1)


@pytest.fixture(scope="module")
def group(harness_registry_module):
    """Two link graphs to train on (methods' views: no test labels)."""
    component = harness_registry_module.get("dataset", "synthetic-link")
    tasks = [component.load()(root=".", **{**component.defaults(), "seed": seed}) for seed in (1, 2)]
    return [graph_input(task.method_view()) for task in tasks]


@pytest.fixture(scope="module")
def harness_registry_module():
    from harness.registry import load_registry

    return load_registry(())[1]


@pytest.fixture(scope="module")
def trained(group):
    return {seed: train(group, MODEL, QUICK, BACKBONE, seed) for seed in (0, 1)}


def _ranking_task(registry, num_nodes=60):
    component = registry.get("dataset", "synthetic-ranking")
    return component.load()(root=".", **{**component.defaults(), "num_nodes": num_nodes})


def test_zero_shot_changes_with_the_checkpoint(harness_registry_module, trained):
    view = _ranking_task(harness_registry_module).method_view()
    first = zero_shot(view, load_experts(trained[0], MODEL, BACKBONE), MODEL, 0, seed=0)
    second = zero_shot(view, load_experts(trained[1], MODEL, BACKBONE), MODEL, 0, seed=0)
    assert first.test.shape == (len(view.items["test"]), view.data.num_nodes)
    assert not torch.allclose(first.test, second.test)
    again = zero_shot(view, load_experts(trained[0], MODEL, BACKBONE), MODEL, 0, seed=0)
    assert torch.equal(first.test, again.test) and torch.equal(first.valid, again.valid)


def test_zero_shot_ignores_the_targets_validation_and_test_edges(harness_registry_module, trained):
    """Other held-out edges (targets) and other queries leave every (query, candidate) score as
    it was: only the training graph is input."""
    task = _ranking_task(harness_registry_module)
    generator = torch.Generator().manual_seed(5)
    shuffled = {split: task.labels[split][torch.randperm(len(task.labels[split]), generator=generator)] for split in ("valid", "test")}
    swapped_queries = {"valid": task.items["test"], "test": task.items["valid"]}
    other_labels = replace(task, labels={**task.labels, **shuffled})
    other_queries = replace(task, items={**task.items, **swapped_queries}, labels={**task.labels, "valid": task.labels["test"], "test": task.labels["valid"]})
    experts = load_experts(trained[0], MODEL, BACKBONE)
    base = zero_shot(task.method_view(), experts, MODEL, 0, seed=3)
    assert torch.equal(base.test, zero_shot(other_labels.method_view(), experts, MODEL, 0, seed=3).test)
    swapped = zero_shot(other_queries.method_view(), experts, MODEL, 0, seed=3)
    assert torch.equal(base.test, swapped.valid) and torch.equal(base.valid, swapped.test)


def test_evaluation_changes_no_parameter(harness_registry_module, trained):
    experts = load_experts(trained[0], MODEL, BACKBONE)
    before = [{k: v.clone() for k, v in e.state_dict().items()} for e in experts]
    for view in (_ranking_task(harness_registry_module).method_view(), _node_view(harness_registry_module)):
        zero_shot(view, experts, MODEL, 0, seed=0)
    for expert_before, expert_after in zip(before, experts):
        after = expert_after.state_dict()
        assert all(torch.equal(expert_before[k], after[k]) for k in expert_before)
        assert all(p.grad is None for p in expert_after.parameters())


def test_training_updates_only_routed_experts_and_records_the_factors(trained):
    payload = trained[0]
    trace = payload["trace"]
    routed = {expert_id for epoch in trace["assignment"] for expert_id in epoch}
    torch.manual_seed(0)  # train() draws its experts right after seeding with its seed
    initial = make_experts(MODEL, BACKBONE)
    counts = payload["trained_samples"].tolist()
    for expert_id, state in enumerate(payload["experts"]):
        changed = any(not torch.equal(state[k], initial[expert_id].state_dict()[k]) for k in state)
        assert changed == (expert_id in routed) == (counts[expert_id] > 1)
    assert all(0.9 - 1e-6 <= f <= 1.1 + 1e-6 for epoch in trace["factors"] for f in epoch)


@pytest.mark.parametrize("counts", [[1, 1, 1], [1, 10_000, 1], [5_000_000, 1], [1], [3, 7, 11, 13, 17, 19, 23, 29]])
def test_frequency_factors_stay_within_range_and_favour_the_least_trained(counts):
    factors = frequency_factors(torch.tensor(counts))
    assert bool(((factors >= 0.9 - 1e-6) & (factors <= 1.1 + 1e-6)).all())
    order = np.argsort(counts, kind="stable")
    assert factors[order[0]] >= factors[order[-1]]
    assert frequency_factors(torch.tensor(counts), spread=0.5).min() >= 0.75 - 1e-6


class _Constant(nn.Module):
    """Every node the same embedding: no edge ranks above a random node."""

    def forward(self, x):
        return torch.ones_like(x)


class _Shrunk(nn.Module):
    """The communities kept, at a tenth of the scale: edges rank above random nodes by less."""

    def forward(self, x):
        return x / 10


def test_routing_picks_the_expert_that_ranks_the_known_edges_best():
    """Two communities, one-hot inputs: the identity separates them (edges inside a community
    score above random nodes), the shrunk map less sharply, a constant map not at all."""
    communities = torch.tensor([0] * 10 + [1] * 10)
    inputs = nn.functional.one_hot(communities, 2).float() * 3
    pairs = torch.combinations(torch.arange(20), 2).t()
    edges = pairs[:, communities[pairs[0]] == communities[pairs[1]]]
    negatives = torch.randint(20, (edges.size(1),), generator=torch.Generator().manual_seed(0))
    experts = [_Constant(), _Shrunk(), nn.Identity()]
    scores = routing_scores(experts, inputs, edges[0], edges[1], negatives)
    assert scores[2] > scores[1] > scores[0]
    assert route(scores) == 2
    assert scores[0] == pytest.approx(0.5)
    assert link_score(inputs, edges[0], edges[1], negatives) == pytest.approx(scores[2].item())
    # a near tie goes to the less trained expert once the frequency factors apply
    close = torch.tensor([0.80, 0.79])
    assert route(close) == 0 and route(close, frequency_factors(torch.tensor([1000, 1]))) == 1


def _node_task(registry):
    component = registry.get("dataset", "synthetic-node")
    return component.load()(root=".", **component.defaults())


def _node_view(registry):
    return _node_task(registry).method_view()


def test_class_nodes_are_linked_from_the_training_nodes_only(harness_registry_module):
    view = _node_view(harness_registry_module)
    graph = graph_input(view)
    n, classes = view.data.num_nodes, view.num_outputs
    assert graph.num_nodes == n + classes and graph.class_nodes.tolist() == list(range(n, n + classes))
    to_classes = graph.edges[:, graph.edges[1] >= n]
    assert sorted(to_classes[0].tolist()) == sorted(view.items["train"].tolist())
    assert torch.equal(to_classes[1] - n, view.labels["train"][torch.argsort(view.items["train"])][torch.argsort(torch.argsort(to_classes[0]))])
    assert graph.x[n:].abs().sum() == 0, "class nodes have zero features"
    out = predictions(view, graph, unified_input(graph, MODEL, seed=0))
    assert out.valid.shape == (len(view.items["valid"]), classes) and out.test.shape == (len(view.items["test"]), classes)


def test_node_classification_ignores_validation_labels(harness_registry_module, trained):
    task = _node_task(harness_registry_module)
    experts = load_experts(trained[0], MODEL, BACKBONE)
    base = zero_shot(task.method_view(), experts, MODEL, 0, seed=0)
    flipped = replace(task, labels={**task.labels, "valid": task.labels["valid"].flip(0)})
    assert torch.equal(base.test, zero_shot(flipped.method_view(), experts, MODEL, 0, seed=0).test)


def test_unified_input_matches_its_definition():
    """Propagation: LayerNorm without affine, then A E + A^2 E (hops=2), the input excluded."""
    edges = torch.tensor([[0, 1, 2, 3, 0], [1, 2, 3, 4, 4]])
    projection = svd_projection(edges, 6, None, 8, seed=0)
    adjacency = normalized_adjacency(edges, 6).to_dense()
    normed = (projection - projection.mean(1, keepdim=True)) / torch.sqrt(projection.var(1, unbiased=False, keepdim=True) + 1e-5)
    expected = adjacency @ normed + adjacency @ adjacency @ normed
    assert torch.allclose(propagate(projection, normalized_adjacency(edges, 6), hops=2), expected, atol=1e-5)
    assert not torch.equal(projection, svd_projection(edges, 6, None, 8, seed=1)), "a new seed is a new draw (augmentation)"


def test_sampled_softmax_loss_is_cross_entropy_over_the_batch_negatives():
    inputs = torch.randn(10, 4, generator=torch.Generator().manual_seed(0))
    anchors, positives, negatives = torch.tensor([0, 1]), torch.tensor([2, 3]), torch.tensor([4, 5])
    loss = sampled_softmax_loss(nn.Identity(), inputs, anchors, positives, negatives)
    expected = 0.0
    for a, p in zip(anchors, positives):
        logits = torch.stack([inputs[a] @ inputs[p]] + [inputs[a] @ inputs[n] for n in negatives])
        expected += -torch.log_softmax(logits, 0)[0] / 2
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_the_expert_backbone_maps_another_width_linearly_first():
    """AnyGraph's experts keep their width; a method that asks for another output width (the
    supervised baseline) gets a linear map in front of the residual layers."""
    assert expert(16, 16, "link-ranking").project is None
    other = expert(16, 8, "node-classification", layers=2)
    assert other(torch.randn(5, 16), torch.zeros(2, 0, dtype=torch.long)).shape == (5, 8)


def test_recall_and_ndcg_of_zero_shot_scores_agree_with_brute_force(harness_registry_module):
    """A small ranking graph, scores rounded so that many candidates tie: the harness's
    Recall@3 and NDCG@3 equal the mean over every tie-break, training edges masked."""
    task = _ranking_task(harness_registry_module, num_nodes=7)
    graph = graph_input(task.method_view())
    embeddings = unified_input(graph, ModelSettings(dim=4, hops=1), seed=0)
    scores = predictions(task.method_view(), graph, embeddings).test.round(decimals=0)
    positives, excluded = split_target(task.labels["test"])
    assert excluded.any() and (~excluded & ~positives).any()
    tied = [len(set(row[~mask].tolist())) < (~mask).sum() for row, mask in zip(scores.numpy(), excluded)]
    assert any(tied), "the example has ties among candidates"
    expected = {"recall": [], "ndcg": []}
    for row, positive, mask in zip(scores.numpy(), positives, excluded):
        if positive.any():
            orders = every_tie_break(row, positive, mask, 3)
            expected["recall"].append(orders[:, 0].mean())
            expected["ndcg"].append(orders[:, 1].mean())
    for measure in ("recall", "ndcg"):
        assert RankingMetric(measure, 3)(task.labels["test"], scores) == pytest.approx(np.mean(expected[measure]), abs=1e-12)


# -- grids -------------------------------------------------------------------------------------------

GRID = {
    "name": "zero-shot",
    "seeds": [0],
    "groups": {"train": [{"name": "synthetic-link", "params": {"num_nodes": 80}}]},
    "datasets": [{"name": "synthetic-ranking", "params": {"num_nodes": 60}}, "synthetic-node"],
    "backbones": [{"name": "anygraph-expert", "params": {"layers": 1}}],
    "methods": [{"name": "anygraph", "params": {"train_on": "train", "dim": 8, "experts": 2, "epochs": 1, "batch": 64}},
                {"name": "anygraph-untrained", "params": {"dim": 8}}, {"name": "anygraph-features", "params": {"dim": 8}}],
}


def test_a_grid_trains_once_per_group_and_evaluates_every_dataset(harness_run):
    _, records = harness_run(GRID)
    assert len(records) == 6 and all(r["status"] == "complete" for r in records), [r.get("error") for r in records]
    anygraph = [r for r in records if r["config"]["method"]["name"] == "anygraph"]
    statuses = sorted(stage["status"] for r in anygraph for stage in r["stages"] if stage["name"] == "anygraph-model")
    assert statuses == ["built", "reused"]
    ranking = next(r for r in anygraph if r["task_type"] == "link-ranking")
    assert set(ranking["metrics"]["test"]) >= {"recall@20", "ndcg@20"}
    assert ranking["extra"]["routed_expert"] in (0, 1) and ranking["num_params"] > 0
    assert next(r for r in records if r["config"]["method"]["name"] == "anygraph-features")["num_params"] == 0


def _refusal(tmp_path, grid):
    import yaml

    from harness.cli import main

    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(grid))
    return main(["run", "--grid", str(path), "--results-dir", str(tmp_path / "results"), "--dry-run"])


def test_a_grid_that_trains_on_its_own_dataset_is_refused_unless_not_zero_shot(tmp_path, capsys):
    grid = {**GRID, "groups": {"train": ["synthetic-link", "synthetic-ranking"]}}
    assert _refusal(tmp_path, grid) == 2
    err = capsys.readouterr().err
    assert "holds 'synthetic-ranking'" in err and "zero_shot: false" in err
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())
    methods = [{**GRID["methods"][0], "params": {**GRID["methods"][0]["params"], "zero_shot": False}}]
    assert _refusal(tmp_path, {**grid, "methods": methods}) == 0


def test_a_ranking_variant_and_its_link_dataset_are_one_graph(harness_registry_module):
    usair, ranking = (harness_registry_module.get("dataset", name) for name in ("usair", "usair-ranking"))
    assert usair.graph == ranking.graph == "usair"
    assert harness_registry_module.get("dataset", "synthetic-ranking").graph == "synthetic-ranking"


def test_the_default_size_is_the_papers():
    """d = 512, 8 experts of 8 layers: about 16.9M parameters, as the paper reports."""
    model = ModelSettings()
    experts = make_experts(model, functools.partial(expert, task_type="link-ranking"))
    count = sum(p.numel() for e in experts for p in e.parameters())
    assert (model.dim, model.experts, len(experts[0].linears), TrainingSettings().lr, TrainingSettings().batch) == (512, 8, 8, 1e-4, 4096)
    assert count == 8 * 8 * (512 * 512 + 512 + 2 * 512) and round(count / 1e6, 1) == 16.9
