"""Sparse node features end to end (issue 11): CSR storage, input dropout on the stored values,
sparse first layers and the cached graph operators, checked against PyG's own layers; and the
rule that only a method and a backbone that both declare ``sparse-features`` receive CSR
features."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from harness import sparse_features
from harness_pyg_backbones import adjacency, stack

NODES, WIDTH = 300, 120
COMMON = dict(num_layers=2, hidden=16, dropout=0.0, activation="relu", norm="none", residual=False)
BACKBONES = [("gcn", {}), ("sage", {"aggregation": "mean"}), ("sage", {"aggregation": "sum"}), ("sage", {"aggregation": "max"}),
             ("gin", {}), ("gat", {}), ("mlp", {})]


@pytest.fixture(scope="module")
def graph():
    generator = torch.Generator().manual_seed(0)
    edge_index = torch.randint(0, NODES, (2, 1500), generator=generator)  # repeated edges and self-loops included
    x = (torch.rand(NODES, WIDTH, generator=generator) < 0.05).float() * torch.rand(NODES, WIDTH, generator=generator)
    return x, edge_index


def pyg_forward(model, x, edge_index):
    """The stack's layers run by PyG's own forwards on dense features."""
    h = x
    for index, layer in enumerate(model.layers):
        h = layer(h, edge_index) if model.propagates else layer(h)
        if index < len(model.layers) - 1:
            h = model.activation(h)
    return h


def gradients(model, run):
    model.zero_grad()
    run().square().sum().backward()
    return [parameter.grad.clone() for parameter in model.parameters()]


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.mark.parametrize("name, params", BACKBONES, ids=[f"{n}-{p.get('aggregation', '')}" for n, p in BACKBONES])
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
def test_stacks_compute_what_pyg_layers_compute(graph, name, params, layout, device):
    x, edge_index = (tensor.to(device) for tensor in graph)
    model = getattr(stack, name)(WIDTH, 5, "node-classification", **params, **COMMON).to(device).eval()
    inputs = x.to_sparse_csr() if layout == "csr" else x
    assert torch.allclose(model(inputs, edge_index), pyg_forward(model, x, edge_index), atol=1e-5)
    ours = gradients(model, lambda: model(inputs, edge_index))
    theirs = gradients(model, lambda: pyg_forward(model, x, edge_index))
    for mine, reference in zip(ours, theirs):
        assert torch.allclose(mine, reference, atol=1e-4, rtol=1e-4)


def test_a_wide_sparse_input_is_projected_before_it_is_aggregated(graph, monkeypatch):
    """GraphSAGE and GIN never aggregate anything as wide as a sparse input."""
    x, edge_index = graph
    widths = []
    original = adjacency.Operators.apply
    monkeypatch.setattr(adjacency.Operators, "apply", lambda self, name, h: widths.append(h.size(1)) or original(self, name, h))
    for name in ("sage", "gin"):
        getattr(stack, name)(WIDTH, 5, "node-classification", **COMMON)(x.to_sparse_csr(), edge_index)
    assert widths and max(widths) <= COMMON["hidden"], widths


def test_sparse_dropout_drops_and_rescales_stored_values_only():
    torch.manual_seed(0)
    x = ((torch.rand(200, 50) < 0.1).float() * (1 + torch.rand(200, 50))).to_sparse_csr()
    dropped = sparse_features.dropout(x, p=0.5, training=True)
    assert torch.equal(dropped.crow_indices(), x.crow_indices()) and torch.equal(dropped.col_indices(), x.col_indices())
    kept = dropped.values() != 0
    assert 0.35 < kept.float().mean() < 0.65
    assert torch.allclose(dropped.values()[kept], 2 * x.values()[kept])
    assert sparse_features.dropout(x, p=0.5, training=False) is x


def test_linear_on_csr_matches_dense_and_finds_its_pattern_again(graph):
    x, _ = graph
    csr = x.to_sparse_csr()
    weight = torch.randn(7, WIDTH, requires_grad=True)
    bias = torch.randn(7, requires_grad=True)
    for features in (csr, sparse_features.dropout(csr, 0.5, training=True)):
        out = sparse_features.linear(features, weight, bias)
        (grad_weight, grad_bias) = torch.autograd.grad(out.square().sum(), (weight, bias))
        dense = F.linear(features.to_dense(), weight, bias)
        (want_weight, want_bias) = torch.autograd.grad(dense.square().sum(), (weight, bias))
        assert torch.allclose(out, dense, atol=1e-5)
        assert torch.allclose(grad_weight, want_weight, atol=1e-4) and torch.allclose(grad_bias, want_bias, atol=1e-4)
    assert len([key for key in sparse_features._PATTERNS.entries if key[2] == csr._nnz()]) == 1  # dropout kept the pattern


def test_compress_keeps_dense_what_is_not_sparse():
    assert sparse_features.compress(torch.eye(50)).layout == torch.sparse_csr  # 2% non-zero
    assert sparse_features.compress(torch.ones(5, 5)).layout == torch.strided
    assert sparse_features.compress(torch.zeros(10, 3, dtype=torch.long)).layout == torch.strided  # codes, not numbers


def test_only_cells_whose_method_and_backbone_take_sparse_features_get_them(harness_registry, tmp_path):
    from harness.grid import load_grid
    from harness.worker import build_components

    import yaml

    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text(yaml.safe_dump({"name": "sparse", "seeds": [0], "datasets": ["synthetic-node"], "encoders": ["identity"],
                                         "backbones": ["gcn", "sign"], "methods": ["supervised"]}))
    cells = {cell.backbone.name: cell for cell in load_grid(grid_file, harness_registry).cells}
    dataset = harness_registry.get("dataset", "synthetic-node")
    task = dataset.load()(root=str(tmp_path), **{**dataset.defaults(), "num_nodes": 100})
    view = task.method_view().with_features(task.data.x.to_sparse_csr())
    for backbone, accepted in (("gcn", True), ("sign", False)):
        components = build_components(cells[backbone], harness_registry, view, "cpu")
        assert components.sparse_features is accepted
        received = sparse_features.dense_unless(components.sparse_features, view)
        assert sparse_features.is_sparse(received.data.x) is accepted
        assert torch.equal(sparse_features.densify(received.data.x), task.data.x)


def test_a_cora_cell_trains_on_sparse_features(harness_run, shared_data, tmp_path):
    """Cora through the whole harness: its features arrive sparse and the cell learns."""
    grid = {"name": "cora-sparse", "seeds": [0], "datasets": ["cora"], "encoders": ["identity"],
            "backbones": [{"name": "gcn", "params": {"hidden": 16}}, {"name": "sage", "params": {"hidden": 16}}],
            "methods": [{"name": "supervised", "params": {"epochs": 30, "patience": 0}}]}
    _, records = harness_run(grid, data_root=str(shared_data))
    assert [r["status"] for r in records] == ["complete", "complete"], [r.get("error") for r in records]
    assert all(r["valid"] > 0.6 for r in records), [r["valid"] for r in records]
