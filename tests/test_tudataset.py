"""MUTAG, PROTEINS and ENZYMES from TU raw txt files: tiny files in the exact format, the
stratified 10-fold cross-validation (folds partition the graphs, stratified, deterministic by
seed), the shared files against the metadata table, a missing dataset named before anything
runs, and the supervised method's cross-entropy for graph labels given as class ids."""

from __future__ import annotations

import io
import time
import zipfile

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from dataset_files import write_tiny_tu
from harness.download import DatasetUnavailable
from helpers import servers
from harness.metadata import read_table
from harness.task import Task
from harness_tudataset.files import check
from harness_tudataset.loader import FOLDS, cross_validation_split, load

TABLE = {row["name"]: row for row in read_table("harness_tudataset")}
SPLITS = ("train", "valid", "test")


def test_tiny_mutag_in_the_exact_format(tmp_path):
    labels = [1, -1] * 15
    truth = write_tiny_tu(tmp_path / "MUTAG" / "raw", "MUTAG", labels, node_label_values=7, edge_label_values=4)  # PyG's layout
    task = load(str(tmp_path), "mutag")
    assert task.task_type == "graph-classification" and task.metric == "acc" and task.num_outputs == 2
    assert len(task.graphs) == 30 and [g.num_nodes for g in task.graphs] == truth["sizes"]
    x = torch.cat([g.x for g in task.graphs])
    assert torch.equal(x, F.one_hot(torch.from_numpy(truth["node_labels"]), 7).float())  # node labels one-hot
    assert sum(g.edge_index.size(1) for g in task.graphs) == truth["num_edges"]
    assert all(int(g.edge_index.max()) < g.num_nodes for g in task.graphs)  # indices per graph
    assert all(g.edge_attr.shape == (g.edge_index.size(1), 4) for g in task.graphs)  # bond types one-hot
    everything = torch.cat([task.items[s] for s in SPLITS])
    y = torch.empty(30, dtype=torch.long)
    y[everything] = torch.cat([task.labels[s] for s in SPLITS])
    assert y.tolist() == [1, 0] * 15  # -1 -> 0, 1 -> 1


def test_tiny_proteins_node_attributes_are_optional(tmp_path):
    truth = write_tiny_tu(tmp_path / "tudataset" / "PROTEINS" / "raw", "PROTEINS", [1, 2] * 10, node_attributes=1)
    plain = load(str(tmp_path), "proteins-tu")
    with_attributes = load(str(tmp_path), "proteins-tu", use_node_attributes=True)
    assert plain.graphs[0].x.size(1) == 3 and with_attributes.graphs[0].x.size(1) == 4
    attributes = torch.cat([g.x[:, 0] for g in with_attributes.graphs])
    assert torch.allclose(attributes, torch.from_numpy(truth["attributes"][:, 0]).float())


def _fold_check(y: torch.Tensor, seed: int) -> None:
    classes = int(y.max()) + 1
    tests = []
    for fold in range(FOLDS):
        items = cross_validation_split(y, seed, fold)
        together = torch.cat([items[s] for s in SPLITS])
        assert sorted(together.tolist()) == list(range(len(y)))  # train, valid, test partition the graphs
        tests.append(items["test"])
        rest = torch.cat([items["train"], items["valid"]])
        for c in range(classes):  # valid: a stratified tenth of the remaining graphs
            share = int((y[rest] == c).sum()) / 10
            assert int(np.floor(share)) <= int((y[items["valid"]] == c).sum()) <= int(np.ceil(share))
    assert sorted(torch.cat(tests).tolist()) == list(range(len(y)))  # the test folds partition the graphs
    sizes = [len(t) for t in tests]
    assert max(sizes) - min(sizes) <= 1
    for c in range(classes):  # stratified: a class's count differs by at most one between folds
        counts = [int((y[t] == c).sum()) for t in tests]
        assert max(counts) - min(counts) <= 1


def test_folds_partition_the_graphs_and_are_stratified():
    y = torch.tensor([0] * 37 + [1] * 14 + [2] * 9)[torch.randperm(60, generator=torch.Generator().manual_seed(0))]
    for seed in (0, 1):
        _fold_check(y, seed)


def test_folds_are_determined_by_the_seed():
    y = torch.tensor([0, 1, 1] * 30)
    first, again, other = (cross_validation_split(y, s, 4) for s in (2, 2, 3))
    assert all(torch.equal(first[s], again[s]) for s in SPLITS)
    assert not torch.equal(first["test"], other["test"])
    with pytest.raises(ValueError, match="fold must be in 0..9"):
        cross_validation_split(y, 0, 10)


def test_a_missing_dataset_is_named_within_seconds(tmp_path):
    (message,) = check("proteins-tu", str(tmp_path), {"use_node_attributes": True})
    for fragment in ("PROTEINS_A.txt", "PROTEINS_graph_indicator.txt", "PROTEINS_node_attributes.txt", str(tmp_path / "tudataset" / "PROTEINS" / "raw"), "HARNESS_DATA_ROOT"):
        assert fragment in message
    start = time.monotonic()
    with pytest.raises(DatasetUnavailable):
        load(str(tmp_path), "proteins-tu")
    assert time.monotonic() - start < 5 and list(tmp_path.iterdir()) == []
    partial = tmp_path / "MUTAG" / "raw"
    write_tiny_tu(partial, "MUTAG", [1, -1] * 10, node_label_values=7)  # without the edge labels
    (message,) = check("mutag", str(tmp_path), {})
    assert f"{partial} lacks MUTAG_edge_labels.txt" in message


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(TABLE))
def test_shared_files_match_the_metadata_table(shared_tudataset, name):
    row = TABLE[name]
    task = load(str(shared_tudataset), name)
    graphs = task.graphs
    assert len(graphs) == int(row["graphs"]) and task.num_outputs == int(row["classes"])
    assert round(sum(g.num_nodes for g in graphs) / len(graphs), 2) == float(row["avg_nodes"])
    assert round(sum(g.edge_index.size(1) for g in graphs) / 2 / len(graphs), 2) == float(row["avg_edges"])  # undirected
    assert graphs[0].x.size(1) == int(row["node_labels"])
    if int(row["node_attributes"]):
        attributed = load(str(shared_tudataset), name, use_node_attributes=True)
        assert attributed.graphs[0].x.size(1) == int(row["node_labels"]) + int(row["node_attributes"])
    if int(row["edge_labels"]):
        assert graphs[0].edge_attr.size(1) == int(row["edge_labels"])
    y = torch.cat([task.labels[s] for s in SPLITS])
    assert y.unique().tolist() == list(range(int(row["classes"])))


def _zip_of(folder, prefix) -> bytes:
    """The collection's archive layout: one top folder ``<NAME>/`` with the txt files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{prefix}/{path.name}")
    return buffer.getvalue()


def test_download_unpacks_the_collection_zip_into_place(tmp_path, monkeypatch):
    write_tiny_tu(tmp_path / "tiny", "MUTAG", [1, -1] * 15, node_label_values=7, edge_label_values=4)
    served, root = tmp_path / "mirror", tmp_path / "data"
    servers.publish(served, TABLE["mutag"]["url"], _zip_of(tmp_path / "tiny", "MUTAG"))
    (message,) = check("mutag", str(root), {})
    assert "download: true" in message and "www.chrsmrrs.com" in message
    with servers.mirror(served, monkeypatch):
        assert check("mutag", str(root), {"download": True}) == []
        assert check("enzymes", str(root), {"download": True})  # not served: refused, nothing left
    folder = root / "tudataset" / "MUTAG" / "raw"
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in (tmp_path / "tiny").iterdir())
    assert sorted(p.name for p in (root / "tudataset").iterdir()) == ["MUTAG"]
    assert len(load(str(root), "mutag").graphs) == 30


@pytest.mark.shared_data
def test_shared_proteins_folds(shared_tudataset):
    raw = np.loadtxt(shared_tudataset / "tudataset" / "PROTEINS" / "raw" / "PROTEINS_graph_labels.txt", dtype=np.int64)
    _fold_check(torch.from_numpy(np.unique(raw, return_inverse=True)[1]), seed=0)


# --- the supervised method on graph labels given as class ids ---------------------------------


class _Linear(nn.Module):
    """A backbone without randomness: one linear map of the node features."""

    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim)

    def forward(self, x, edge_index=None, edge_attr=None):
        return self.linear(x)


def _graph_task(labels: torch.Tensor, metric: str) -> Task:
    from torch_geometric.data import Data

    generator = torch.Generator().manual_seed(0)
    graphs = [Data(x=torch.randn(4, 5, generator=generator), edge_index=torch.tensor([[0, 1], [1, 0]])) for _ in labels]
    items = {"train": torch.arange(0, 12), "valid": torch.arange(12, 16), "test": torch.arange(16, 20)}
    outputs = int(labels.max()) + 1 if metric == "acc" else labels.size(1)
    return Task(name="tiny", task_type="graph-classification", metric=metric, num_outputs=outputs, graphs=graphs, items=items, labels={s: labels[i] for s, i in items.items()})


def _family(task: Task):
    from torch_geometric.data import Batch

    from harness_supervised.method import GraphFamily, Supervised

    method = Supervised(epochs=1, lr=0.0, weight_decay=0.0, patience=0, batch_size=0, fanout=[-1], embedding_dim=6, pooling="mean")
    family = GraphFamily(method, task.method_view(), _Linear, "cpu")
    batch = Batch.from_data_list([task.graphs[i] for i in task.items["train"].tolist()])
    return family, family.model(batch).detach()


@pytest.mark.parametrize("shape", [(20,), (20, 1)])
def test_class_id_labels_train_with_cross_entropy(shape):
    labels = (torch.arange(20) % 3).view(shape)
    task = _graph_task(labels, "acc")
    family, out = _family(task)
    assert family.class_ids and out.shape == (12, 3)
    loss = family.train_epoch(torch.optim.SGD(family.model.parameters(), lr=0.0))
    assert loss == pytest.approx(F.cross_entropy(out, labels[:12].view(-1)).item(), rel=1e-5)
    assert family.predict("valid").shape == (4, 3)
    assert 0.0 <= task.score("valid", family.predict("valid").detach()) <= 1.0


def test_float_labels_still_train_with_masked_bce():
    labels = (torch.arange(20) % 2).float().view(-1, 1)
    labels[3] = float("nan")
    task = _graph_task(labels, "rocauc")
    family, out = _family(task)
    assert not family.class_ids and out.shape == (12, 1)
    known = ~torch.isnan(labels[:12])
    loss = family.train_epoch(torch.optim.SGD(family.model.parameters(), lr=0.0))
    assert loss == pytest.approx(F.binary_cross_entropy_with_logits(out[known], labels[:12][known]).item(), rel=1e-5)


def test_tiny_enzymes_trains_end_to_end(tmp_path, harness_run):
    write_tiny_tu(tmp_path / "data" / "ENZYMES" / "raw", "ENZYMES", [1, 2, 3, 4, 5, 6] * 10, node_attributes=18)
    grid = {"name": "tiny-enzymes", "seeds": [0], "datasets": [{"name": "enzymes", "params": {"fold": 2, "use_node_attributes": True}}], "backbones": ["gin"], "methods": [{"name": "supervised", "params": {"epochs": 3, "batch_size": 16}}]}
    summary, records = harness_run(grid)
    (record,) = records
    assert summary.complete == 1, record.get("traceback")
    assert record["metric"] == "acc" and 0.0 <= record["test"] <= 1.0
