"""OGB link property prediction (Hu et al., NeurIPS 2020): ogbl-ddi and ogbl-collab through
``ogb.linkproppred``'s ``PygLinkPropPredDataset``, its edge split and its ``Evaluator``.

The harness's link task takes flat candidate pairs with 0/1 labels. From OGB's split
(``split/<type>/{train,valid,test}.pt``): the training items are OGB's training edges (all
positive; a method draws its own negatives); the validation and test items are OGB's positive
edges (``edge``) followed by OGB's fixed negatives (``edge_neg``), labelled 1 and 0. Every score
keeps its pair, so the evaluator can split them back into OGB's positive and negative scores:
Hits@K (K = 20 for ddi, 50 for collab) is OGB's own number.

What differs from OGB's examples, and why:

- Messages pass over the training edges only, the graph OGB's loader builds
  (``raw/edge.csv.gz``). For ogbl-collab, OGB's rules allow adding the validation edges to the
  graph when predicting the test edges (its examples' ``--use_valedges_as_input``); this loader
  does not, so test numbers compare with OGB entries that did not either. ogbl-collab's edge
  weights and years stay on the graph as ``edge_weight`` and ``edge_year``.
- ogbl-ddi has no node features; OGB's examples learn an embedding per node. ``node_features:
  one-hot`` gives each node its own 0/1 column instead (4,267 columns), so a backbone's first
  linear layer is that embedding; ``constant`` gives every node the feature 1.
"""

from __future__ import annotations

import torch

from harness.task import Task
from harness_ogb.common import prepare, safe_loading
from harness_ogb.evaluators import OgbEvaluator
from harness_ogb.files import TABLE


def _edges(part: dict, key: str, name: str, split: str) -> torch.Tensor:
    edges = torch.as_tensor(part[key]).long()
    if edges.dim() != 2 or edges.size(1) != 2:
        raise ValueError(f"{name}: split {split!r} key {key!r} should hold (n, 2) node pairs, got {tuple(edges.shape)}")
    return edges.t()


def candidates(split_edges: dict, name: str) -> tuple[dict, dict, dict]:
    """Items and labels per split from OGB's edge split, and the counts for ``task.info``."""
    items = {"train": _edges(split_edges["train"], "edge", name, "train")}
    labels = {"train": torch.ones(items["train"].size(1))}
    counts = {"train_edges": items["train"].size(1)}
    for part in ("valid", "test"):
        if "edge_neg" not in split_edges[part]:
            raise ValueError(f"{name}: OGB's {part} split has no 'edge_neg' (its fixed negatives); keys: {sorted(split_edges[part])}")
        positive = _edges(split_edges[part], "edge", name, part)
        negative = _edges(split_edges[part], "edge_neg", name, part)
        items[part] = torch.cat([positive, negative], dim=1)
        labels[part] = torch.cat([torch.ones(positive.size(1)), torch.zeros(negative.size(1))])
        counts[f"{part}_positives"], counts[f"{part}_negatives"] = positive.size(1), negative.size(1)
    return items, labels, counts


def load(root: str, name: str, node_features: str = "one-hot", download: bool = False) -> Task:
    from ogb.linkproppred import PygLinkPropPredDataset

    with safe_loading():
        dataset = PygLinkPropPredDataset(name=name, root=prepare(root, name, download))
        split_edges = dataset.get_edge_split()
    data = dataset[0]
    info = {"message_passing": "training edges only", "negatives": "OGB's fixed edge_neg"}
    if getattr(data, "x", None) is None:
        num_nodes = data.num_nodes
        data.x = torch.eye(num_nodes) if node_features == "one-hot" else torch.ones(num_nodes, 1)
        info["node_features"] = node_features
    items, labels, counts = candidates(split_edges, name)
    row = TABLE[name]
    return Task(name=name, task_type=row["task_type"], metric=row["metric"], num_outputs=1, data=data, items=items, labels=labels, evaluator=OgbEvaluator(name), info={**info, **counts})


def ddi(root: str, node_features: str = "one-hot", download: bool = False) -> Task:
    return load(root, "ogbl-ddi", node_features, download)


def collab(root: str, download: bool = False) -> Task:
    return load(root, "ogbl-collab", download=download)
