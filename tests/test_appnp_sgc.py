"""APPNP and SGC (plugin pyg-backbones) against their formulas computed by hand with a dense
normalised adjacency, their forms without propagation, SGC's cache of propagated features (kept
for the same inputs only), APPNP's edge dropout as PyG implements it, and a short supervised run
of each on the synthetic node task."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from harness_pyg_backbones.appnp import appnp
from harness_pyg_backbones.sgc import sgc

N, IN, OUT = 6, 5, 3
MLP = dict(num_layers=2, hidden=7, dropout=0.0, activation="relu", norm="none", residual=False)
#: an undirected path 0-1-2-3-4 and the edge 1-4; node 5 has no neighbour
UNDIRECTED = [(0, 1), (1, 2), (2, 3), (3, 4), (1, 4)]


def _edge_index(pairs=UNDIRECTED) -> torch.Tensor:
    both_ways = [(a, b) for a, b in pairs] + [(b, a) for a, b in pairs]
    return torch.tensor(both_ways).t().contiguous()


def _normalised_adjacency(edge_index: torch.Tensor, nodes: int = N) -> torch.Tensor:
    """``D^-1/2 (A + I) D^-1/2`` as a dense matrix, from the edge list."""
    adjacency = torch.eye(nodes)
    adjacency[edge_index[1], edge_index[0]] = 1.0
    inverse_root = adjacency.sum(1).pow(-0.5)
    return inverse_root.unsqueeze(1) * adjacency * inverse_root.unsqueeze(0)


def _features(seed=0, nodes=N) -> torch.Tensor:
    return torch.randn(nodes, IN, generator=torch.Generator().manual_seed(seed))


def _mlp_by_hand(model, x):
    first, last = model.mlp.layers
    return torch.relu(x @ first.weight.t() + first.bias) @ last.weight.t() + last.bias


def _sgc_by_hand(model, x, edge_index, K):
    propagated = torch.linalg.matrix_power(_normalised_adjacency(edge_index, x.size(0)), K) @ x
    return propagated @ model.conv.lin.weight.t() + model.conv.lin.bias


# -- APPNP -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("K, alpha", [(1, 0.1), (4, 0.25), (10, 0.1)])
def test_appnp_is_personalised_pagerank_of_the_mlp_predictions(K, alpha):
    torch.manual_seed(0)
    model = appnp(IN, OUT, "node-classification", K=K, alpha=alpha, **MLP).eval()
    x, edges = _features(), _edge_index()
    predictions = _mlp_by_hand(model, x)
    adjacency, z = _normalised_adjacency(edges), predictions
    for _ in range(K):
        z = (1 - alpha) * adjacency @ z + alpha * predictions
    assert model.hops == K
    assert torch.allclose(model(x, edges), z, atol=1e-5)


def test_appnp_without_propagation_is_its_mlp_and_k0_is_the_same():
    torch.manual_seed(0)
    model = appnp(IN, OUT, "node-classification", K=10, alpha=0.1, **MLP).eval()
    x, edges = _features(), _edge_index()
    assert torch.allclose(model.forward_without_propagation(x), _mlp_by_hand(model, x), atol=1e-6)
    without_steps = appnp(IN, OUT, "node-classification", K=0, alpha=0.1, **MLP).eval()
    without_steps.load_state_dict(model.state_dict())
    assert without_steps.hops == 0
    assert torch.allclose(without_steps(x, edges), model.forward_without_propagation(x), atol=1e-6)


def test_appnp_takes_sparse_features_in_its_mlp():
    torch.manual_seed(0)
    model = appnp(IN, OUT, "node-classification", K=3, alpha=0.1, **MLP).eval()
    x = _features() * (torch.rand(N, IN, generator=torch.Generator().manual_seed(1)) < 0.3)
    edges = _edge_index()
    assert torch.allclose(model(x.to_sparse_csr(), edges), model(x, edges), atol=1e-6)


def test_appnp_edge_dropout_is_what_its_docstring_says():
    """PyG's APPNP drops the normalised edge weights in training only, and (PyG <= 2.8,
    pyg-team/pytorch_geometric#10783) each step from the previous step's dropped weights. If
    this fails after a PyG upgrade, update the docstring of ``appnp.py`` and the doc of
    ``edge_dropout`` in ``__init__.py``."""
    torch.manual_seed(0)
    model = appnp(IN, OUT, "node-classification", K=3, alpha=0.1, edge_dropout=0.5, **MLP)
    weights = []
    model.propagation.register_propagate_forward_pre_hook(lambda module, inputs: weights.append(inputs[-1]["edge_weight"].clone()))
    x, edges = _features(), torch.randint(0, N, (2, 40), generator=torch.Generator().manual_seed(2))
    model.eval()(x, edges)
    normalised = weights[0]
    assert all(torch.equal(w, normalised) for w in weights)  # no dropout in evaluation
    weights.clear()
    model.train()(x, edges)
    kept = torch.ones_like(normalised, dtype=torch.bool)
    for step, dropped in enumerate(weights, start=1):
        survivors = dropped != 0
        assert not (survivors & ~kept).any(), "an edge dropped at an earlier step came back"
        assert torch.allclose(dropped[survivors], normalised[survivors] * 2**step), "survivors are rescaled once per step so far"
        kept = survivors


# -- SGC -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("K", [1, 2, 3])
def test_sgc_is_a_linear_map_of_features_propagated_k_times(K):
    torch.manual_seed(0)
    model = sgc(IN, OUT, "node-classification", K=K)
    x, edges = _features(), _edge_index()
    assert model.hops == K
    assert torch.allclose(model(x, edges), _sgc_by_hand(model, x, edges, K), atol=1e-5)


def test_sgc_without_propagation_is_its_linear_map_and_k0_is_the_same():
    torch.manual_seed(0)
    model = sgc(IN, OUT, "node-classification", K=2)
    x, edges = _features(), _edge_index()
    linear = x @ model.conv.lin.weight.t() + model.conv.lin.bias
    assert torch.allclose(model.forward_without_propagation(x), linear, atol=1e-6)
    without_steps = sgc(IN, OUT, "node-classification", K=0)
    without_steps.load_state_dict(model.state_dict())
    assert torch.allclose(without_steps(x, edges), linear, atol=1e-6)


def _count_propagations(model) -> list:
    calls = []
    model.conv.register_propagate_forward_pre_hook(lambda module, inputs: calls.append(1))
    return calls


def test_sgc_propagates_once_while_its_inputs_stay_the_same():
    model = sgc(IN, OUT, "node-classification", K=2)
    calls = _count_propagations(model)
    x, edges = _features(), _edge_index()
    first = model(x, edges)
    with torch.no_grad():
        assert torch.equal(model.eval()(x, edges), first.detach())
    assert len(calls) == 2  # K propagations, once
    x[0, 0] += 1.0  # an edited feature matrix is propagated again
    assert torch.allclose(model(x, edges), _sgc_by_hand(model, x, edges, 2), atol=1e-5)
    assert len(calls) == 4
    model.reset_parameters()
    model(x, edges)
    assert len(calls) == 6


def test_sgc_never_serves_one_graphs_propagation_for_another():
    """Graph-level tasks call the backbone on one mini-batch after another, and a method may
    predict on another graph: PyG's ``cached=True`` alone would reuse the first one's."""
    model = sgc(IN, OUT, "graph-classification", K=2)
    graphs = [(_features(seed), _edge_index(pairs)) for seed, pairs in ((0, UNDIRECTED), (1, [(0, 5), (5, 2)]), (2, UNDIRECTED))]
    for x, edges in graphs + graphs:
        assert torch.allclose(model(x, edges), _sgc_by_hand(model, x, edges, 2), atol=1e-5)
    x, _ = graphs[0]
    other_edges = _edge_index([(0, 2), (3, 5)])
    assert torch.allclose(model(x, other_edges), _sgc_by_hand(model, x, other_edges, 2), atol=1e-5)  # same features, other graph


def test_sgc_passes_gradients_to_a_trainable_input_and_keeps_nothing_of_it():
    model = sgc(IN, OUT, "node-classification", K=2)
    calls = _count_propagations(model)
    x, edges = _features(), _edge_index()
    model(x, edges)
    trainable = x.clone().requires_grad_()
    for _ in range(2):
        model(trainable, edges).sum().backward()
    assert trainable.grad is not None and trainable.grad.abs().sum() > 0
    assert len(calls) == 2 + 4  # every call on the trainable input propagated
    assert torch.allclose(model(x, edges), _sgc_by_hand(model, x, edges, 2), atol=1e-5)


# -- both ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backbone", ["appnp", "sgc"])
def test_registered_with_the_declared_capabilities(harness_registry, backbone):
    component = harness_registry.get("backbone", backbone)
    expected = {"no-propagation", "categorical-features"} | ({"sparse-features"} if backbone == "appnp" else set())
    assert component.capabilities == expected
    assert component.param("K") is not None and "github.com/" in component.doc


def test_harness_lists_both(tmp_path):
    listed = subprocess.run([sys.executable, "-m", "harness", "list", "backbones"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "appnp (v1, from pyg-backbones): APPNP (Gasteiger et al." in listed.stdout
    assert "sgc (v1, from pyg-backbones): SGC (Wu et al." in listed.stdout
    assert "--K: int = 10" in listed.stdout and "--K: int = 2" in listed.stdout and "--edge_dropout: float = 0.0" in listed.stdout


def test_both_learn_the_synthetic_node_task(harness_run):
    """A short supervised run on the contextual block model (4 classes: chance is 0.25)."""
    grid = {
        "name": "appnp-sgc", "seeds": [0], "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
        "backbones": [{"name": "appnp", "params": {"hidden": 16}}, "sgc"],
        "methods": [{"name": "supervised", "params": {"epochs": 60, "lr": 0.05, "patience": 0}}],
    }
    summary, records = harness_run(grid, isolate=False, threads=1)
    assert summary.complete == 2, [r.get("traceback") for r in records]
    scores = {r["cell"]["backbone"]["name"]: r["test"] for r in records}
    assert scores["appnp"] > 0.7 and scores["sgc"] > 0.7, scores
