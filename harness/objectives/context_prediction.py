"""Context prediction: tell a root atom's neighbourhood from the context ring around it.

After Hu et al., "Strategies for Pre-training Graph Neural Networks", ICLR 2020, section 3.1.1
(official code: https://github.com/snap-stanford/pretrain-gnns, ``chem/pretrain_contextpred.py``
with the ``ExtractSubstructureContextPair`` transform of ``chem/util.py``), in its default
"cbow" form with one negative. Per molecule, with hop distances d from a random root atom and K
the main gnn's depth:

- substructure: the subgraph induced by the atoms with d <= K, encoded by the main gnn; its
  representation is the root's embedding;
- context: the subgraph induced by the atoms with r1 < d <= r2 (defaults r1 = K - 1 and
  r2 = r1 + 3, the reference's ``csize``), encoded by a separate context gnn;
- anchors: the context atoms that are also in the substructure (r1 < d <= K); the context's
  representation is the mean of the context gnn's anchor embeddings.

A root scores its own context (positive) and the context of the next usable molecule of the
batch (negative, a cyclic shift by one) by a dot product; the loss is
``BCE(positive, 1) + BCE(negative, 0)`` on logits.

What differs from the reference:

- The pairs are extracted when the loss is computed, for the whole batch at once (one
  breadth-first search from every root, vectorised over the batch's edges, which never cross
  molecules) with torch's generator, instead of per molecule with networkx in a dataset
  transform with Python's ``random``.
- A molecule whose context or anchor set is empty (every atom within r1 hops of the root) is
  left out of the batch's loss, as the reference's collate function leaves out molecules
  without context. With fewer than two molecules left the loss raises ``NotEnoughGraphs``:
  the reference would pair a lone root with its own context as a negative.
- r1 = 0 means 0 < d: the root is never a context atom. The reference turns a radius of 0
  into networkx's cutoff -1, which in the networkx of its time found no atom at all, so with
  K = 1 (r1 = 0) its contexts include the root.
- The negative term is weighted 1, as the reference's ``neg_samples`` = 1 default.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.utils import subgraph

from harness.objectives.contrast import NotEnoughGraphs, binary_contrast_loss, binary_contrast_terms, dot_scores, shifted_by_one
from harness.objectives.graphs import batch_vector, graph_count, nodes_per_graph, random_ranks

UNREACHED = torch.iinfo(torch.long).max  # the distance of atoms beyond the search radius


@dataclass(frozen=True)
class ContextPairs:
    """The substructure-context pairs of one batch; node indices are into the batch, ascending.

    ``graphs`` are the molecules kept (ascending) and ``roots`` their root atoms, one each; the
    three node sets hold the kept molecules' atoms only. ``distance`` is every atom's hop
    distance from its own molecule's root (``UNREACHED`` beyond r2)."""

    graphs: Tensor
    roots: Tensor
    substructure: Tensor
    context: Tensor
    anchors: Tensor
    distance: Tensor


def distances_from_roots(edge_index: Tensor, num_nodes: int, roots: Tensor, max_distance: int) -> Tensor:
    """Hop distance of every node from the root of its own graph, up to ``max_distance``.

    One breadth-first search from all roots at once: the graphs of a batch share no edge, so
    each node is reached from its own graph's root only. Edges are followed both ways, so that a
    bond stored in one direction only still connects its atoms."""
    source = torch.cat([edge_index[0], edge_index[1]])
    target = torch.cat([edge_index[1], edge_index[0]])
    distance = torch.full((num_nodes,), UNREACHED, dtype=torch.long, device=edge_index.device)
    distance[roots] = 0
    frontier = torch.zeros(num_nodes, dtype=torch.bool, device=edge_index.device)
    frontier[roots] = True
    for hops in range(1, max_distance + 1):
        # A scatter rather than boolean indexing: no host synchronisation per hop on an accelerator.
        touched = torch.zeros(num_nodes, device=edge_index.device).index_add_(0, target, frontier[source].float()) > 0
        frontier = touched & (distance == UNREACHED)
        distance = torch.where(frontier, hops, distance)
    return distance


def random_roots(batch: Tensor, num_graphs: int, generator: torch.Generator | None = None) -> Tensor:
    """One uniformly chosen node per non-empty graph, in the order of the graphs."""
    first = torch.nonzero(random_ranks(batch, num_graphs, generator) == 0).flatten()
    return first[torch.argsort(batch[first])]


def one_root_per_graph(roots: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
    """The given roots in the order of their graphs, refused if a graph has two."""
    roots = torch.as_tensor(roots, dtype=torch.long, device=batch.device)
    if roots.numel() and int(nodes_per_graph(batch[roots], num_graphs).max()) > 1:
        raise ValueError("give at most one root per molecule")
    return roots[torch.argsort(batch[roots])]


def extract_context_pairs(edge_index: Tensor, batch: Tensor, num_graphs: int, num_layers: int, r1: int, r2: int,
                          roots: Tensor | None = None, generator: torch.Generator | None = None) -> ContextPairs:
    """Root, substructure (d <= num_layers), context (r1 < d <= r2) and anchors
    (r1 < d <= num_layers) of every molecule of a batch; molecules with no context or no anchor
    are left out.

    ``roots``: one node index per non-empty molecule, in the order of the molecules (drawn
    uniformly when omitted)."""
    if roots is None:
        roots = random_roots(batch, num_graphs, generator)
    else:
        roots = one_root_per_graph(roots, batch, num_graphs)
    distance = distances_from_roots(edge_index, batch.numel(), roots, r2)
    in_context = (distance > r1) & (distance <= r2)
    is_anchor = in_context & (distance <= num_layers)
    usable = (nodes_per_graph(batch[in_context], num_graphs) > 0) & (nodes_per_graph(batch[is_anchor], num_graphs) > 0)
    kept_atom = usable[batch]
    return ContextPairs(
        graphs=torch.nonzero(usable).flatten(),
        roots=roots[usable[batch[roots]]],
        substructure=torch.nonzero(kept_atom & (distance <= num_layers)).flatten(),
        context=torch.nonzero(kept_atom & in_context).flatten(),
        anchors=torch.nonzero(kept_atom & is_anchor).flatten(),
        distance=distance,
    )


def positions_in(subset: Tensor, nodes: Tensor, num_nodes: int) -> Tensor:
    """Where ``nodes`` sit in the induced subgraph on ``subset`` (ascending node indices)."""
    position = torch.full((num_nodes,), -1, dtype=torch.long, device=subset.device)
    position[subset] = torch.arange(subset.numel(), device=subset.device)
    return position[nodes]


def encode_subgraph(gnn: nn.Module, batch: Data, subset: Tensor) -> Tensor:
    """The gnn's node embeddings on the subgraph of ``batch`` induced by ``subset``."""
    edge_index, edge_attr = subgraph(subset, batch.edge_index, batch.edge_attr, relabel_nodes=True,
                                     num_nodes=batch.num_nodes)
    return gnn(batch.x[subset], edge_index, edge_attr)


def mean_by_group(rows: Tensor, group: Tensor, num_groups: int) -> Tensor:
    totals = rows.new_zeros((num_groups, rows.size(1))).index_add_(0, group, rows)
    counts = torch.bincount(group, minlength=num_groups).clamp(min=1)
    return totals / counts.unsqueeze(1).to(rows.dtype)


class ContextPrediction(nn.Module):
    """Context prediction; its parameters are the context gnn's.

    ``width``: the embedding width of both gnns (checked); ``num_layers``: K, the main gnn's
    depth; ``context_gnn``: called like the gnn (in practice a GIN of r2 - r1 layers);
    ``r1`` defaults to K - 1, ``r2`` to r1 + 3.
    """

    def __init__(self, width: int, num_layers: int, context_gnn: nn.Module, r1: int | None = None, r2: int | None = None):
        super().__init__()
        r1 = num_layers - 1 if r1 is None else r1
        r2 = r1 + 3 if r2 is None else r2
        if not 0 <= r1 < num_layers:
            # r1 >= K would leave no anchor in any molecule.
            raise ValueError("need 0 <= r1 < num_layers so that a context can overlap the substructure;"
                             f" got r1={r1}, num_layers={num_layers}")
        if r2 <= r1:
            raise ValueError(f"the context ring r1 < d <= r2 is empty: r1={r1}, r2={r2}")
        self.width, self.num_layers, self.r1, self.r2 = width, num_layers, r1, r2
        self.context_gnn = context_gnn

    def extract(self, batch: Data, generator: torch.Generator | None = None) -> ContextPairs:
        return extract_context_pairs(batch.edge_index, batch_vector(batch), graph_count(batch), self.num_layers,
                                     self.r1, self.r2, generator=generator)

    def checked(self, embeddings: Tensor, which: str) -> Tensor:
        if embeddings.dim() != 2 or embeddings.size(1) != self.width:
            raise ValueError(f"the {which} returned embeddings of shape {tuple(embeddings.shape)}; expected width {self.width}")
        return embeddings

    def representations(self, gnn: nn.Module, batch: Data, pairs: ContextPairs) -> tuple[Tensor, Tensor]:
        """The substructure (root) and context (anchor mean) representations, one row per pair."""
        num_nodes = batch.num_nodes
        substructure = self.checked(encode_subgraph(gnn, batch, pairs.substructure), "gnn")
        roots = substructure[positions_in(pairs.substructure, pairs.roots, num_nodes)]
        context = self.checked(encode_subgraph(self.context_gnn, batch, pairs.context), "context gnn")
        anchors = context[positions_in(pairs.context, pairs.anchors, num_nodes)]
        pair_of_graph = torch.full((graph_count(batch),), -1, dtype=torch.long, device=pairs.graphs.device)
        pair_of_graph[pairs.graphs] = torch.arange(pairs.graphs.numel(), device=pairs.graphs.device)
        anchor_pair = pair_of_graph[batch_vector(batch)[pairs.anchors]]
        return roots, mean_by_group(anchors, anchor_pair, pairs.graphs.numel())

    def loss(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> Tensor:
        return binary_contrast_loss(*self.scores(gnn, batch, generator))

    def per_example(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> Tensor:
        """One term per (substructure, context) pair, own contexts then others'; their mean is
        :meth:`loss`."""
        return binary_contrast_terms(*self.scores(gnn, batch, generator))

    def scores(self, gnn: nn.Module, batch: Data, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """The dot products of each root with its own context and with the next molecule's."""
        pairs = self.extract(batch, generator)
        if pairs.graphs.numel() < 2:
            raise NotEnoughGraphs(
                f"context prediction needs two molecules with a context (an atom more than r1={self.r1} hops from the root);"
                f" this batch has {pairs.graphs.numel()}")
        roots, contexts = self.representations(gnn, batch, pairs)
        others = contexts[shifted_by_one(contexts.size(0), contexts.device)]
        return dot_scores(roots, contexts), dot_scores(roots, others)
