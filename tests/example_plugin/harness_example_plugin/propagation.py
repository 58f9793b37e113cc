import torch
from torch_geometric.nn import LabelPropagation

from harness.task import Predictions


class LabelPropagationMethod:
    def __init__(self, num_layers, alpha):
        self.model = LabelPropagation(num_layers=num_layers, alpha=alpha)

    def run(self, task, encoder, backbone, context):
        data = task.data
        labels = torch.zeros(data.num_nodes, dtype=torch.long)
        labels[task.items["train"]] = task.labels["train"]
        mask = torch.zeros(data.num_nodes, dtype=torch.bool)
        mask[task.items["train"]] = True
        scores = self.model(labels, data.edge_index, mask=mask)
        context.log_epoch(0, valid=task.score("valid", scores[task.items["valid"]]))
        return Predictions(valid=scores[task.items["valid"]], test=scores[task.items["test"]], best_epoch=0)
