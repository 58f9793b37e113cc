"""AUX-TS (``aux-ts`` in harness_pretraining; Han et al., KDD 2021): the weighting network gets a
non-zero and correct gradient through the differentiable look-ahead (finite differences on a tiny
float64 model), weights per example depend on loss value, task id and cosine, ``equal`` weights
every auxiliary example 1 and ``target-only`` never computes an auxiliary loss; on the toy the
harmful task ends with the lower weight; validation labels never enter a loss; runs through the
harness on nodes and molecules keep the weights per task and share the pre-training stage."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch
from torch import nn
from torch_geometric.data import Data

from harness_pretraining import aux_ts
from harness_pretraining.aux_model import MultiTaskModel, NodeTarget
from harness_pretraining.aux_ts import TARGET, Adaptive, Equal, TargetOnly, WeightingNetwork, weighting_features
from harness_pretraining.random_labels import RandomNodeLabels
from helpers.molecule_files import TINY_SMILES, write_tiny_bbbp


@pytest.fixture(autouse=True)
def one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models on a small shared machine
    yield
    torch.set_num_threads(previous)


# -- a tiny float64 model -------------------------------------------------------------------------


class TinyEncoder(nn.Module):
    """A one-layer graph encoder without randomness: tanh(W (x + mean of in-neighbours))."""

    def __init__(self, in_dim: int, width: int):
        super().__init__()
        self.linear = nn.Linear(in_dim, width)

    def forward(self, x, edge_index, edge_attr=None):
        source, target = edge_index
        summed = torch.zeros_like(x).index_add_(0, target, x[source])
        degree = torch.bincount(target, minlength=x.size(0)).clamp(min=1).unsqueeze(1).to(x.dtype)
        return torch.tanh(self.linear(x + summed / degree))


class Reconstruction(nn.Module):
    """A deterministic auxiliary task: decode each node's features (squared error per node)."""

    def __init__(self, width: int, in_dim: int):
        super().__init__()
        self.decoder = nn.Linear(width, in_dim)

    def per_example(self, encoder, data, generator=None):
        return (self.decoder(encoder(data.x, data.edge_index)) - data.x).pow(2).sum(-1)


class Tripwire(nn.Module):
    def per_example(self, encoder, data, generator=None):
        raise AssertionError("an auxiliary loss was computed")


def tiny_problem(seed: int = 0, auxiliaries=("reconstruction", "random-labels")):
    torch.manual_seed(seed)
    nodes, features, width, classes = 12, 3, 4, 3
    data = Data(x=torch.randn(nodes, features, dtype=torch.float64), edge_index=torch.randint(nodes, (2, 30)))
    encoder = TinyEncoder(features, width)
    target = NodeTarget(width, classes, torch.arange(6), torch.randint(classes, (6,)))
    modules = {"reconstruction": Reconstruction(width, features),
               "random-labels": RandomNodeLabels(width, torch.randint(classes, (nodes,)), classes, borrowed=target.head),
               "tripwire": Tripwire()}
    model = MultiTaskModel(encoder, target, {name: modules[name] for name in auxiliaries}).double()
    return model, data


def adaptive(names, hidden=5, step_size=0.5):
    return Adaptive(tuple(names), WeightingNetwork(len(names), hidden).double(), lr=0.01, step_size=step_size)


def meta_loss(weighting, model, data):
    target, auxiliary = weighting.losses(model, data)
    inputs, _ = weighting.features(model, target, auxiliary)
    return weighting.meta_loss(model, data, target, auxiliary, inputs)


def test_the_weighting_network_gets_a_non_zero_gradient_through_the_look_ahead_and_theta_is_untouched():
    model, data = tiny_problem()
    weighting = adaptive(["reconstruction", "random-labels"])
    before = {name: value.clone() for name, value in model.state_dict().items()}
    grads = torch.autograd.grad(meta_loss(weighting, model, data), list(weighting.network.parameters()))
    assert all(torch.isfinite(g).all() for g in grads) and sum(float(g.abs().sum()) for g in grads) > 1e-6
    assert all(torch.equal(before[name], value) for name, value in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())  # the meta step leaves the model's gradients alone


def test_the_meta_gradient_matches_finite_differences():
    model, data = tiny_problem(seed=1)
    weighting = adaptive(["reconstruction", "random-labels"])
    parameters = list(weighting.network.parameters())
    analytic = torch.autograd.grad(meta_loss(weighting, model, data), parameters)
    epsilon = 1e-6
    for parameter, gradient in zip(parameters, analytic):
        flat, expected = parameter.data.view(-1), gradient.view(-1)
        for index in range(flat.numel()):
            original = float(flat[index])
            flat[index] = original + epsilon
            up = float(meta_loss(weighting, model, data).detach())
            flat[index] = original - epsilon
            down = float(meta_loss(weighting, model, data).detach())
            flat[index] = original
            assert (up - down) / (2 * epsilon) == pytest.approx(float(expected[index]), rel=1e-4, abs=1e-9)


def test_weights_are_per_example_and_depend_on_loss_task_and_cosine():
    torch.manual_seed(0)
    network = WeightingNetwork(num_tasks=2, hidden=8)
    losses = torch.tensor([0.1, 0.5, 2.0])
    rows = weighting_features(losses, task=1, num_tasks=2, cosine=0.3)
    assert torch.allclose(rows, torch.tensor([[0.1, 0.0, 1.0, 0.3], [0.5, 0.0, 1.0, 0.3], [2.0, 0.0, 1.0, 0.3]]))
    weights = network(rows)
    assert weights.shape == (3,) and ((weights > 0) & (weights < 1)).all()
    assert len(set(weights.tolist())) == 3  # per example: another loss value, another weight
    assert not torch.allclose(network(weighting_features(losses, 0, 2, 0.3)), weights)  # task id
    assert not torch.allclose(network(weighting_features(losses, 1, 2, -0.8)), weights)  # cosine


def test_gradient_cosines_compare_each_task_with_the_target_on_the_shared_parameters():
    weight = nn.Parameter(torch.tensor([1.0, 2.0]))
    target = (weight * torch.tensor([1.0, 0.0])).sum()
    same, opposite, orthogonal = (weight * torch.tensor([2.0, 0.0])).sum(), -(weight * torch.tensor([1.0, 0.0])).sum(), (weight * torch.tensor([0.0, 3.0])).sum()
    assert aux_ts.gradient_cosines(target, [same, opposite, orthogonal, torch.tensor(0.0)], [weight]) == pytest.approx([1.0, -1.0, 0.0, 0.0])


def test_equal_weights_every_auxiliary_example_one():
    model, data = tiny_problem()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # the gradient is what is compared
    report = Equal(("reconstruction", "random-labels")).step(model, data, optimizer)
    assert report.weights == [1.0, 1.0]
    expected = torch.autograd.grad(model(data).mean() + model(data, "reconstruction").mean() + model(data, "random-labels").mean(), list(model.parameters()))
    assert all(torch.allclose(p.grad, g) for p, g in zip(model.parameters(), expected))


def test_target_only_never_computes_an_auxiliary_loss():
    model, data = tiny_problem(auxiliaries=("tripwire",))
    report = TargetOnly().step(model, data, torch.optim.SGD(model.parameters(), lr=0.1))
    assert report.auxiliary_losses == [] and report.weights == []
    with pytest.raises(AssertionError, match="auxiliary loss was computed"):
        Equal(("tripwire",)).step(model, data, torch.optim.SGD(model.parameters(), lr=0.1))


def test_an_adaptive_step_updates_the_network_and_then_the_model_with_the_new_weights():
    model, data = tiny_problem()
    weighting = adaptive(["reconstruction", "random-labels"])
    network_before = [p.clone() for p in weighting.network.parameters()]
    model_before = [p.clone() for p in model.parameters()]
    report = weighting.step(model, data, torch.optim.SGD(model.parameters(), lr=0.1))
    assert any(not torch.equal(a, b) for a, b in zip(network_before, weighting.network.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(model_before, model.parameters()))
    assert len(report.weights) == len(report.cosines) == 2 and all(0 < w < 1 for w in report.weights)


# -- through the method: the toy, and no validation label in a loss -------------------------------


def _run_method(view, dataset: str, method: dict, seed: int, backbone=("gcn", {})):
    """The method's ``run`` in this process (a context without cache or observers)."""
    from harness.cell import Cell, ComponentRef
    from harness.context import RunContext
    from harness.registry import load_registry
    from harness.worker import BackboneFactory

    _, registry = load_registry(())
    component = registry.get("method", "aux-ts")
    params = {**component.defaults(), **method}
    name, backbone_params = backbone
    backbone_component = registry.get("backbone", name)
    backbone_params = {**backbone_component.defaults(), **backbone_params}
    cell = Cell(ComponentRef(dataset), ComponentRef("identity"), ComponentRef(name, backbone_params), ComponentRef("aux-ts", params), seed=seed)
    context = RunContext(cell, None, "cpu", None, load_task=None, epoch_finished=lambda *args: None)
    torch.manual_seed(seed)  # as the harness seeds a cell
    encoder = registry.get("encoder", "identity").load()()
    predictions = component.load()(**params).run(view, encoder, BackboneFactory(backbone_component, backbone_params, view.task_type), context)
    return predictions, context


def _synthetic_view(**params):
    from harness.registry import load_registry

    _, registry = load_registry(())
    component = registry.get("dataset", "synthetic-node")
    return component.load()(root=".", **{**component.defaults(), **params}).method_view()


TOY = {"auxiliaries": ["link", "random-labels"], "lr": 0.01, "weight_decay": 5e-4}


def _toy_weights(view, dataset, epochs, seeds):
    finals = []
    for seed in seeds:
        predictions, _ = _run_method(view, dataset, {**TOY, "epochs": epochs}, seed)
        assert predictions.extra["trace_labels"]["task_weights"] == ["link", "random-labels"]
        assert len(predictions.extra["traces"]["task_weights"]) == epochs
        finals.append(predictions.extra["final_task_weights"])
    return finals


def test_on_real_cora_with_five_labels_per_class_the_harmful_task_ends_with_the_lower_weight(shared_data):
    from harness.registry import load_registry

    _, registry = load_registry(())
    cora = registry.get("dataset", "cora")
    view = cora.load()(root=str(shared_data), **{**cora.defaults(), "split": "random", "train_per_class": 5}).method_view()
    for final in _toy_weights(view, "cora", epochs=60, seeds=(0, 1)):
        assert final["random-labels"] < final["link"], final


def test_on_a_small_synthetic_graph_the_harmful_task_ends_with_the_lower_weight():
    view = _synthetic_view(num_nodes=300)
    for final in _toy_weights(view, "synthetic-node", epochs=60, seeds=(0,)):
        assert final["random-labels"] < final["link"], final


@pytest.mark.parametrize("weighting", ["adaptive", "equal"])
def test_the_training_curve_is_the_same_when_the_validation_labels_are_permuted(weighting):
    view = _synthetic_view(num_nodes=200)
    permuted = _synthetic_view(num_nodes=200)
    labels = dict(permuted.labels._labels)
    labels["valid"] = labels["valid"][torch.randperm(labels["valid"].numel(), generator=torch.Generator().manual_seed(1))]
    assert not torch.equal(labels["valid"], view.labels["valid"])
    permuted.labels = type(permuted.labels)(labels)
    method = {**TOY, "epochs": 8, "weighting": weighting, "auxiliaries": ["link", "attributes", "random-labels"]}
    (first, first_context), (second, second_context) = (_run_method(v, "synthetic-node", method, seed=3) for v in (view, permuted))
    losses = [[point["train_loss"] for point in context.curve] for context in (first_context, second_context)]
    assert losses[0] == losses[1]
    assert first.extra["traces"] == second.extra["traces"]
    assert [p["valid"] for p in first_context.curve] != [p["valid"] for p in second_context.curve]


def test_target_only_builds_no_auxiliary_task_and_keeps_no_weights():
    predictions, context = _run_method(_synthetic_view(num_nodes=120), "synthetic-node", {**TOY, "epochs": 3, "weighting": "target-only"}, seed=0)
    assert predictions.extra["auxiliaries"] == [] and predictions.extra["traces"] == {} and predictions.extra["final_task_weights"] == {}
    assert all(set(point) == {"epoch", "train_loss", "valid"} for point in context.curve)


def test_node_tasks_refuse_molecule_auxiliaries_and_an_init():
    view = _synthetic_view(num_nodes=120)
    with pytest.raises(ValueError, match=r"\['attrmasking'\] do not apply to node tasks"):
        _run_method(view, "synthetic-node", {"auxiliaries": ["attrmasking"], "epochs": 1}, seed=0)
    with pytest.raises(ValueError, match="node tasks start from random weights"):
        _run_method(view, "synthetic-node", {"init": "attrmasking", "epochs": 1}, seed=0)


# -- through the harness -----------------------------------------------------------------------------


def test_the_toy_through_the_harness_keeps_the_task_weights_for_the_plot(harness_run, shared_data, tmp_path):
    from harness.plot import plot_traces
    from harness.record import Record

    toy = {"name": "cora", "params": {"split": "random", "train_per_class": 5}}
    methods = [{"name": "aux-ts", "label": f"AUX-TS {weighting}", "params": {**TOY, "epochs": 3, "weighting": weighting}}
               for weighting in ("adaptive", "equal", "target-only")]
    summary, records = harness_run({"name": "toy", "seeds": 1, "datasets": [toy], "backbones": ["gcn"], "methods": methods}, data_root=str(shared_data))
    by_label = {record["cell"]["method"]["label"]: record for record in records}
    assert all(record["status"] == "complete" for record in records), [r.get("error") for r in records]
    adaptive_record = by_label["AUX-TS adaptive"]
    assert adaptive_record["extra"]["trace_labels"]["task_weights"] == ["link", "random-labels"]
    assert len(adaptive_record["extra"]["traces"]["task_weights"]) == 3 and len(adaptive_record["extra"]["traces"]["task_cosines"]) == 3
    assert by_label["AUX-TS equal"]["extra"]["traces"]["task_weights"] == [[1.0, 1.0]] * 3
    assert "task_weights" not in by_label["AUX-TS target-only"]["extra"]["traces"]
    assert all("weight_link" in point for point in adaptive_record["curve"])
    paths = plot_traces("cora", [Record.from_dict(record) for record in records], tmp_path)
    assert any("task_weights" in path.name for path in paths)


TINY_GIN = {"name": "gin-mol", "params": {"num_layers": 2, "hidden": 16}}
PRETRAINING = {"corpus": {"name": "zinc", "params": {"size": 40}}, "pretrain_epochs": 1, "pretrain_batch_size": 16}


@pytest.fixture
def molecule_root(tmp_path: Path) -> Path:
    root = write_tiny_bbbp(tmp_path / "data")
    corpus = root / "zinc_moses" / "train.csv.gz"
    corpus.parent.mkdir(parents=True)
    with gzip.open(corpus, "wt") as handle:
        handle.write("SMILES\n" + "\n".join(TINY_SMILES) + "\n")
    return root


def test_molecules_through_the_harness_share_the_pretraining_stage_with_attrmasking(harness_run, molecule_root, tmp_path):
    fine_tuning = {"epochs": 2, "batch_size": 8, **PRETRAINING}
    methods = [
        {"name": "attrmasking", "params": fine_tuning},
        {"name": "aux-ts", "label": "AUX-TS", "params": {**fine_tuning, "init": "attrmasking", "auxiliaries": ["attrmasking", "random-labels"]}},
        {"name": "aux-ts", "label": "AUX-TS default", "params": {**fine_tuning, "init": "attrmasking", "weighting": "equal"}},
        {"name": "aux-ts", "label": "AUX-TS infomax", "params": {**fine_tuning, "auxiliaries": ["infomax", "edgepred"], "random_labels_head": "own"}},
    ]
    grid = {"name": "aux-ts-molecules", "seeds": 1, "datasets": ["bbbp"], "backbones": [TINY_GIN], "methods": methods}
    summary, records = harness_run(grid, data_root=str(molecule_root), cache_dir=str(tmp_path / "cache"))
    assert all(record["status"] == "complete" for record in records), [r.get("error") for r in records]
    by_label = {record["cell"]["method"]["label"] or record["cell"]["method"]["name"]: record for record in records}
    stages = {label: record["stages"] for label, record in by_label.items()}
    keys = {stage["key"] for label in ("attrmasking", "AUX-TS", "AUX-TS default") for stage in stages[label]}
    assert len(keys) == 1  # one node-level pre-training, built once and reused by the others
    assert sorted(stage["status"] for label in ("attrmasking", "AUX-TS", "AUX-TS default") for stage in stages[label]) == ["built", "reused", "reused"]
    assert stages["AUX-TS infomax"] == []  # init none: from random weights
    adaptive_record = by_label["AUX-TS"]
    assert adaptive_record["extra"]["trace_labels"]["task_weights"] == ["attrmasking", "random-labels"]
    assert len(adaptive_record["extra"]["traces"]["task_weights"]) == 2
    assert [entry["strategy"] for entry in adaptive_record["extra"]["pretraining"]] == ["attrmasking"]
    assert [point["epoch"] for point in adaptive_record["epoch_scores"]] == [0, 1]  # every epoch kept, as the family does
    assert by_label["AUX-TS default"]["extra"]["auxiliaries"] == ["attrmasking"]  # the init strategy's own objective
    assert by_label["AUX-TS infomax"]["extra"]["auxiliaries"] == ["infomax", "edgepred"]
