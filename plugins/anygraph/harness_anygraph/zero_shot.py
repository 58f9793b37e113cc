"""Zero-shot prediction on a task the experts never trained on: no gradient step, no parameter
change. The task's known edges (its input graph, :mod:`.graph_input`) give the unified input
and the routing sample; the expert with the best link score (no frequency factor) embeds every
node; scores are dot products:

- link ranking: ``(n_queries, num_nodes)``, every node scored for each query;
- link prediction: one score per candidate pair;
- node classification: ``(n_items, classes)``, each node against every class node.
"""

from __future__ import annotations

import torch

from harness.components import TaskType
from harness.task import Predictions
from harness_anygraph.experts import route, routing_sample, routing_scores
from harness_anygraph.graph_input import GraphInput, graph_input
from harness_anygraph.settings import ModelSettings


def unified_input(graph: GraphInput, model: ModelSettings, seed: int) -> torch.Tensor:
    return graph.embeddings(model.dim, model.niter, seed, model.hops, model.use_features)


@torch.no_grad()
def pick_expert(experts, graph: GraphInput, inputs: torch.Tensor, routing_edges: int, seed: int) -> tuple[int, list[float]]:
    """The routed expert for ``graph`` and every expert's link score."""
    generator = torch.Generator().manual_seed(seed)
    scores = routing_scores(experts, inputs, *routing_sample(graph.edges, graph.num_nodes, routing_edges, generator))
    return route(scores), scores.tolist()


def predictions(task, graph: GraphInput, embeddings: torch.Tensor, **extra) -> Predictions:
    """Dot-product scores for the task's validation and test items (module docstring)."""
    def scores(split):
        items = task.items[split].long()
        if task.task_type == TaskType.LINK_RANKING:
            return embeddings[items] @ embeddings.t()
        if task.task_type == TaskType.LINK_PREDICTION:
            return (embeddings[items[0]] * embeddings[items[1]]).sum(-1)
        return embeddings[items] @ embeddings[graph.class_nodes].t()

    return Predictions(valid=scores("valid"), test=scores("test"), extra=extra)


@torch.no_grad()
def zero_shot(task, experts, model: ModelSettings, routing_edges: int, seed: int, **extra) -> Predictions:
    """The routed expert's predictions for ``task`` (see the module docstring)."""
    graph = graph_input(task)
    inputs = unified_input(graph, model, seed)
    chosen, scores = pick_expert(experts, graph, inputs, routing_edges, seed)
    expert = experts[chosen]
    expert.eval()
    return predictions(task, graph, expert(inputs), routed_expert=chosen, routing_scores=scores, **extra)
