"""LTD's split protocol as a dataset option (issue 13): the largest connected component, per
class 20 training, 20 ``meta`` and 10 validation nodes, the rest for test; the ``meta`` split's
labels reach a method, test labels never do, and a task with an unknown split is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from harness.data.components import largest_component, ltd_split
from harness.data.splits import LTD_PER_CLASS, per_class_parts, per_class_split
from harness.sparse_features import compress
from harness.task import HiddenLabelError, Task


def _two_components(per_class=60, classes=2, dense_features=False):
    """A path over the first ``per_class * classes`` nodes (the big component) and a separate
    triangle of three more nodes; features are one-hots of the node id."""
    big = per_class * classes
    path = torch.stack([torch.arange(big - 1), torch.arange(1, big)])
    triangle = torch.tensor([[big, big + 1, big + 2], [big + 1, big + 2, big]])
    edges = torch.cat([path, triangle], dim=1)
    edges = torch.cat([edges, edges.flip(0)], dim=1)
    n = big + 3
    x = torch.eye(n)
    y = torch.cat([torch.arange(big) % classes, torch.zeros(3, dtype=torch.long)])
    return Data(x=x if dense_features else compress(x), edge_index=edges, y=y)


def test_largest_component_keeps_its_nodes_features_and_labels_in_order():
    data = _two_components()
    component, kept = largest_component(data)
    assert kept.tolist() == list(range(120))
    assert component.num_nodes == 120 and int(component.edge_index.max()) == 119
    assert component.x.layout == torch.sparse_csr  # CSR features stay CSR
    assert torch.equal(component.x.to_dense(), torch.eye(123)[:120])
    assert torch.equal(component.y, data.y[:120])


def test_ltd_split_is_a_partition_of_the_component_with_the_per_class_counts():
    component, items = ltd_split(_two_components(), seed=3)
    assert set(items) == {"train", "meta", "valid", "test"}
    together = torch.cat(list(items.values())).tolist()
    assert sorted(together) == list(range(component.num_nodes))
    for part, count in LTD_PER_CLASS.items():
        assert component.y[items[part]].bincount().tolist() == [count, count]
    again = ltd_split(_two_components(), seed=3)[1]
    other = ltd_split(_two_components(), seed=4)[1]
    assert all(torch.equal(items[p], again[p]) for p in items)
    assert not torch.equal(items["meta"], other["meta"])


def test_ltd_split_leaves_excluded_nodes_out_and_refuses_too_small_classes():
    excluded = [0, 2, 4]
    component, items = ltd_split(_two_components(), seed=0, exclude=excluded)
    assert not set(torch.cat(list(items.values())).tolist()) & set(excluded)
    with pytest.raises(ValueError, match="class 0 has 50 items: 20 train and 20 meta and 10 valid"):
        ltd_split(_two_components(per_class=50), seed=0)


def test_per_class_split_draws_what_it_drew_before_it_became_per_class_parts():
    labels = np.array([0] * 60 + [1] * 70)
    parts = per_class_split(labels, seed=5, train_per_class=20, valid_per_class=30)
    rng = np.random.default_rng(5)
    first, second = rng.permutation(np.flatnonzero(labels == 0)), rng.permutation(np.flatnonzero(labels == 1))
    assert parts["train"].tolist() == sorted([*first[:20], *second[:20]])
    assert parts["valid"].tolist() == sorted([*first[20:50], *second[20:50]])
    assert per_class_parts(labels, 5, {"train": 20, "valid": 30})["test"].tolist() == parts["test"].tolist()


def _task(items, labels):
    data = Data(x=torch.ones(6, 1), edge_index=torch.empty(2, 0, dtype=torch.long), y=torch.arange(6) % 2)
    return Task(name="t", task_type="node-classification", metric="acc", num_outputs=2, data=data, items=items, labels=labels)


def _split(*names):
    index = {"train": [0], "meta": [1], "valid": [2], "test": [3], "extra": [4]}
    return {n: torch.tensor(index[n]) for n in names}, {n: torch.tensor(index[n]) % 2 for n in names}


def test_meta_labels_reach_the_method_and_test_labels_never_do():
    view = _task(*_split("train", "meta", "valid", "test")).method_view()
    assert sorted(view.labels) == ["meta", "train", "valid"]
    assert view.labels["meta"].tolist() == [1] and view.items["meta"].tolist() == [1]
    with pytest.raises(HiddenLabelError):
        view.labels["test"]
    assert sorted(_task(*_split("train", "valid", "test")).method_view().labels) == ["train", "valid"]


def test_an_unknown_split_or_meta_items_without_labels_are_refused():
    items, labels = _split("train", "valid", "test", "extra")
    with pytest.raises(ValueError, match="optionally 'meta'"):
        _task(items, labels)
    items, labels = _split("train", "meta", "valid", "test")
    del labels["meta"]
    with pytest.raises(ValueError, match="optionally 'meta'"):
        _task(items, labels)


@pytest.mark.parametrize("name, nodes, classes, unlabelled", [("cora", 2485, 7, 0), ("citeseer", 2120, 6, 10)])
def test_planetoid_ltd_split_is_the_largest_component_of_the_paper(shared_data, name, nodes, classes, unlabelled):
    from harness_planetoid.loader import load

    task = load(str(shared_data), name, split="ltd")
    assert task.data.num_nodes == nodes  # the largest connected components LTD's paper reports
    assert [len(task.items[p]) for p in ("train", "meta", "valid")] == [20 * classes, 20 * classes, 10 * classes]
    # 10 of CiteSeer's 15 nodes without a label lie in its largest component: in no split
    assert len(task.items["test"]) == nodes - 50 * classes - unlabelled
    assert task.info["split"] == "ltd"


def test_planetoid_random_split_takes_train_per_class(shared_data):
    from harness_planetoid.loader import load

    task = load(str(shared_data), "cora", split="random", train_per_class=5)
    assert task.labels["train"].bincount().tolist() == [5] * 7
    assert (len(task.items["valid"]), len(task.items["test"])) == (500, 1000)


@pytest.mark.parametrize("name", ["amazon-computers", "amazon-photo"])
def test_gnn_benchmark_ltd_split_is_the_papers_largest_component(shared_data, name):
    from harness.metadata import read_table
    from harness_gnn_benchmark.loader import load

    row = {r["name"]: r for r in read_table("harness_gnn_benchmark")}[name]
    task = load(str(shared_data), name, split="ltd")
    assert task.data.num_nodes == int(row["paper_nodes"])
    assert task.data.edge_index.size(1) == 2 * int(row["paper_edges"])
    classes = int(row["classes"])
    assert task.labels["meta"].bincount().tolist() == [20] * classes
