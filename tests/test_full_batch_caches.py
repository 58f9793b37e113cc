"""What full-batch training computes once instead of every epoch (issue 11): the graph
operators of GCN, GraphSAGE and GIN (built once per edge tensor, rebuilt after an edit, dropped
with the tensor) and SIGN's propagated features."""

from __future__ import annotations

import gc

import pytest
import torch

from harness_pyg_backbones import adjacency
from harness_pyg_backbones.sign import sign

NODES = 300


@pytest.fixture(scope="module")
def graph():
    generator = torch.Generator().manual_seed(0)
    return torch.rand(NODES, 20, generator=generator), torch.randint(0, NODES, (2, 1500), generator=generator)


def test_operators_are_built_once_per_graph_and_follow_edits(graph):
    _, edge_index = graph
    edges = edge_index.clone()
    first = adjacency.operators(edges, NODES)
    assert adjacency.operators(edges, NODES) is first
    assert adjacency.operators(edges.clone(), NODES) is not first  # another tensor, another graph
    edges[0, 0] = (edges[0, 0] + 1) % NODES  # an in-place edit bumps the version
    assert adjacency.operators(edges, NODES) is not first
    key = id(edges)
    del edges, first
    gc.collect()
    assert key not in adjacency._CACHE  # the entry went with its tensor


def test_mean_operator_gives_isolated_nodes_zeros():
    edge_index = torch.tensor([[0, 0, 1], [1, 1, 2]])  # node 0 has no in-edge; the edge 0->1 twice
    h = torch.tensor([[1.0], [4.0], [9.0]])
    assert adjacency.operators(edge_index, 3).apply("mean", h).view(-1).tolist() == [0.0, 1.0, 4.0]
    assert adjacency.operators(edge_index, 3).apply("sum", h).view(-1).tolist() == [0.0, 2.0, 4.0]


def test_sign_propagates_once_while_its_inputs_stay_the_same(graph, monkeypatch):
    x, edge_index = graph
    x = x.clone()
    model = sign(20, 3, "node-classification", hops=2, num_layers=2, hidden=8, dropout=0.0, activation="relu", norm="none", residual=False)
    calls = []
    original = model._propagate
    monkeypatch.setattr(model, "_propagate", lambda *args: calls.append(1) or original(*args))
    first = model(x, edge_index)
    with torch.no_grad():
        model.eval()
        assert torch.equal(model(x, edge_index), first.detach())
    assert len(calls) == 1
    x[0, 0] += 1  # an edited feature matrix is propagated again
    model(x, edge_index)
    model(x.clone().requires_grad_(), edge_index)  # a trainable input is never kept
    assert len(calls) == 3
