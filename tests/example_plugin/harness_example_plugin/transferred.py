"""Label propagation whose ``alpha`` is carried over from another dataset: an example of a method
with a stage (computed once, shared by every cell that needs it) and a dataset reference."""

import torch
from torch_geometric.nn import LabelPropagation

from harness.task import Predictions


def training_edge_homophily(task) -> float:
    """The share of edges between two training nodes that join nodes of one class."""
    label = torch.full((task.data.num_nodes,), -1, dtype=torch.long)
    label[task.items["train"]] = task.labels["train"]
    source, target = label[task.data.edge_index]
    known = (source >= 0) & (target >= 0)
    if not known.any():
        return 0.5  # no edge joins two training nodes: no evidence either way
    return float((source[known] == target[known]).float().mean())


class TransferredPropagation:
    def __init__(self, corpus, num_layers):
        self.corpus = corpus  # a dataset reference, resolved by the grid
        self.num_layers = num_layers

    def run(self, task, encoder, backbone, context):
        corpus = context.load_task(self.corpus)  # its test labels are hidden like the cell's own
        measured = context.stage("homophily", lambda: {"alpha": training_edge_homophily(corpus)}, params={}, datasets=[corpus])
        model = LabelPropagation(num_layers=self.num_layers, alpha=measured["alpha"])
        labels = torch.zeros(task.data.num_nodes, dtype=torch.long)
        labels[task.items["train"]] = task.labels["train"]
        mask = torch.zeros(task.data.num_nodes, dtype=torch.bool)
        mask[task.items["train"]] = True
        scores = model(labels, task.data.edge_index, mask=mask)
        context.log_epoch(0, valid=task.score("valid", scores[task.items["valid"]]))
        return Predictions(valid=scores[task.items["valid"]], test=scores[task.items["test"]], best_epoch=0, extra={"alpha": measured["alpha"]})
