"""OGB task bundles through ``ogb.nodeproppred.PygNodePropPredDataset`` and OGB's Evaluator."""

from __future__ import annotations

import torch

from harness.task import Task
from harness_ogb.files import DATASETS, check


class OgbEvaluator:
    """OGB's own ``Evaluator`` behind the harness's score contract: accuracy takes the arg-max
    of class scores, ROC-AUC takes the per-task scores as they are."""

    def __init__(self, name: str):
        from ogb.nodeproppred import Evaluator

        self.evaluator = Evaluator(name)
        self.metric = self.evaluator.eval_metric
        self.higher_is_better = True

    def __call__(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> float:
        if self.metric == "acc":
            y_true, y_pred = y_true.view(-1, 1), y_pred.argmax(dim=-1, keepdim=True)
        return float(self.evaluator.eval({"y_true": y_true, "y_pred": y_pred})[self.metric])


def _edge_features_to_nodes(data, reduce: str) -> torch.Tensor:
    from torch_geometric.utils import scatter

    return scatter(data.edge_attr, data.edge_index[1], dim=0, dim_size=data.num_nodes, reduce=reduce)


def _pyg_data_classes() -> list:
    from torch_geometric.data.data import DataEdgeAttr, DataTensorAttr
    from torch_geometric.data.storage import GlobalStorage

    return [DataEdgeAttr, DataTensorAttr, GlobalStorage]


def load(root: str, name: str, node_features: str = "edge-mean") -> Task:
    problems = check(name, root, {})
    if problems:
        raise FileNotFoundError(problems[0])
    from ogb.nodeproppred import PygNodePropPredDataset

    # OGB reads its processed file with torch.load's default, which is weights_only=True since
    # torch 2.6; allow-listing PyG's plain data containers keeps that safe mode working.
    with torch.serialization.safe_globals(_pyg_data_classes()):
        dataset = PygNodePropPredDataset(name=name, root=root)
    split = dataset.get_idx_split()
    data = dataset[0]
    if name == "ogbn-proteins":
        data.x = _edge_features_to_nodes(data, "mean" if node_features == "edge-mean" else "sum")
        y = data.y.float()
    else:
        y = data.y.view(-1)
    if name == "ogbn-arxiv":  # a directed citation graph; OGB's examples message-pass both ways
        from torch_geometric.utils import to_undirected

        data.edge_index = to_undirected(data.edge_index, num_nodes=data.num_nodes)
    items = {"train": split["train"], "valid": split["valid"], "test": split["test"]}
    labels = {part: y[index] for part, index in items.items()}
    num_outputs = y.size(1) if y.dim() == 2 else int(y.max()) + 1
    task_type = "node-multilabel" if DATASETS[name]["metric"] == "rocauc" else "node-classification"
    del data.y
    return Task(name=name, task_type=task_type, metric=DATASETS[name]["metric"], num_outputs=num_outputs, data=data, items=items, labels=labels, evaluator=OgbEvaluator(name))


def proteins(root: str, node_features: str = "edge-mean") -> Task:
    return load(root, "ogbn-proteins", node_features)


def arxiv(root: str) -> Task:
    return load(root, "ogbn-arxiv")


def products(root: str) -> Task:
    return load(root, "ogbn-products")
