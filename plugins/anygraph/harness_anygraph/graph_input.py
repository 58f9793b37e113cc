"""What AnyGraph reads from a task: one input graph (its known edges) and its node features,
turned into the unified input of :mod:`harness.unified_input`.

- link prediction and link ranking: the training graph (``data.edge_index``, both directions of
  the training edges); validation and test edges are never part of it;
- node classification: the graph plus one *class node* per class, linked from every labelled
  training node to its class (the paper's few-shot setting); class nodes have zero features.

The input graph's edges are also AnyGraph's training pairs and its routing sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from harness.components import TaskType
from harness.unified_input import normalized_adjacency, propagate, svd_projection

#: the task types AnyGraph handles
TASK_TYPES = frozenset({TaskType.LINK_PREDICTION, TaskType.LINK_RANKING, TaskType.NODE_CLASSIFICATION})


@dataclass
class GraphInput:
    name: str
    #: directed pairs ``(2, m)``: both directions of every known edge
    edges: torch.Tensor
    num_nodes: int
    x: torch.Tensor | None
    #: node ids of the class nodes (node classification), else None
    class_nodes: torch.Tensor | None = None

    def __post_init__(self):
        self.adjacency = normalized_adjacency(self.edges, self.num_nodes)

    def embeddings(self, dim: int, niter: int, seed: int, hops: int, use_features: bool) -> torch.Tensor:
        """The SVD projection drawn from ``seed``, propagated: the experts' input."""
        projection = svd_projection(self.edges, self.num_nodes, self.x, dim, niter, seed, use_features)
        return propagate(projection, self.adjacency, hops)


def graph_input(task) -> GraphInput:
    """The input graph of a task (a method's view: no test labels), as the module docstring says."""
    if task.task_type not in TASK_TYPES:
        raise ValueError(f"AnyGraph reads link-prediction, link-ranking and node-classification tasks; {task.name} is {task.task_type}")
    data = task.data
    x = getattr(data, "x", None)
    x = None if x is None else x.float().reshape(data.num_nodes, -1)
    if task.task_type != TaskType.NODE_CLASSIFICATION:
        return GraphInput(task.name, data.edge_index.long(), int(data.num_nodes), x)
    labelled, classes = task.items["train"].long(), task.labels["train"].long()
    if classes.dim() != 1:
        raise ValueError(f"{task.name}: AnyGraph's class nodes need single-label classes, got labels of shape {tuple(classes.shape)}")
    n = int(data.num_nodes)
    class_nodes = torch.arange(n, n + task.num_outputs)
    label_edges = torch.stack([labelled, class_nodes[classes]])
    edges = torch.cat([data.edge_index.long(), label_edges, label_edges.flip(0)], dim=1)
    if x is not None:
        x = torch.cat([x, x.new_zeros(task.num_outputs, x.size(1))])
    return GraphInput(task.name, edges, n + task.num_outputs, x, class_nodes)
