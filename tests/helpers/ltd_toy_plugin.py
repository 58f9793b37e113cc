"""A local plugin for the distillation tests: ``ltd-toy``, a small node-classification graph
(a stochastic block model of four classes with noisy class features) split by LTD's protocol
(:func:`harness.data.components.ltd_split`), so that it has the ``meta`` split LTD learns on.
``shuffle_valid_labels`` permutes the validation labels among the validation nodes (a test that
validation labels never enter a loss compares runs with and without it)."""

import torch
from torch_geometric.data import Data

from harness import Component, Param, TaskType, hookimpl
from harness.data.components import ltd_split
from harness.task import Task

CLASSES, PER_CLASS, FEATURES = 4, 70, 16


@hookimpl
def harness_datasets():
    return [
        Component(
            kind="dataset",
            name="ltd-toy",
            factory="harness_local_ltd_toy_plugin:load",
            doc="Four-class block-model graph under LTD's split (20 train, 20 meta, 10 valid per class).",
            task_types={TaskType.NODE_CLASSIFICATION},
            metadata={"metric": "acc"},
            params=(Param("graph_seed", "int", 0, "seed of the graph and its features", minimum=0),
                    Param("shuffle_valid_labels", "bool", False, "permute the validation labels")),
        )
    ]


def graph(seed: int = 0) -> Data:
    generator = torch.Generator().manual_seed(seed)
    y = torch.arange(CLASSES).repeat_interleave(PER_CLASS)
    n = len(y)
    same = y.view(-1, 1) == y.view(1, -1)
    probability = torch.where(same, torch.tensor(0.06), torch.tensor(0.01))
    upper = torch.triu(torch.rand(n, n, generator=generator) < probability, diagonal=1)
    edge_index = (upper | upper.t()).nonzero().t()
    x = torch.nn.functional.one_hot(y, FEATURES).float() + 0.9 * torch.randn(n, FEATURES, generator=generator)
    return Data(x=x, edge_index=edge_index, y=y)


def load(root, graph_seed=0, shuffle_valid_labels=False):
    data, items = ltd_split(graph(graph_seed), seed=0)
    labels = {part: data.y[index] for part, index in items.items()}
    if shuffle_valid_labels:
        labels["valid"] = labels["valid"][torch.randperm(len(labels["valid"]), generator=torch.Generator().manual_seed(1))]
    return Task(name="ltd-toy", task_type="node-classification", metric="acc", num_outputs=CLASSES, data=data, items=items, labels=labels)
