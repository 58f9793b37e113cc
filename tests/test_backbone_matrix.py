"""Every registered backbone on every built-in task family, and categorical features (issue 9).

One grid runs one tiny cell (``supervised``, two epochs) of every backbone on one small dataset
per task family, on the typed graphs of ``synthetic-categorical`` (integer-coded node and edge
features) and on a tiny BBBP (molecules, Hu et al.'s integer featurisation): each combination
completes with finite metrics or is a declared drop with its reason. Then the categorical
contract itself: declarations in the task and in the dataset declaration agree, backbones embed
what a dataset declares (OGB's encoders for OGB's vocabulary), an encoder that replaces the
features removes the node part, and a backbone that cannot embed is dropped before running.
"""

from __future__ import annotations

import math
import textwrap

import pytest
import torch
import yaml

from harness import features
from harness.features import OGB_MOLECULE, CategoricalFeatures
from harness.registry import load_registry
from helpers.molecule_files import write_tiny_bbbp

_, REGISTRY = load_registry()
BACKBONES = REGISTRY.names("backbone")

#: one small dataset per task family, then the categorical ones
DATASETS = {
    "synthetic-node": {"num_nodes": 120},
    "synthetic-multilabel": {"num_nodes": 60},
    "synthetic-graph": {"num_graphs": 40},
    "synthetic-graph-regression": {"num_graphs": 20},
    "synthetic-link": {"num_nodes": 60},
    "synthetic-edge-multilabel": {"num_nodes": 60},
    "synthetic-ranking": {"num_nodes": 60},
    "synthetic-categorical": {"num_graphs": 40},
    "bbbp": {},
}
CATEGORICAL_DATASETS = ("synthetic-categorical", "bbbp")
#: small shapes; revgat keeps three layers so that it has a reversible block
SMALL = {"hidden": 8, "num_layers": 2, "heads": 2, "hops": 2}
PER_BACKBONE = {"revgat": {"num_layers": 3}}
METHOD = {"name": "supervised", "params": {"epochs": 2, "embedding_dim": 8, "patience": 0}}


def _run(grid: dict, folder, plugin_files=()):
    from harness.executors import LocalExecutor
    from harness.grid import load_grid
    from harness.runner import run_grid
    from harness.settings import RunSettings
    from harness.store import ResultStore

    path = folder / "grid.yaml"
    path.write_text(yaml.safe_dump(grid))
    plugins, registry = load_registry(plugin_files)
    # one thread per cell: the tiny models gain nothing from more, and a busy machine loses
    settings = RunSettings(results_dir=str(folder / "results"), cache_dir=str(folder / "cache"), data_root=str(folder / "data"),
                           plugin_files=tuple(str(p) for p in plugin_files), threads=1)
    loaded = load_grid(path, registry)
    run_grid(loaded, settings, plugins, registry, LocalExecutor())
    return loaded, list(ResultStore(settings.results_dir).records())


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """The grid and its records, keyed by (dataset, backbone)."""
    folder = tmp_path_factory.mktemp("matrix")
    write_tiny_bbbp(folder / "data")
    grid = {
        "name": "backbone-matrix",
        "seeds": [0],
        "datasets": [{"name": name, "params": params} for name, params in DATASETS.items()],
        "backbones": [{"name": name, "params": {k: v for k, v in PER_BACKBONE.get(name, {}).items()}} for name in BACKBONES],
        "methods": [METHOD],
        "defaults": {"backbones": {k: v for k, v in SMALL.items() if any(REGISTRY.get("backbone", b).param(k) for b in BACKBONES)}},
    }
    loaded, records = _run(grid, folder)
    ran = {(r["cell"]["dataset"]["name"], r["cell"]["backbone"]["name"]): r for r in records}
    dropped = {(d.combination["dataset"], d.combination["backbone"]): d.reason for d in loaded.dropped}
    return ran, dropped


@pytest.mark.parametrize("backbone", BACKBONES)
@pytest.mark.parametrize("dataset", DATASETS)
def test_every_backbone_on_every_task_family_completes_or_is_a_declared_drop(matrix, dataset, backbone):
    ran, dropped = matrix
    assert ((dataset, backbone) in ran) != ((dataset, backbone) in dropped), "each combination either runs or is dropped"
    if (dataset, backbone) in dropped:
        assert dropped[dataset, backbone].strip(), "a drop says why"
        return
    record = ran[dataset, backbone]
    assert record["status"] == "complete", record.get("traceback")
    assert math.isfinite(record["valid"]) and math.isfinite(record["test"]), record


def test_the_matrix_covers_every_task_family():
    from harness.components import TaskType

    assert {REGISTRY.get("dataset", name).task_type for name in DATASETS} == set(TaskType.ALL)


@pytest.mark.parametrize("dataset", CATEGORICAL_DATASETS)
def test_backbones_that_embed_categorical_features_run_on_the_categorical_tasks(matrix, dataset):
    ran, dropped = matrix
    task_type = REGISTRY.get("dataset", dataset).task_type
    provides = REGISTRY.get("dataset", dataset).provides
    embedding = [b for b in BACKBONES if features.CAPABILITY in REGISTRY.get("backbone", b).capabilities
                 and task_type in REGISTRY.get("backbone", b).task_types and REGISTRY.get("backbone", b).needs <= provides]
    assert {"gcn", "sage", "gat", "gin", "mlp", "sign", "revgat", "appnp", "sgc"} <= set(embedding)
    assert [b for b in embedding if (dataset, b) in dropped] == []
    assert all(ran[dataset, b]["status"] == "complete" for b in embedding)


def test_gin_on_a_molecule_dataset_with_the_default_encoder_no_longer_crashes(tmp_path, harness_run):
    """The exact crash of issue 9: ``RuntimeError: result type Float can't be cast to the desired
    output type Long`` in every cell of gin on a MoleculeNet dataset with the identity encoder."""
    write_tiny_bbbp(tmp_path / "data")
    grid = {"name": "crash", "seeds": [0], "datasets": ["bbbp"], "backbones": [{"name": "gin", "params": {"hidden": 8}}], "methods": [METHOD]}
    summary, (record,) = harness_run(grid)
    assert record["cell"]["encoder"]["name"] == "identity"
    assert record["status"] == "complete", record.get("error")
    assert 0.0 <= record["test"] <= 1.0 and summary.complete == 1


# -- declarations ---------------------------------------------------------------------------------


def test_ogb_molecule_vocabulary_is_ogbs():
    from ogb.utils.features import get_atom_feature_dims, get_bond_feature_dims

    assert OGB_MOLECULE.node == tuple(get_atom_feature_dims()) and OGB_MOLECULE.edge == tuple(get_bond_feature_dims())


@pytest.mark.parametrize("featurization", ["hu", "ogb"])
def test_a_molecule_task_and_its_declaration_say_the_same(tmp_path, monkeypatch, featurization):
    import harness.cache
    from harness.cache import ArtifactCache
    from harness_moleculenet import loader

    monkeypatch.setattr(harness.cache, "_current", ArtifactCache(tmp_path / "cache"))
    task = loader.load("bbbp", str(write_tiny_bbbp(tmp_path / "data")), featurization=featurization)
    component = REGISTRY.get("dataset", "bbbp")
    assert task.categorical == features.declared(component, {"featurization": featurization})
    assert task.categorical.vocabulary == featurization and len(task.categorical.node) == task.in_dim
    assert features.declared(REGISTRY.get("dataset", "zinc"), {"featurization": featurization}) == task.categorical


def test_the_synthetic_categorical_task_and_its_declaration_say_the_same(tiny_task):
    component = REGISTRY.get("dataset", "synthetic-categorical")
    task = component.load()(root=".", **{**component.defaults(), "num_graphs": 20})
    assert task.categorical == features.declared(component, {}) == CategoricalFeatures(node=(5, 3), edge=(3,), vocabulary="synthetic-typed")
    assert features.declared(REGISTRY.get("dataset", "synthetic-graph"), {}) is None


def test_ogb_molecules_are_categorical_only_as_integers(tmp_path):
    from harness_ogb.graph import molhiv
    from ogb_files import write_tiny_molhiv

    component = REGISTRY.get("dataset", "ogbg-molhiv")
    assert features.declared(component, {"features": "integer"}) == OGB_MOLECULE
    assert features.declared(component, {}) is None  # one-hot columns are numbers
    write_tiny_molhiv(tmp_path)
    assert molhiv(str(tmp_path), features="integer").categorical == OGB_MOLECULE
    assert molhiv(str(tmp_path)).categorical is None


def test_a_task_refuses_a_declaration_its_features_contradict():
    from torch_geometric.data import Data

    from harness.task import Task

    graph = Data(x=torch.tensor([[0, 1], [4, 2]]), edge_index=torch.tensor([[0, 1], [1, 0]]), edge_attr=torch.tensor([[1], [1]]))
    parts = {split: torch.tensor([0]) for split in ("train", "valid", "test")}
    labels = {split: torch.tensor([[1.0]]) for split in parts}

    def task(graphs, declared):
        return Task(name="t", task_type="graph-classification", metric="rocauc", num_outputs=1, graphs=graphs, items=parts, labels=labels, categorical=declared)

    assert task([graph], CategoricalFeatures(node=(5, 3), edge=(2,))).categorical.node == (5, 3)
    with pytest.raises(ValueError, match="outside the declared vocabulary"):
        task([graph], CategoricalFeatures(node=(4, 3)))
    with pytest.raises(ValueError, match="2 categorical x columns"):
        task([Data(x=graph.x.float(), edge_index=graph.edge_index)], CategoricalFeatures(node=(5, 3)))
    with pytest.raises(ValueError, match="edge_attr"):
        task([graph], CategoricalFeatures(edge=(2, 2)))


def test_an_encoder_that_replaces_the_features_removes_the_node_declaration(tiny_task):
    component = REGISTRY.get("dataset", "synthetic-categorical")
    view = component.load()(root=".", **{**component.defaults(), "num_graphs": 20}).method_view()
    assert view.categorical.node == (5, 3)
    encoded = view.with_features(torch.randn(sum(g.num_nodes for g in view.graphs), 4))
    assert encoded.categorical == CategoricalFeatures(edge=(3,), vocabulary="synthetic-typed")
    assert features.after_encoder(view.categorical, REGISTRY.get("encoder", "identity")) == view.categorical
    assert features.after_encoder(view.categorical, REGISTRY.get("encoder", "svd")) == encoded.categorical


# -- embedding -------------------------------------------------------------------------------------


def test_the_generic_embedding_sums_one_table_per_column():
    from harness.embedding import CategoricalEmbedding

    embedding = CategoricalEmbedding((5, 3), 4)
    codes = torch.tensor([[4, 0], [1, 2]])
    expected = embedding.tables[0].weight[codes[:, 0]] + embedding.tables[1].weight[codes[:, 1]]
    assert torch.equal(embedding(codes), expected)
    with pytest.raises(TypeError, match="integer codes"):
        embedding(codes.float())


def test_ogbs_vocabulary_gets_ogbs_encoders_and_others_the_generic_embedding():
    from ogb.graphproppred.mol_encoder import AtomEncoder, BondEncoder

    from harness.embedding import CategoricalEmbedding, edge_embedding, node_embedding

    assert isinstance(node_embedding(OGB_MOLECULE, 4), AtomEncoder) and isinstance(edge_embedding(OGB_MOLECULE, 4), BondEncoder)
    assert isinstance(node_embedding(CategoricalFeatures(node=(119, 5), vocabulary="hu"), 4), CategoricalEmbedding)
    with pytest.raises(ValueError, match="OGB's molecule features"):
        node_embedding(CategoricalFeatures(node=(3,), vocabulary="ogb"), 4)


@pytest.mark.parametrize("backbone", ["gcn", "sage", "gat", "mlp", "sign", "revgat", "appnp", "sgc"])
def test_an_embedding_backbone_keeps_its_hops_and_forward_without_propagation(backbone):
    component = REGISTRY.get("backbone", backbone)
    declared = CategoricalFeatures(node=(5, 3), vocabulary="synthetic-typed")
    params = {**component.defaults(), **{k: v for k, v in SMALL.items() if component.param(k)}}
    model = component.load()(2, 3, "node-classification", **params, categorical=declared).eval()
    x = torch.tensor([[0, 1], [4, 2], [2, 0]])
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    assert model(x, edge_index).shape == (3, 3) and isinstance(model.hops, int)
    assert model.has_forward_without_propagation and model.forward_without_propagation(x).shape == (3, 3)
    with pytest.raises(ValueError, match="in_dim is 4"):
        component.load()(4, 3, "node-classification", **params, categorical=declared)


def test_categorical_edges_are_embedded_for_backbones_that_read_edge_features(tmp_path, harness_run):
    """gat with ``edge_dim`` reads the typed graphs' bond codes through an embedding, under the
    svd encoder too (which turns the node codes into numbers and leaves the bonds as codes)."""
    grid = {
        "name": "edges", "seeds": [0], "datasets": [{"name": "synthetic-categorical", "params": {"num_graphs": 40}}],
        "encoders": ["identity", {"name": "svd", "params": {"dim": 4}}],
        "backbones": [{"name": "gat", "params": {"hidden": 8, "heads": 2, "edge_dim": 4}}], "methods": [METHOD],
    }
    summary, records = harness_run(grid)
    assert summary.complete == 2, [r.get("traceback") for r in records]


def test_molhiv_integer_features_run_through_ogbs_encoders(tmp_path, harness_run):
    from ogb_files import write_tiny_molhiv

    write_tiny_molhiv(tmp_path / "data")
    grid = {"name": "molhiv", "seeds": [0], "datasets": [{"name": "ogbg-molhiv", "params": {"features": "integer"}}],
            "backbones": [{"name": "gin", "params": {"hidden": 8}}, {"name": "gin-mol", "params": {"hidden": 8, "num_layers": 2}}], "methods": [METHOD]}
    summary, records = harness_run(grid)
    assert summary.complete == 2, [r.get("traceback") for r in records]


# -- drops -----------------------------------------------------------------------------------------

PLAIN_BACKBONES = textwrap.dedent('''
    """Backbones that take numbers only: one reads node features, one also edge features."""
    from harness import Component, hookimpl


    @hookimpl
    def harness_backbones():
        return [
            Component(kind="backbone", name="plain", factory="harness_local_plain_backbones:build", doc="A linear map of the node features."),
            Component(kind="backbone", name="plain-edges", factory="harness_local_plain_backbones:build", doc="Reads edge features too.",
                      capabilities={"edge-features"}),
        ]


    def build(in_dim, out_dim, task_type):
        import torch

        class Plain(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.linear = torch.nn.Linear(in_dim, out_dim)

            def forward(self, x, edge_index=None, edge_attr=None):
                return self.linear(x.float())

        return Plain()
''')


def test_a_backbone_that_cannot_embed_is_dropped_where_codes_would_reach_it(tmp_path):
    from harness.grid import load_grid

    plugin = tmp_path / "plain_backbones.py"
    plugin.write_text(PLAIN_BACKBONES)
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump({
        "name": "drops", "seeds": [0], "datasets": ["bbbp", {"name": "bbbp", "params": {"featurization": "ogb"}}, "synthetic-categorical", "synthetic-graph"],
        "encoders": ["identity", "svd"], "backbones": ["plain", "plain-edges", "gin", "gin-mol"], "methods": ["supervised"],
    }))
    _, registry = load_registry([str(plugin)])
    grid = load_grid(path, registry)
    dropped = {(d.combination["dataset"], d.combination["encoder"], d.combination["backbone"]): d.reason for d in grid.dropped}
    kept = {(c.dataset.name, c.encoder.name, c.backbone.name) for c in grid.cells}
    for dataset in ("bbbp", "synthetic-categorical"):
        for backbone in ("plain", "plain-edges"):
            reason = dropped[dataset, "identity", backbone]
            assert f"backbone {backbone!r}" in reason and "categorical-features" in reason and "node feature columns" in reason
        assert (dataset, "svd", "plain") in kept  # the encoder's numbers replace the codes
        assert "edge feature columns" in dropped[dataset, "svd", "plain-edges"]  # the bond codes stay
        assert (dataset, "identity", "gin") in kept
    assert {("synthetic-graph", e, b) for e in ("identity", "svd") for b in ("plain", "plain-edges", "gin")} <= kept
    assert len([c for c in grid.cells if c.dataset.name == "bbbp" and c.encoder.name == "identity"]) == 4  # gin and gin-mol, both featurisations
    assert "categorical-node-features" in dropped["bbbp", "svd", "gin-mol"]  # it takes nothing but the codes


def test_the_backbone_factory_refuses_codes_for_a_backbone_that_cannot_embed(tmp_path):
    from harness.worker import BackboneFactory

    plugin = tmp_path / "plain_backbones.py"
    plugin.write_text(PLAIN_BACKBONES)
    _, registry = load_registry([str(plugin)])
    codes = CategoricalFeatures(node=(5, 3))
    with pytest.raises(TypeError, match="does not embed categorical node features"):
        BackboneFactory(registry.get("backbone", "plain"), {}, "graph-classification", codes)(2, 4)
    assert BackboneFactory(registry.get("backbone", "plain"), {}, "graph-classification", codes)(2, 4, categorical=None)(torch.ones(1, 2)).shape == (1, 4)
    gin = registry.get("backbone", "gin")
    model = BackboneFactory(gin, {**gin.defaults(), "hidden": 8}, "graph-classification", codes)(2, 4)
    assert model.node.sizes == (5, 3)


def test_gin_mol_takes_its_featurisation_from_the_declaration_and_refuses_others():
    from harness_moleculenet.gin import gin_mol
    from harness_moleculenet.vocabularies import HU

    assert gin_mol(9, 4, "graph-classification", num_layers=1, hidden=8, categorical=OGB_MOLECULE).featurization == "ogb"
    assert gin_mol(2, 4, "graph-classification", num_layers=1, hidden=8, categorical=HU).featurization == "hu"
    with pytest.raises(ValueError, match="synthetic-typed"):
        gin_mol(2, 4, "graph-classification", categorical=CategoricalFeatures(node=(5, 3), vocabulary="synthetic-typed"))
