"""The generative processes of the synthetic tasks. Every function takes a
``torch.Generator`` so that a task is a pure function of its parameters.

- **Contextual SBM** (node classification): ``C`` equal communities; an edge joins two nodes
  of the same community with probability ``p_in = 8 / (n / C)`` and of different ones with
  ``p_out = 2 / (n - n / C)``: about 8 neighbours inside the community and 2 outside. Class
  means ``mu_c ~ N(0, I)`` scaled to unit norm; features ``x_i = mu_{y_i} + noise * N(0, I)``.
  With the default noise the features alone are weak and neighbours help: a GNN beats an MLP.
- **Smoothed latent factors** (multi-label): the same SBM with 4 communities; each node draws
  ``z_i ~ N(m_{c_i}, I_8)``; ``z`` is averaged over each node's closed neighbourhood once;
  label ``t`` is ``1[z_i . w_t > 0]`` with ``w_t ~ N(0, I_8)``; features are a random linear
  map of the unsmoothed ``z`` plus noise.
- **Planted cliques** (graph classification): Erdos-Renyi graphs with ``n ~ U{12..30}`` nodes
  and edge probability ``p ~ U(0.1, 0.2)``; in half of them, chosen at random, a clique on
  ``k`` random nodes is added. Node features are the constant 1 (structure alone decides).
- **Triangle density** (graph regression): Erdos-Renyi graphs with ``n ~ U{8..24}``,
  ``p ~ U(0.1, 0.4)``; target = number of triangles / n. Node features are the constant 1.
- **Link SBM** (link prediction): the contextual SBM with 4 communities; 5% of the edges are
  held out for validation and 10% for test (PyG's ``RandomLinkSplit``), each with as many
  random non-edges as negatives; message passing uses the training edges only.
- **Community pairs** (edge multi-label): the contextual SBM; each edge ``{u, v}`` is an item
  with one binary label per community, 1 where ``u`` or ``v`` belongs to it; 70/10/20 of the
  edges are split at random and messages pass over the training edges only.
- **Typed graphs** (graph classification on categorical features): Erdos-Renyi graphs with
  ``n ~ U{8..20}``, ``p ~ U(0.15, 0.3)``; every node has two integer codes (a type in 0..4 and
  a charge in 0..2), every undirected edge one (a bond type in 0..2, the same both ways). In
  half of the graphs, chosen at random, one edge is made a type-2 bond between two type-0
  nodes; in the others no such bond is left (those bonds become type 0). The label says
  whether the graph has one: it depends on the codes as categories, not as numbers.
- **Link ranking SBM** (link ranking): the same graph; 5% of the edges are held out for
  validation and 10% for test; every endpoint of a held-out edge is a query that ranks all
  nodes, its own training (and, for test, validation) edges left out.
"""

from __future__ import annotations

import torch
from torch_geometric.data import Data
from torch_geometric.utils import erdos_renyi_graph, stochastic_blockmodel_graph, to_undirected

from harness_synthetic.codes import TYPED_CODES


def _fixed_rng(seed: int):
    """Run PyG's generators (which draw from torch's global RNG) under a fixed seed without
    disturbing the caller's random state."""
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    return state


def sbm(num_nodes: int, num_blocks: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    sizes = [num_nodes // num_blocks + (1 if b < num_nodes % num_blocks else 0) for b in range(num_blocks)]
    block = num_nodes / num_blocks
    # Expected degree: 8 neighbours in the node's own block, 2 outside it (homophily 0.8).
    p_in, p_out = min(1.0, 8 / block), min(1.0, 2 / (num_nodes - block))
    probs = torch.full((num_blocks, num_blocks), p_out)
    probs.fill_diagonal_(p_in)
    state = _fixed_rng(seed)
    try:
        edge_index = stochastic_blockmodel_graph(sizes, probs, directed=False)
    finally:
        torch.random.set_rng_state(state)
    blocks = torch.cat([torch.full((size,), b) for b, size in enumerate(sizes)])
    return edge_index, blocks


def class_features(labels: torch.Tensor, num_classes: int, dim: int, noise: float, generator) -> torch.Tensor:
    means = torch.randn(num_classes, dim, generator=generator)
    means = means / means.norm(dim=1, keepdim=True)
    return means[labels] + noise * torch.randn(len(labels), dim, generator=generator)


def contextual_sbm(num_nodes, num_classes, dim, noise, seed) -> Data:
    generator = torch.Generator().manual_seed(seed)
    edge_index, labels = sbm(num_nodes, num_classes, seed)
    x = class_features(labels, num_classes, dim, noise, generator)
    return Data(x=x, edge_index=edge_index, y=labels, num_nodes=num_nodes)


def smoothed_latent_labels(num_nodes, num_labels, dim, noise, seed) -> Data:
    generator = torch.Generator().manual_seed(seed)
    edge_index, blocks = sbm(num_nodes, 4, seed)
    centres = 1.5 * torch.randn(4, 8, generator=generator)
    z = centres[blocks] + torch.randn(num_nodes, 8, generator=generator)
    degree = torch.ones(num_nodes).index_add_(0, edge_index[0], torch.ones(edge_index.size(1)))
    smoothed = z.clone().index_add_(0, edge_index[0], z[edge_index[1]]) / degree.unsqueeze(1)
    weights = torch.randn(8, num_labels, generator=generator)
    y = (smoothed @ weights > 0).float()
    projection = torch.randn(8, dim, generator=generator) / 8**0.5
    x = z @ projection + noise * torch.randn(num_nodes, dim, generator=generator)
    return Data(x=x, edge_index=edge_index, y=y, num_nodes=num_nodes)


def _er_graph(num_nodes: int, p: float, seed: int) -> torch.Tensor:
    state = _fixed_rng(seed)
    try:
        return erdos_renyi_graph(num_nodes, p)
    finally:
        torch.random.set_rng_state(state)


def _er_graphs(num_graphs: int, sizes: tuple[int, int], density: tuple[float, float], seed: int, generator):
    """``num_graphs`` Erdos-Renyi graphs ``(n, edge_index)``, n uniform in ``sizes`` (both ends
    included) and p = ``low + span * U(0, 1)`` for ``density = (low, span)``, drawn from ``generator`` one graph at a time (so a
    caller may draw more from it between graphs); each graph's edges come from its own seed."""
    for index in range(num_graphs):
        n = int(torch.randint(sizes[0], sizes[1] + 1, (1,), generator=generator))
        low, span = density
        p = float(low + span * torch.rand(1, generator=generator))
        yield n, _er_graph(n, p, seed * 1_000_003 + index)


def planted_cliques(num_graphs, clique_size, seed) -> list[Data]:
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for n, edge_index in _er_graphs(num_graphs, (12, 30), (0.1, 0.1), seed, generator):
        has_clique = bool(torch.rand(1, generator=generator) < 0.5)
        if has_clique:
            members = torch.randperm(n, generator=generator)[:clique_size]
            pairs = torch.combinations(members, 2).t()
            edge_index = torch.cat([edge_index, to_undirected(pairs)], dim=1).unique(dim=1)
        y = torch.tensor([[float(has_clique)]])
        graphs.append(Data(x=torch.ones(n, 1), edge_index=edge_index, y=y, num_nodes=n))
    return graphs


def triangle_density(num_graphs, seed) -> list[Data]:
    graphs = []
    for n, edge_index in _er_graphs(num_graphs, (8, 24), (0.1, 0.3), seed, torch.Generator().manual_seed(seed)):
        adjacency = torch.zeros(n, n)
        adjacency[edge_index[0], edge_index[1]] = 1.0
        triangles = torch.trace(adjacency @ adjacency @ adjacency) / 6
        graphs.append(Data(x=torch.ones(n, 1), edge_index=edge_index, y=torch.tensor([[float(triangles) / n]]), num_nodes=n))
    return graphs


def typed_graphs(num_graphs, seed) -> list[Data]:
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for n, edge_index in _er_graphs(num_graphs, (8, 20), (0.15, 0.15), seed, generator):
        pairs = edge_index[:, edge_index[0] < edge_index[1]]
        x = torch.stack([torch.randint(size, (n,), generator=generator) for size in TYPED_CODES.node], dim=1)
        bonds = torch.randint(TYPED_CODES.edge[0], (pairs.size(1),), generator=generator)
        wanted = bool(torch.rand(1, generator=generator) < 0.5)
        if wanted and pairs.size(1):
            chosen = int(torch.randint(pairs.size(1), (1,), generator=generator))
            x[pairs[:, chosen], 0] = 0
            bonds[chosen] = 2
        marked = (x[pairs[0], 0] == 0) & (x[pairs[1], 0] == 0) & (bonds == 2)
        if not wanted:
            bonds[marked] = 0
        label = float(bool(marked.any()) and wanted)
        edge_attr = torch.cat([bonds, bonds]).unsqueeze(1)
        graphs.append(Data(x=x, edge_index=torch.cat([pairs, pairs.flip(0)], dim=1), edge_attr=edge_attr, y=torch.tensor([[label]]), num_nodes=n))
    return graphs


#: one word list per class topic, and the filler words every text shares
TOPICS = (
    ("protein", "enzyme", "cell", "gene", "membrane", "binding", "molecule", "receptor"),
    ("galaxy", "planet", "orbit", "telescope", "star", "comet", "nebula", "asteroid"),
    ("market", "price", "stock", "trade", "bank", "inflation", "profit", "currency"),
    ("football", "goal", "team", "match", "coach", "league", "stadium", "player"),
    ("violin", "melody", "concert", "guitar", "rhythm", "choir", "symphony", "drum"),
    ("volcano", "glacier", "river", "desert", "canyon", "earthquake", "coast", "forest"),
)
FILLER = ("the", "study", "new", "report", "about", "a", "recent", "analysis", "of", "with", "and", "results", "method", "data", "several", "notes")


def topic_texts(labels: torch.Tensor, words: int, topic_share: float, generator) -> list[str]:
    """One text per node: ``words`` words, each from the node's class topic with probability
    ``topic_share``, else from the shared filler words."""
    texts = []
    for label in labels.tolist():
        topical = torch.rand(words, generator=generator) < topic_share
        topic, filler = TOPICS[label], FILLER
        picks = [topic[int(torch.randint(len(topic), (1,), generator=generator))] if is_topic else filler[int(torch.randint(len(filler), (1,), generator=generator))] for is_topic in topical.tolist()]
        texts.append(" ".join(picks))
    return texts


def text_attributed_sbm(num_nodes, num_classes, words, topic_share, seed) -> tuple[Data, list[str]]:
    """A homophilous block graph whose nodes carry short topical texts and no features (a
    constant column): the text is the only attribute, as in text-attributed graphs."""
    if num_classes > len(TOPICS):
        raise ValueError(f"synthetic-text has {len(TOPICS)} topics; num_classes must be at most {len(TOPICS)}")
    generator = torch.Generator().manual_seed(seed)
    edge_index, labels = sbm(num_nodes, num_classes, seed)
    texts = topic_texts(labels, words, topic_share, generator)
    return Data(x=torch.ones(num_nodes, 1), edge_index=edge_index, y=labels, num_nodes=num_nodes), texts
