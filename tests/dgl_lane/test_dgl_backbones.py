"""The DGL lane (run in its own environment: tools/test-dgl.sh): the DGL backbones give the same
outputs as the PyG ones for the same weights on undirected graphs (GCN differs on directed ones:
DGL normalises by out- and in-degree, PyG by in-degree twice), have ``hops`` and the forward
without propagation, run under the harness like any backbone (every task family, the
distillation methods), and the same Cora cell trains to the same accuracy within noise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dgl", reason="the DGL lane's tests run in its own environment (tools/test-dgl.sh)")

import torch  # noqa: E402

from harness_dgl import stack as dgl_stack  # noqa: E402
from harness_pyg_backbones import stack as pyg_stack  # noqa: E402

COMMON = dict(num_layers=2, hidden=8, dropout=0.0, activation="relu", norm="none", residual=False)
NODES, IN_DIM, OUT_DIM = 30, 6, 4


def _graph(directed: bool, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    edges = torch.randint(0, NODES, (2, 90), generator=generator)
    edges = edges[:, edges[0] != edges[1]]
    if not directed:
        edges = torch.cat([edges, edges.flip(0)], dim=1)
    return torch.unique(edges, dim=1)


def _inputs(seed: int = 1) -> torch.Tensor:
    return torch.randn(NODES, IN_DIM, generator=torch.Generator().manual_seed(seed))


def _pair(name: str, **params):
    torch.manual_seed(0)
    pyg = getattr(pyg_stack, name)(IN_DIM, OUT_DIM, "node-classification", **COMMON, **params).eval()
    dgl = getattr(dgl_stack, name)(IN_DIM, OUT_DIM, "node-classification", **COMMON, **params).eval()
    for pyg_layer, dgl_layer in zip(pyg.layers, dgl.layers):
        COPY[name](pyg_layer, dgl_layer)
    return pyg, dgl


def _copy_gcn(pyg_layer, dgl_layer):
    dgl_layer.weight.data.copy_(pyg_layer.lin.weight.T)
    dgl_layer.bias.data.copy_(pyg_layer.bias)


def _copy_sage(pyg_layer, dgl_layer):
    dgl_layer.fc_neigh.weight.data.copy_(pyg_layer.lin_l.weight)
    dgl_layer.fc_self.weight.data.copy_(pyg_layer.lin_r.weight)
    dgl_layer.fc_self.bias.data.copy_(pyg_layer.lin_l.bias)  # DGL keeps the one bias in its self map


def _copy_gat(pyg_layer, dgl_layer):
    dgl_layer.fc.weight.data.copy_(pyg_layer.lin.weight)
    dgl_layer.attn_l.data.copy_(pyg_layer.att_src)
    dgl_layer.attn_r.data.copy_(pyg_layer.att_dst)
    if getattr(pyg_layer, "lin_edge", None) is not None:
        dgl_layer.fc_edge.weight.data.copy_(pyg_layer.lin_edge.weight)
        dgl_layer.attn_e.data.copy_(pyg_layer.att_edge)
    dgl_layer.bias.data.copy_(pyg_layer.bias.repeat(dgl_layer.bias.numel() // pyg_layer.bias.numel()))


def _copy_gin(pyg_layer, dgl_layer):
    dgl_layer.apply_func.load_state_dict(pyg_layer.nn.state_dict())


COPY = {"gcn": _copy_gcn, "sage": _copy_sage, "gat": _copy_gat, "gin": _copy_gin}


@pytest.mark.parametrize("name,params", [
    ("gcn", {}),
    ("sage", {"aggregation": "mean"}),
    ("gat", {"heads": 3, "out_heads": 1, "attention_dropout": 0.0}),
    ("gin", {}),
], ids=["gcn", "sage", "gat", "gin"])
def test_the_same_weights_give_the_same_outputs_on_an_undirected_graph(name, params):
    pyg, dgl = _pair(name, **params)
    edges, x = _graph(directed=False), _inputs()
    with torch.no_grad():
        torch.testing.assert_close(dgl(x, edges), pyg(x, edges), atol=1e-5, rtol=1e-4)


def test_gat_with_edge_features_matches_pyg_with_the_same_weights():
    pyg, dgl = _pair("gat", heads=2, out_heads=1, attention_dropout=0.0, edge_dim=3)
    edges, x = _graph(directed=False), _inputs()
    edge_attr = torch.rand(edges.size(1), 3, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(dgl(x, edges, edge_attr), pyg(x, edges, edge_attr), atol=1e-5, rtol=1e-4)


def test_gcn_normalises_differently_on_a_directed_graph():
    """Documented difference: DGL's norm="both" scales a message by the source's out-degree and
    the target's in-degree, PyG's GCNConv by the in-degrees of both ends."""
    pyg, dgl = _pair("gcn")
    edges, x = _graph(directed=True), _inputs()
    with torch.no_grad():
        assert not torch.allclose(dgl(x, edges), pyg(x, edges), atol=1e-4)


@pytest.mark.parametrize("name,params", [("gcn", {}), ("sage", {"aggregation": "mean"}), ("gat", {"heads": 3, "attention_dropout": 0.0})],
                         ids=["gcn", "sage", "gat"])
def test_the_forward_without_propagation_matches_pyg_and_reads_no_neighbour(name, params):
    pyg, dgl = _pair(name, **params)
    x = _inputs()
    with torch.no_grad():
        local = dgl.forward_without_propagation(x)
        torch.testing.assert_close(local, pyg.forward_without_propagation(x), atol=1e-5, rtol=1e-4)
        loops_only = torch.arange(NODES).repeat(2, 1)
        torch.testing.assert_close(local, dgl(x, loops_only), atol=1e-5, rtol=1e-4)
    assert dgl.hops == COMMON["num_layers"]


def test_gin_has_no_forward_without_propagation():
    _, dgl = _pair("gin")
    assert not dgl.has_forward_without_propagation
    with pytest.raises(TypeError, match="no forward without propagation"):
        dgl.forward_without_propagation(_inputs())


def test_every_dgl_backbone_runs_a_cell_under_the_harness(tmp_path):
    import yaml

    grid = {"seeds": [0], "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 150}}],
            "backbones": ["dgl-gcn", "dgl-sage", {"name": "dgl-gat", "params": {"heads": 2}}, "dgl-gin"],
            "methods": [{"name": "supervised", "params": {"epochs": 5}}]}
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(grid))
    done = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", "grid.yaml", "--results-dir", "results", "--cache-dir", "cache"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    records = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*/*.json") if p.parent.name != "runs"]
    assert sorted(r["cell"]["backbone"]["name"] for r in records) == ["dgl-gat", "dgl-gcn", "dgl-gin", "dgl-sage"]
    assert all(r["status"] == "complete" for r in records)


#: one small dataset per task family the lane's datasets cover
FAMILIES = {"synthetic-node": {"num_nodes": 150}, "synthetic-multilabel": {"num_nodes": 60}, "synthetic-graph": {"num_graphs": 40},
            "synthetic-link": {"num_nodes": 60}}
STUDENT = {"lr": 0.002, "epochs": 10, "patience": 0, "teacher_epochs": 10, "teacher_patience": 0, "teacher_lr": 0.01, "teacher_weight_decay": 0.0}
DISTILLATION = [{"name": "teacher", "params": {"epochs": 10, "patience": 0, "lr": 0.01, "weight_decay": 0.0}},
                {"name": "kd", "params": {**STUDENT, "lam": 1.0, "temperature": 2.0}}, {"name": "ban", "params": STUDENT},
                {"name": "ltd", "params": {**STUDENT, "lam": 1.0, "temperature_lr": 0.002, "scale": 2.0, "warmup": 2}}]
LTD_TOY = Path(__file__).resolve().parent.parent / "helpers" / "ltd_toy_plugin.py"


def test_the_dgl_backbones_run_every_task_family_and_the_distillation_methods(tmp_path):
    """``supervised`` on node, multi-label, graph and link tasks, and every distillation method
    (LTD's differentiable student step goes through the DGL module by ``torch.func``), on each
    DGL backbone: nothing dropped, nothing failed."""
    import yaml

    backbones = ["dgl-gcn", "dgl-sage", {"name": "dgl-gat", "params": {"heads": 2}}, "dgl-gin"]
    grid = {"seeds": [0], "datasets": [{"name": name, "params": params} for name, params in FAMILIES.items()], "backbones": backbones,
            "methods": [{"name": "supervised", "params": {"epochs": 3, "patience": 0}}],
            "defaults": {"backbones": {"hidden": 8}}}
    (tmp_path / "families.yaml").write_text(yaml.safe_dump(grid))
    distill = {"seeds": [0], "datasets": ["ltd-toy"], "backbones": backbones, "methods": DISTILLATION, "defaults": {"backbones": {"hidden": 8}}}
    (tmp_path / "distill.yaml").write_text(yaml.safe_dump(distill))
    for name in ("families", "distill"):
        done = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", f"{name}.yaml", "--plugin", str(LTD_TOY), "--results-dir", "results",
                               "--cache-dir", "cache", "--threads", "1"], cwd=tmp_path, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "0 combination(s) dropped" in done.stdout, done.stdout
    records = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*/*.json") if p.parent.name != "runs"]
    ran = {(r["cell"]["dataset"]["name"], r["cell"]["backbone"]["name"], r["cell"]["method"]["name"]): r["status"] for r in records}
    expected = {(dataset, backbone, "supervised") for dataset in FAMILIES for backbone in ("dgl-gcn", "dgl-sage", "dgl-gat", "dgl-gin")}
    expected |= {("ltd-toy", backbone, method["name"]) for method in DISTILLATION for backbone in ("dgl-gcn", "dgl-sage", "dgl-gat", "dgl-gin")}
    assert set(ran) == expected
    assert set(ran.values()) == {"complete"}, {cell: status for cell, status in ran.items() if status != "complete"}


def test_the_same_cora_cell_trains_to_the_same_accuracy_with_pyg_and_dgl(tmp_path, shared_data):
    import yaml

    grid = {"seeds": [0, 1, 2], "datasets": ["cora"],
            "backbones": [{"name": "gcn", "params": {"hidden": 16}}, {"name": "dgl-gcn", "params": {"hidden": 16}}],
            "methods": [{"name": "supervised", "params": {"epochs": 200, "lr": 0.01, "weight_decay": 0.0005, "patience": 0}}]}
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(grid))
    done = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", "grid.yaml", "--results-dir", "results", "--cache-dir", "cache",
                           "--data-root", str(shared_data)], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    records = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*/*.json") if p.parent.name != "runs"]
    test = {name: [r["test"] for r in records if r["cell"]["backbone"]["name"] == name] for name in ("gcn", "dgl-gcn")}
    assert all(len(scores) == 3 for scores in test.values())
    means = {name: sum(scores) / 3 for name, scores in test.items()}
    assert means["gcn"] > 0.75 and means["dgl-gcn"] > 0.75, means
    # Seeds give GCN on Cora a spread of about 0.5-1 point; twice that bounds the gap.
    assert abs(means["gcn"] - means["dgl-gcn"]) < 0.02, means
