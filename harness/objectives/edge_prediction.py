"""Edge prediction: tell bonded atom pairs from non-bonded ones by their embeddings' dot product.

After Hu et al., "Strategies for Pre-training Graph Neural Networks", ICLR 2020, the
graph-level baseline of their section 5.1 (official code:
https://github.com/snap-stanford/pretrain-gnns, ``chem/pretrain_edgepred.py`` with the
``NegativeEdge`` transform of ``chem/util.py``), itself after Hamilton et al.'s GraphSAGE
unsupervised loss. Positives: every undirected bond once. Negatives: per graph, as many
atom pairs as it has bonds, drawn uniformly among its pairs of distinct atoms that are not
bonded. Loss: ``BCE(positive, 1) + BCE(negative, 0)`` on the dot-product logits.

What differs from the reference:

- Negatives are drawn when the loss is computed, for all graphs at once with torch's
  generator (rejection sampling), instead of per molecule in a dataset transform.
- Each graph gets exactly as many negatives as it has bonds, drawn with replacement among
  unordered non-bonded pairs; the reference draws ordered pairs without repeats from a fixed
  pool of candidates and can come up short. A graph whose atoms are all bonded to each other
  (two atoms, a three-ring) has no non-bonded pair and gives no negative.
- Positives are found as the pairs with source < target, not as every second column of
  ``edge_index`` (which assumes the two directions of a bond are adjacent); duplicate edges and
  self-loops are ignored.
- A single graph (a ``Data`` without ``batch``, such as a citation graph) is accepted, as one
  graph: the objective then serves as an auxiliary link-prediction task.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from harness.objectives.contrast import binary_contrast_loss, binary_contrast_terms, dot_scores
from harness.objectives.graphs import batch_vector, graph_count, nodes_per_graph


def undirected_bonds(edge_index: Tensor) -> Tensor:
    """Each undirected edge once, as (2, m) with the smaller node first; self-loops dropped."""
    low = torch.minimum(edge_index[0], edge_index[1])
    high = torch.maximum(edge_index[0], edge_index[1])
    proper = low != high
    return torch.unique(torch.stack([low[proper], high[proper]]), dim=1)


def pair_keys(low: Tensor, high: Tensor, num_nodes: int) -> Tensor:
    """One integer per unordered pair (low < high), for membership tests."""
    return low * num_nodes + high


def rank_within_group(group: Tensor, num_groups: int) -> Tensor:
    """Position of each element among the elements of its group, for ``group`` sorted."""
    counts = torch.bincount(group, minlength=num_groups)
    first = torch.cumsum(counts, 0) - counts
    return torch.arange(group.numel(), device=group.device) - first[group]


def uniform_below(limits: Tensor, generator: torch.Generator | None) -> Tensor:
    """One uniform integer in ``[0, limit)`` per entry of ``limits`` (each at least 1)."""
    drawn = torch.floor(torch.rand(limits.numel(), generator=generator, device=limits.device) * limits).long()
    # A float product can round up to the limit itself when the draw is close to 1.
    return torch.minimum(drawn, limits - 1)


def draw_distinct_pairs(graph: Tensor, nodes_by_graph: Tensor, first_slot: Tensor, sizes: Tensor,
                        generator: torch.Generator | None) -> Tensor:
    """One uniformly random pair of distinct nodes of each ``graph`` entry, as (2, k), low first.

    ``nodes_by_graph`` lists the nodes graph by graph, graph g's from ``first_slot[g]`` on."""
    size = sizes[graph]
    a = uniform_below(size, generator)
    b = uniform_below(size - 1, generator)
    b = b + (b >= a).long()  # b uniform over the other size - 1 nodes
    u, v = nodes_by_graph[first_slot[graph] + a], nodes_by_graph[first_slot[graph] + b]
    return torch.stack([torch.minimum(u, v), torch.maximum(u, v)])


def sample_non_bonds(bonds: Tensor, batch: Tensor, num_graphs: int, generator: torch.Generator | None = None) -> Tensor:
    """As many non-bonded pairs of distinct nodes per graph as it has ``bonds`` (undirected, low
    first), uniformly with replacement, both nodes of the same graph; (2, k), low first."""
    num_nodes = batch.numel()
    sizes = nodes_per_graph(batch, num_graphs)
    nodes_by_graph = torch.argsort(batch, stable=True)
    first_slot = torch.cumsum(sizes, 0) - sizes
    bonds_per_graph = nodes_per_graph(batch[bonds[0]], num_graphs)
    non_bonded = sizes * (sizes - 1) // 2 - bonds_per_graph
    missing = torch.where(non_bonded > 0, bonds_per_graph, 0)
    bond_keys = pair_keys(bonds[0], bonds[1], num_nodes)
    drawn = []
    while int(missing.sum()) > 0:
        # Twice the missing count per graph: most graphs finish in one round.
        graph = torch.repeat_interleave(torch.arange(num_graphs, device=batch.device), 2 * missing)
        pairs = draw_distinct_pairs(graph, nodes_by_graph, first_slot, sizes, generator)
        accepted = ~torch.isin(pair_keys(pairs[0], pairs[1], num_nodes), bond_keys)
        pairs, graph = pairs[:, accepted], graph[accepted]
        enough = rank_within_group(graph, num_graphs) < missing[graph]
        drawn.append(pairs[:, enough])
        missing = missing - nodes_per_graph(graph[enough], num_graphs)
    if not drawn:
        return bonds.new_empty((2, 0))
    return torch.cat(drawn, dim=1)


class EdgePrediction(nn.Module):
    """Edge prediction on dot products of node embeddings; it has no parameters of its own."""

    def loss(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> Tensor:
        return binary_contrast_loss(*self.scores(gnn, batch, generator))

    def per_example(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> Tensor:
        """One term per scored pair, bonds then non-bonds; their mean is :meth:`loss`."""
        return binary_contrast_terms(*self.scores(gnn, batch, generator))

    def scores(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """The dot-product logits of the bonds and of as many sampled non-bonds."""
        bonds = undirected_bonds(batch.edge_index)
        if bonds.size(1) == 0:
            raise ValueError("edge prediction needs at least one edge between two distinct nodes in the batch")
        non_bonds = sample_non_bonds(bonds, batch_vector(batch), graph_count(batch), generator)
        if non_bonds.size(1) == 0:
            raise ValueError("edge prediction found no pair of unlinked nodes within a graph of the batch:"
                             " every graph is complete")
        embeddings = gnn(batch.x, batch.edge_index, batch.edge_attr)
        positive = dot_scores(embeddings[bonds[0]], embeddings[bonds[1]])
        negative = dot_scores(embeddings[non_bonds[0]], embeddings[non_bonds[1]])
        return positive, negative
