"""Task bundles for the synthetic datasets declared in :mod:`harness_synthetic`.

Splits: under the ``fixed`` protocol the data seed (``seed``) also draws the split, as it always
did; under ``per-seed`` the cell's seed draws it (the data stay those of ``seed``); under
``folds`` the items are dealt to stratified folds (:func:`harness.data.splits.fold_split`, the
data seed drawing the deal) and the cell's fold is the test set.
"""

from __future__ import annotations

import torch
from torch_geometric.data import Data
from torch_geometric.transforms import RandomLinkSplit
from torch_geometric.utils import to_undirected

from harness.data.splits import FOLDS, Split, fold_split
from harness.ranking import ranking_splits
from harness.task import Task
from harness_synthetic import RANKING_METRICS, generators
from harness_synthetic.codes import TYPED_CODES


def _node_split(labels: torch.Tensor, per_class: int, seed: int) -> dict[str, torch.Tensor]:
    """``per_class`` training nodes per class (Planetoid style); the rest halves into
    validation and test."""
    generator = torch.Generator().manual_seed(seed + 1)
    order = torch.randperm(len(labels), generator=generator)
    train = torch.cat([order[labels[order] == c][:per_class] for c in labels.unique()])
    rest = order[~torch.isin(order, train)]
    half = len(rest) // 2
    return {"train": train.sort().values, "valid": rest[:half].sort().values, "test": rest[half:].sort().values}


def _random_split(count: int, seed: int, train=0.6, valid=0.2) -> dict[str, torch.Tensor]:
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed + 1))
    a, b = int(train * count), int((train + valid) * count)
    return {"train": order[:a].sort().values, "valid": order[a:b].sort().values, "test": order[b:].sort().values}


def _split(default, labels: torch.Tensor, seed: int, split_choice: Split | None) -> dict[str, torch.Tensor]:
    """The items per split: ``default(split_seed)`` (the dataset's own split, drawn from the data
    seed or, per seed, from the cell's), or the cell's fold of a stratified k-fold split."""
    if split_choice is None:
        return default(seed)
    if split_choice.protocol == FOLDS:
        parts = fold_split(labels.numpy(), split_choice.index, split_choice.count, seed=seed)
        return {name: torch.from_numpy(index) for name, index in parts.items()}
    return default(split_choice.index)


def _node_task(name, task_type, metric, num_outputs, data, items) -> Task:
    labels = {split: data.y[index] for split, index in items.items()}
    return Task(name=name, task_type=task_type, metric=metric, num_outputs=num_outputs, data=data, items=items, labels=labels)


def node_classification(root, seed, num_nodes, num_classes, num_features, feature_noise, split_choice: Split | None = None) -> Task:
    data = generators.contextual_sbm(num_nodes, num_classes, num_features, feature_noise, seed)
    items = _split(lambda split_seed: _node_split(data.y, 20, split_seed), data.y, seed, split_choice)
    return _node_task("synthetic-node", "node-classification", "acc", num_classes, data, items)


def text_classification(root, seed, num_nodes, num_classes, words, topic_share, split_choice: Split | None = None) -> Task:
    data, texts = generators.text_attributed_sbm(num_nodes, num_classes, words, topic_share, seed)
    items = _split(lambda split_seed: _node_split(data.y, 20, split_seed), data.y, seed, split_choice)
    task = _node_task("synthetic-text", "node-classification", "acc", num_classes, data, items)
    task.raw = {"text": texts}
    return task


def node_multilabel(root, seed, num_nodes, num_labels, num_features, feature_noise, split_choice: Split | None = None) -> Task:
    data = generators.smoothed_latent_labels(num_nodes, num_labels, num_features, feature_noise, seed)
    items = _split(lambda split_seed: _random_split(num_nodes, split_seed), data.y, seed, split_choice)
    return _node_task("synthetic-multilabel", "node-multilabel", "rocauc", num_labels, data, items)


def _graph_task(name, task_type, metric, graphs, seed, split_choice: Split | None, categorical=None) -> Task:
    y = torch.cat([g.y for g in graphs])
    # folds are stratified by class; regression targets are dealt without strata
    strata = y[:, 0].long() if task_type == "graph-classification" else torch.zeros(len(graphs), dtype=torch.long)
    items = _split(lambda split_seed: _random_split(len(graphs), split_seed, train=0.8, valid=0.1), strata, seed, split_choice)
    labels = {split: y[index] for split, index in items.items()}
    return Task(name=name, task_type=task_type, metric=metric, num_outputs=y.size(1), graphs=graphs, items=items, labels=labels, categorical=categorical)


def graph_classification(root, seed, num_graphs, clique_size, split_choice: Split | None = None) -> Task:
    graphs = generators.planted_cliques(num_graphs, clique_size, seed)
    return _graph_task("synthetic-graph", "graph-classification", "rocauc", graphs, seed, split_choice)


def graph_regression(root, seed, num_graphs, split_choice: Split | None = None) -> Task:
    graphs = generators.triangle_density(num_graphs, seed)
    return _graph_task("synthetic-graph-regression", "graph-regression", "rmse", graphs, seed, split_choice)


def typed_graph_classification(root, seed, num_graphs, split_choice: Split | None = None) -> Task:
    graphs = generators.typed_graphs(num_graphs, seed)
    return _graph_task("synthetic-categorical", "graph-classification", "rocauc", graphs, seed, split_choice, categorical=TYPED_CODES)


def edge_multilabel(root, seed, num_nodes, num_labels, num_features, feature_noise) -> Task:
    data = generators.contextual_sbm(num_nodes, num_labels, num_features, feature_noise, seed)
    pairs = data.edge_index[:, data.edge_index[0] < data.edge_index[1]]
    communities = torch.nn.functional.one_hot(data.y, num_labels)
    pair_labels = (communities[pairs[0]] | communities[pairs[1]]).float()
    split = _random_split(pairs.size(1), seed, train=0.7, valid=0.1)
    items = {name: pairs[:, index] for name, index in split.items()}
    labels = {name: pair_labels[index] for name, index in split.items()}
    train = items["train"]
    graph = Data(x=data.x, edge_index=torch.cat([train, train.flip(0)], dim=1), num_nodes=num_nodes)
    return Task(name="synthetic-edge-multilabel", task_type="edge-multilabel", metric="rocauc", num_outputs=num_labels, data=graph, items=items, labels=labels)


def link_prediction(root, seed, num_nodes, num_features, feature_noise) -> Task:
    data = generators.contextual_sbm(num_nodes, 4, num_features, feature_noise, seed)
    del data.y
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        split = RandomLinkSplit(num_val=0.05, num_test=0.1, is_undirected=True, add_negative_train_samples=False)
        train, valid, test = split(data)
    finally:
        torch.random.set_rng_state(state)
    items = {"train": train.edge_label_index}
    labels = {"train": train.edge_label}
    generator = torch.Generator().manual_seed(seed + 2)
    for name, part in (("valid", valid), ("test", test)):
        # RandomLinkSplit lists positives before negatives: shuffle so that position tells nothing.
        order = torch.randperm(part.edge_label.numel(), generator=generator)
        items[name], labels[name] = part.edge_label_index[:, order], part.edge_label[order]
    graph = train.clone()
    del graph.edge_label, graph.edge_label_index
    return Task(name="synthetic-link", task_type="link-prediction", metric="rocauc", num_outputs=1, data=graph, items=items, labels=labels)


def _edge_split(edge_index: torch.Tensor, seed: int, valid=0.05, test=0.10) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Disjoint training, validation and test edges ``(2, m)`` (``u < v``), drawn at random."""
    pairs = edge_index[:, edge_index[0] < edge_index[1]]
    order = torch.randperm(pairs.size(1), generator=torch.Generator().manual_seed(seed + 3))
    n_valid, n_test = max(1, int(valid * pairs.size(1))), max(1, int(test * pairs.size(1)))
    held = n_valid + n_test
    return pairs[:, order[held:]], pairs[:, order[:n_valid]], pairs[:, order[n_valid:held]]


def link_ranking(root, seed, num_nodes, num_features, feature_noise) -> Task:
    data = generators.contextual_sbm(num_nodes, 4, num_features, feature_noise, seed)
    train, valid, test = _edge_split(data.edge_index, seed)
    queries, targets = ranking_splits(train.numpy(), valid.numpy(), test.numpy(), num_nodes)
    graph = data.clone()
    del graph.y
    graph.edge_index = to_undirected(train, num_nodes=num_nodes)
    items = {"train": train, **{split: torch.from_numpy(queries[split]) for split in ("valid", "test")}}
    labels = {"train": torch.ones(train.size(1)), **{split: torch.from_numpy(targets[split]) for split in ("valid", "test")}}
    return Task(name="synthetic-ranking", task_type="link-ranking", metric="mrr", num_outputs=1, data=graph, items=items, labels=labels, extra_metrics=RANKING_METRICS)
