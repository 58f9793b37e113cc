"""L2P-GNN's self-supervised tasks: for every graph of a batch, a support set and a query set of
links (existing edges) and non-links, sampled in one vectorised pass.

Lu et al., "Learning to Pre-train Graph Neural Networks", AAAI 2021; reference code
github.com/rootlu/L2P-GNN (``code/util.py``, ``TaskConstruction``). The reference builds each
graph's task in the dataset transform; here the tasks of a whole batch are drawn at once with a
``torch.Generator``, so that a task is reproducible from a seed.

Sampling (``k = support_size + query_size`` pairs of each kind per graph):

- Positives: ``k`` directed edges of the graph drawn uniformly *with replacement*, as the reference
  does (``np.random.randint`` over the edge list, util.py:19-21); the first ``support_size`` form
  the support set, the rest the query set (util.py:38-41), so the two sets may share an edge and a
  molecule with a single bond still gives ``k`` positives. Both directions of a bond are edges.
- Negatives: ``k`` ordered pairs drawn uniformly with replacement among the graph's non-edges
  ``(u, v)``, ``u != v``. The reference uses PyG 1.x's ``negative_sampling`` (util.py:29), which
  draws distinct pairs among all ``n^2`` ordered pairs that are not edges, self-pairs included,
  and resamples with replacement when fewer than ``k`` exist (util.py:33-36). Self-pairs are left
  out here because the dot-product score of ``(u, u)`` is ``|h_u|^2``: calling it a non-link only
  shrinks embeddings.
- A complete graph (2 atoms and 1 bond, a 3-ring) has no non-edge: its negatives pair one of its
  nodes with a node of another graph of the batch (never linked in the batched graph). Only when
  the batch holds that single graph do they fall back to self-pairs, the reference's only
  non-edges for such a molecule.
- A graph without edges (a single atom) has nothing to predict and gets no task; the caller
  receives the graphs that have one in ``EdgeTasks.graphs``.

Enumerating the non-edges costs ``O(sum of n_g^2)`` memory per batch: a few ten thousand pairs
for molecules, the intended use.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class EdgeTasks:
    """One link-prediction task per graph that has edges. Node indices are global in the batch;
    the pairs are task-major: task ``t``'s support pairs are columns ``t * support_size`` to
    ``(t + 1) * support_size - 1``, likewise for the query."""

    graphs: Tensor  # (T,) batch index of each task's graph, ascending
    support_positive: Tensor  # (2, T * support_size)
    support_negative: Tensor  # (2, T * support_size)
    query_positive: Tensor  # (2, T * query_size)
    query_negative: Tensor  # (2, T * query_size)

    @property
    def num_tasks(self) -> int:
        return self.graphs.numel()

    @property
    def support_size(self) -> int:
        return self.support_positive.size(1) // max(self.num_tasks, 1)

    @property
    def query_size(self) -> int:
        return self.query_positive.size(1) // max(self.num_tasks, 1)


def sample_edge_tasks(edge_index: Tensor, graph_of_node: Tensor, num_graphs: int, *, support_size: int = 10,
                      query_size: int = 5, generator: torch.Generator | None = None) -> EdgeTasks:
    """Draw the support and query links and non-links of every graph of a batch (see the module
    docstring). ``graph_of_node`` is PyG's ``batch`` vector: the nodes of a graph are contiguous
    and the graphs in ascending order, as ``Batch.from_data_list`` makes them."""
    if support_size < 1 or query_size < 1:
        raise ValueError(f"support_size and query_size must be positive, got {support_size} and {query_size}")
    if graph_of_node.numel() > 1 and bool((graph_of_node[1:] < graph_of_node[:-1]).any()):
        raise ValueError("the nodes of each graph must be contiguous and the graphs in ascending order (PyG's batch vector)")
    per_task = support_size + query_size
    edge_counts = torch.bincount(graph_of_node[edge_index[0]], minlength=num_graphs)
    graphs = torch.nonzero(edge_counts).flatten()
    if graphs.numel() == 0:
        raise ValueError("no graph of this batch has an edge: L2P-GNN's link-prediction tasks need at least one")
    positive = _positive_pairs(edge_index, graph_of_node, edge_counts, graphs, per_task, generator)
    negative = _negative_pairs(edge_index, graph_of_node, num_graphs, graphs, per_task, generator)
    return EdgeTasks(
        graphs=graphs,
        support_positive=positive[:, :, :support_size].reshape(2, -1),
        support_negative=negative[:, :, :support_size].reshape(2, -1),
        query_positive=positive[:, :, support_size:].reshape(2, -1),
        query_negative=negative[:, :, support_size:].reshape(2, -1),
    )


def _exclusive_cumsum(counts: Tensor) -> Tensor:
    return torch.cumsum(counts, dim=0) - counts


def _uniform_below(bounds: Tensor, per_row: int, generator: torch.Generator | None) -> Tensor:
    """``(len(bounds), per_row)`` integers, row ``t`` uniform in ``[0, bounds[t])`` (0 where the
    bound is 0, for the caller to replace)."""
    # drawn where the generator lives (a CPU generator may serve a CUDA batch); float64: uniform
    # enough for bounds far beyond any graph's pair count
    device = generator.device if generator is not None else bounds.device
    draws = torch.rand((bounds.numel(), per_row), generator=generator, device=device, dtype=torch.float64).to(bounds.device)
    picks = (draws * bounds.unsqueeze(1)).long()
    return torch.minimum(picks, (bounds - 1).clamp_min(0).unsqueeze(1))


def _positive_pairs(edge_index: Tensor, graph_of_node: Tensor, edge_counts: Tensor, graphs: Tensor, per_task: int,
                    generator: torch.Generator | None) -> Tensor:
    """(2, T, per_task) edges of each task's graph, with replacement."""
    # a stable sort groups the edges by graph without assuming the batch stores them so
    edges_by_graph = edge_index[:, torch.argsort(graph_of_node[edge_index[0]], stable=True)]
    first_edge = _exclusive_cumsum(edge_counts)[graphs]
    picks = first_edge.unsqueeze(1) + _uniform_below(edge_counts[graphs], per_task, generator)
    return edges_by_graph[:, picks]


def _negative_pairs(edge_index: Tensor, graph_of_node: Tensor, num_graphs: int, graphs: Tensor, per_task: int,
                    generator: torch.Generator | None) -> Tensor:
    """(2, T, per_task) non-edges of each task's graph, with replacement; cross-graph pairs for a
    graph without non-edges."""
    node_counts = torch.bincount(graph_of_node, minlength=num_graphs)
    first_node, sizes = _exclusive_cumsum(node_counts)[graphs], node_counts[graphs]
    non_edges, counts = _non_edges(edge_index, graph_of_node.numel(), first_node, sizes)
    picks = _exclusive_cumsum(counts).unsqueeze(1) + _uniform_below(counts, per_task, generator)
    # drawn whether needed or not, so that the generator advances by a fixed amount
    fallback = _cross_graph_pairs(graph_of_node.numel(), first_node, sizes, per_task, generator)
    if non_edges.size(1) == 0:
        return fallback
    within = non_edges[:, picks.clamp_max(non_edges.size(1) - 1)]
    return torch.where((counts > 0).view(1, -1, 1), within, fallback)


def _non_edges(edge_index: Tensor, num_nodes: int, first_node: Tensor, sizes: Tensor) -> tuple[Tensor, Tensor]:
    """All ordered pairs ``(u, v)``, ``u != v``, inside each task's graph that are not edges,
    grouped by task, and their count per task."""
    pairs_per_task = sizes * sizes
    task_of_pair = torch.repeat_interleave(torch.arange(sizes.numel(), device=sizes.device), pairs_per_task)
    local = torch.arange(task_of_pair.numel(), device=sizes.device) - _exclusive_cumsum(pairs_per_task)[task_of_pair]
    size_of_pair = sizes[task_of_pair]
    source = first_node[task_of_pair] + torch.div(local, size_of_pair, rounding_mode="floor")
    target = first_node[task_of_pair] + local % size_of_pair
    is_edge = torch.isin(source * num_nodes + target, edge_index[0] * num_nodes + edge_index[1])
    keep = (source != target) & ~is_edge
    counts = torch.bincount(task_of_pair[keep], minlength=sizes.numel())
    return torch.stack([source[keep], target[keep]]), counts


def _cross_graph_pairs(num_nodes: int, first_node: Tensor, sizes: Tensor, per_task: int,
                       generator: torch.Generator | None) -> Tensor:
    """(2, T, per_task) pairs of a node of each task's graph and a node outside it (the node
    itself when the batch has no other node)."""
    source = first_node.unsqueeze(1) + _uniform_below(sizes, per_task, generator)
    outside = num_nodes - sizes
    rank = _uniform_below(outside, per_task, generator)
    # the rank counts the nodes before the graph, then those after it
    target = rank + sizes.unsqueeze(1) * (rank >= first_node.unsqueeze(1))
    target = torch.where((outside > 0).unsqueeze(1), target, source)
    return torch.stack([source, target])
