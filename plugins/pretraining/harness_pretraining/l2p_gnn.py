"""L2P-GNN's meta-learning objective: pre-training that simulates fine-tuning, with a dual
(node- and graph-level) adaptation.

Lu et al., "Learning to Pre-train Graph Neural Networks", AAAI 2021; reference code
github.com/rootlu/L2P-GNN (``code/metapre.py``, ``MetaPre.meta_gradient_step``; defaults in
``code/main.py``). Written anew from the paper and that code.

Every graph of a batch is a task with a support and a query set of links and non-links
(:mod:`harness_pretraining.l2p_tasks`). With ``theta`` the GNN's parameters and ``W`` a ``d x d``
pooling matrix:

1. Node level: the support loss ``L_node(theta; S)`` is the binary cross-entropy of link
   prediction with dot-product scores of node embeddings (mean over the positive pairs plus mean
   over the negative pairs, metapre.py:75-80). One gradient step gives
   ``theta' = theta - node_step_size * grad L_node(theta; S)``; the node-level query loss is
   ``L_node(theta'; Q)`` (metapre.py:93-99).
2. Graph level: a graph's embedding is the mean of its node embeddings times ``W``; a
   sub-structure's embedding is the mean of the embeddings of the endpoints of its graph's support
   (query) links times ``W`` (``MetaPool``, model_chem.py:590-598; metapre.py:88-91). The loss is
   the cross-entropy of "this sub-structure belongs to its graph" against "... to the next graph of
   the batch" (the negative chosen as the reference's ``cycle_index`` shift of 1, metapre.py:110).
   One step ``W' = W - graph_step_size * grad L_graph(W; S)`` on the support sub-structures
   (metapre.py:108-122); the graph-level query loss uses ``W'``.
3. The meta loss is ``L_node(theta'; Q) + L_graph(W'; Q)`` (metapre.py:129); the caller
   back-propagates it and steps an optimiser (Adam, lr 1e-3, main.py:64,80) over ``theta`` and
   ``W``. Second order by default (``create_graph=True``, metapre.py:52 with main.py:98); the
   first-order variant treats the inner gradients as constants.

Defaults, all from the reference's ``main.py``: ``node_step_size = graph_step_size = 1e-3``
(lines 101, 103), one inner step at each level (102, 104), ``support_size = 10``,
``query_size = 5`` (105-106), order 2 (98); ``W`` is Glorot-initialised (model_chem.py:587-588).

The adapted forward pass is ``torch.func.functional_call`` with the adapted parameters; nothing is
written into the module, so the outer parameters stay as they are until the optimiser steps.

Differences from the reference code:

- Graph level per graph, as the paper describes it. The reference pools without a batch vector
  (metapre.py:109, 112), which averages over the *whole batch*: one sub-structure and one "graph"
  vector per batch, whose negative is that vector with its 300 coordinates cyclically shifted
  (``cycle_index(len(graph_emb), 1)`` on the squeezed ``(d,)`` vector, metapre.py:110). Here every
  task's graph has its own sub-structure and graph embedding and the next graph is its negative.
- Which embeddings and which ``W`` enter the graph level. The reference takes the sub-structures
  (support and query) from the embeddings of ``theta`` (metapre.py:88-91) and the graph embedding
  from those of ``theta'`` pooled with the un-adapted ``W``, in both the support and the query
  loss (metapre.py:109, reused at 125-126). Here the support-side graph loss uses ``theta``'s
  embeddings and ``W`` throughout, the query-side one ``theta'``'s embeddings and ``W'``
  throughout, as an adapted model would be used at fine-tuning.
- What the node-level step adapts. The reference's fast weights are the GNN layers'
  (metapre.py:72); its input atom embedding (``emb_initial``, metapre.py:55) is outside them and is
  trained by the outer step only. Here the GNN includes its input embeddings and all its
  parameters are adapted by default; ``inner_parameters`` (a predicate on parameter names)
  restricts the step, e.g. ``lambda name: not name.startswith("atoms.")`` for the harness's
  ``gin-mol``.
- BatchNorm. The reference's layers always normalise with batch statistics and update the running
  statistics at every forward pass (``training=True`` in model_chem.py:93-94), i.e. twice per meta
  step. Here the module's own mode decides, and the running statistics are updated once per meta
  step, by the forward pass with the outer parameters ``theta`` (those that are saved); the
  adapted pass runs on copies of the buffers.
- Tasks (:mod:`harness_pretraining.l2p_tasks`): non-edges exclude self-pairs, graphs without
  edges get no task, complete graphs take cross-graph negatives.
- One child task per graph and one inner step per level: the reference's ``--node_batch_size``,
  ``--node_update`` and ``--graph_update`` (main.py:76, 102, 104, all 1 by default) are not offered.

Kept as in the reference although the paper reads otherwise: the inner step is shared by the
batch (one ``theta'`` and one ``W'`` from the batch's mean support loss, metapre.py:72-86 and
118-122), where the paper's equations adapt per graph; the query links stay in the message-passing
graph (metapre.py:93 runs on the full ``edge_index``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.func import functional_call
from torch.nn import functional as F
from torch_geometric.data import Batch, Data
from torch_geometric.nn import global_mean_pool

from harness_pretraining.l2p_tasks import EdgeTasks, sample_edge_tasks


@dataclass(frozen=True)
class MetaObjective:
    """The meta loss (``total``, differentiable) and its parts, detached, for logging. "before"
    means with the outer parameters ``theta``/``W``, "after" with the adapted ``theta'``/``W'``;
    the graph-level support losses share ``theta``'s embeddings, the query ones ``theta'``'s."""

    total: Tensor
    node_support_before: Tensor
    node_support_after: Tensor
    node_query_before: Tensor
    node_query_after: Tensor
    node_query_accuracy: Tensor  # of theta' on the query pairs, as the reference reports
    graph_support_before: Tensor
    graph_support_after: Tensor
    graph_query_after: Tensor


@dataclass(frozen=True)
class _NodeLevel:
    embeddings_before: Tensor  # with theta
    embeddings_after: Tensor  # with theta'
    support_loss: Tensor  # L_node(theta; S)
    query_loss: Tensor  # L_node(theta'; Q)


@dataclass(frozen=True)
class _GraphLevel:
    support_loss: Tensor  # L_graph(W; S), theta's embeddings
    adapted_pooling: Tensor  # W'
    query_loss: Tensor  # L_graph(W'; Q), theta''s embeddings


class L2PGNN(nn.Module):
    """A GNN ``gnn(x, edge_index, edge_attr) -> (n, embedding_dim)`` and L2P-GNN's pooling matrix,
    with the meta loss as ``forward``. See the module docstring for the algorithm."""

    def __init__(self, gnn: nn.Module, embedding_dim: int, *, node_step_size: float = 1e-3, graph_step_size: float = 1e-3,
                 support_size: int = 10, query_size: int = 5, inner_parameters: Callable[[str], bool] | None = None):
        super().__init__()
        self.gnn = gnn
        self.pooling = nn.Parameter(torch.empty(embedding_dim, embedding_dim))
        nn.init.xavier_uniform_(self.pooling)
        self.node_step_size, self.graph_step_size = node_step_size, graph_step_size
        self.support_size, self.query_size = support_size, query_size
        self.inner_parameters = inner_parameters

    def sample_tasks(self, batch: Batch | Data, generator: torch.Generator | None = None) -> EdgeTasks:
        return sample_edge_tasks(batch.edge_index, _graph_of_node(batch), _num_graphs(batch), support_size=self.support_size,
                                 query_size=self.query_size, generator=generator)

    def forward(self, batch: Batch | Data, *, first_order: bool = False, generator: torch.Generator | None = None,
                tasks: EdgeTasks | None = None) -> Tensor:
        return self.meta_loss(batch, first_order=first_order, generator=generator, tasks=tasks)

    def meta_loss(self, batch: Batch | Data, *, first_order: bool = False, generator: torch.Generator | None = None,
                  tasks: EdgeTasks | None = None) -> Tensor:
        """``L_node(theta'; Q) + L_graph(W'; Q)`` for the batch's tasks (drawn with ``generator``
        unless given)."""
        return self.meta_objective(batch, first_order=first_order, generator=generator, tasks=tasks).total

    def meta_objective(self, batch: Batch | Data, *, first_order: bool = False, generator: torch.Generator | None = None,
                       tasks: EdgeTasks | None = None) -> MetaObjective:
        """The meta loss and its parts. Under ``torch.no_grad()`` the inner steps still run (they
        need gradients) but first order, and the total comes back detached."""
        if tasks is None:
            tasks = self.sample_tasks(batch, generator)
        wants_meta_gradient = torch.is_grad_enabled()
        create_graph = wants_meta_gradient and not first_order
        with torch.enable_grad():
            node = self._node_level(batch, tasks, create_graph)
            graph = self._graph_level(batch, tasks, node, create_graph)
            total = node.query_loss + graph.query_loss
        return _objective(total if wants_meta_gradient else total.detach(), tasks, node, graph, batch)

    def _adapted_parameters(self) -> dict[str, Tensor]:
        chosen = self.inner_parameters or (lambda name: True)
        return {name: p for name, p in self.gnn.named_parameters() if p.requires_grad and chosen(name)}

    def _node_level(self, batch: Batch | Data, tasks: EdgeTasks, create_graph: bool) -> _NodeLevel:
        # the forward pass with theta is the one that updates BatchNorm's running statistics
        before = self.gnn(batch.x, batch.edge_index, batch.edge_attr)
        support_loss = link_prediction_loss(before, tasks.support_positive, tasks.support_negative)
        adapted = gradient_step(self._adapted_parameters(), support_loss, self.node_step_size, create_graph=create_graph)
        buffer_copies = {name: buffer.clone() for name, buffer in self.gnn.named_buffers()}
        after = functional_call(self.gnn, (adapted, buffer_copies), (batch.x, batch.edge_index, batch.edge_attr))
        query_loss = link_prediction_loss(after, tasks.query_positive, tasks.query_negative)
        return _NodeLevel(before, after, support_loss, query_loss)

    def _graph_level(self, batch: Batch | Data, tasks: EdgeTasks, node: _NodeLevel, create_graph: bool) -> _GraphLevel:
        graph_of_node, num_graphs = _graph_of_node(batch), _num_graphs(batch)
        support_loss = graph_matching_loss(
            substructure_means(node.embeddings_before, tasks.support_positive, tasks.num_tasks),
            global_mean_pool(node.embeddings_before, graph_of_node, num_graphs)[tasks.graphs], self.pooling)
        adapted = gradient_step({"pooling": self.pooling}, support_loss, self.graph_step_size, create_graph=create_graph)
        query_loss = graph_matching_loss(
            substructure_means(node.embeddings_after, tasks.query_positive, tasks.num_tasks),
            global_mean_pool(node.embeddings_after, graph_of_node, num_graphs)[tasks.graphs], adapted["pooling"])
        return _GraphLevel(support_loss, adapted["pooling"], query_loss)


def gradient_step(parameters: dict[str, Tensor], loss: Tensor, step_size: float, *, create_graph: bool) -> dict[str, Tensor]:
    """One step of gradient descent as new tensors (``parameters`` are left as they are). With
    ``create_graph`` the step stays differentiable (second order); without it the gradient is a
    constant (first order)."""
    if not parameters:
        return {}
    # retain_graph: the graph-level loss and the outer backward reuse the support forward pass
    gradients = torch.autograd.grad(loss, list(parameters.values()), create_graph=create_graph, retain_graph=True,
                                    allow_unused=True)
    return {name: value if gradient is None else value - step_size * gradient
            for (name, value), gradient in zip(parameters.items(), gradients)}


def link_logits(embeddings: Tensor, pairs: Tensor) -> Tensor:
    """Dot-product score of each pair ``(2, m)`` of nodes."""
    return (embeddings[pairs[0]] * embeddings[pairs[1]]).sum(dim=-1)


def link_prediction_loss(embeddings: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
    """Mean cross-entropy of the links plus mean cross-entropy of the non-links."""
    return _balanced_bce(link_logits(embeddings, positive), link_logits(embeddings, negative))


def substructure_means(embeddings: Tensor, positive: Tensor, num_tasks: int) -> Tensor:
    """(T, d): each task's mean embedding over the endpoints of its links (task-major pairs)."""
    endpoints = embeddings[positive].view(2, num_tasks, -1, embeddings.size(-1))
    return endpoints.mean(dim=(0, 2))


def graph_matching_loss(substructures: Tensor, graphs: Tensor, pooling: Tensor) -> Tensor:
    """Cross-entropy of sub-structure ``t`` matching graph ``t`` (both ``(T, d)`` means, mapped by
    ``pooling``) and not graph ``t + 1`` (cyclically)."""
    substructure_embeddings, graph_embeddings = substructures @ pooling, graphs @ pooling
    positive = (substructure_embeddings * graph_embeddings).sum(dim=-1)
    negative = (substructure_embeddings * graph_embeddings.roll(-1, dims=0)).sum(dim=-1)
    return _balanced_bce(positive, negative)


def _balanced_bce(positive_logits: Tensor, negative_logits: Tensor) -> Tensor:
    return (F.binary_cross_entropy_with_logits(positive_logits, torch.ones_like(positive_logits))
            + F.binary_cross_entropy_with_logits(negative_logits, torch.zeros_like(negative_logits)))


def _graph_of_node(batch: Batch | Data) -> Tensor:
    graph_of_node = getattr(batch, "batch", None)
    return graph_of_node if graph_of_node is not None else batch.x.new_zeros(batch.num_nodes, dtype=torch.long)


def _num_graphs(batch: Batch | Data) -> int:
    return int(getattr(batch, "num_graphs", 1) or 1)


@torch.no_grad()
def _objective(total: Tensor, tasks: EdgeTasks, node: _NodeLevel, graph: _GraphLevel, batch: Batch | Data) -> MetaObjective:
    before, after = node.embeddings_before.detach(), node.embeddings_after.detach()
    support_substructures = substructure_means(before, tasks.support_positive, tasks.num_tasks)
    graph_means = global_mean_pool(before, _graph_of_node(batch), _num_graphs(batch))[tasks.graphs]
    query_positive = link_logits(after, tasks.query_positive)
    query_negative = link_logits(after, tasks.query_negative)
    correct = (query_positive > 0).sum() + (query_negative < 0).sum()
    return MetaObjective(
        total=total,
        node_support_before=node.support_loss.detach(),
        node_support_after=link_prediction_loss(after, tasks.support_positive, tasks.support_negative),
        node_query_before=link_prediction_loss(before, tasks.query_positive, tasks.query_negative),
        node_query_after=node.query_loss.detach(),
        node_query_accuracy=correct / (query_positive.numel() + query_negative.numel()),
        graph_support_before=graph.support_loss.detach(),
        graph_support_after=graph_matching_loss(support_substructures, graph_means, graph.adapted_pooling.detach()),
        graph_query_after=graph.query_loss.detach(),
    )
