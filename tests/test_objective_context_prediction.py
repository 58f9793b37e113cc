"""Context prediction (harness.objectives.context_prediction): the substructure, context and anchor
sets of hand-built molecules, which molecules are left out, that negatives come from another
molecule, and that training lowers the loss."""

import math
from collections import deque

import pytest
import torch
from helpers.molecule_graphs import (
    TinyMolGIN,
    TypeOneHot,
    loss_before_and_after_training,
    molecule,
    one_parameter_grads_nonzero,
    one_torch_thread,  # noqa: F401 (an autouse fixture)
    path_bonds,
    random_batch,
)
from torch_geometric.data import Batch

from harness.objectives.context_prediction import UNREACHED, ContextPrediction, extract_context_pairs
from harness.objectives.contrast import NotEnoughGraphs, shifted_by_one

PATH = molecule(path_bonds(10))  # 0 - 1 - ... - 9
# A six-ring 0..5 with the branch 0 - 6 - 7.
RING_WITH_BRANCH = molecule([(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0), (0, 6), (6, 7)])


def local_sets(batch, pairs, graph):
    """The root and the three node sets of one molecule, as local atom indices."""
    offset = int(batch.ptr[graph])

    def of_graph(nodes):
        return sorted((nodes[batch.batch[nodes] == graph] - offset).tolist())

    root, = of_graph(pairs.roots)
    return root, of_graph(pairs.substructure), of_graph(pairs.context), of_graph(pairs.anchors)


def extract(molecules, roots, num_layers, r1, r2):
    batch = Batch.from_data_list(molecules)
    global_roots = torch.tensor(roots) + batch.ptr[:-1]
    return batch, extract_context_pairs(batch.edge_index, batch.batch, batch.num_graphs, num_layers, r1, r2, roots=global_roots)


def test_the_sets_of_a_path_rooted_at_an_end_and_in_the_middle():
    batch, pairs = extract([PATH, PATH], roots=[0, 4], num_layers=2, r1=1, r2=4)
    assert local_sets(batch, pairs, 0) == (0, [0, 1, 2], [2, 3, 4], [2])
    assert local_sets(batch, pairs, 1) == (4, [2, 3, 4, 5, 6], [0, 1, 2, 6, 7, 8], [2, 6])
    assert pairs.distance[:10].tolist() == [0, 1, 2, 3, 4] + [UNREACHED] * 5  # the search stops at r2


def test_the_sets_of_a_ring_with_a_branch():
    batch, pairs = extract([RING_WITH_BRANCH, RING_WITH_BRANCH], roots=[7, 3], num_layers=2, r1=1, r2=4)
    # From the branch's tip: 6 at 1 hop, 0 at 2, 1 and 5 at 3, 2 and 4 at 4, 3 at 5.
    assert local_sets(batch, pairs, 0) == (7, [0, 6, 7], [0, 1, 2, 4, 5], [0])
    assert local_sets(batch, pairs, 1) == (3, [1, 2, 3, 4, 5], [0, 1, 5, 6], [1, 5])


def test_the_default_radii_are_hu_et_al_s():
    objective = ContextPrediction(16, num_layers=3, context_gnn=TinyMolGIN(16, 3))
    assert (objective.r1, objective.r2) == (2, 5)
    batch = Batch.from_data_list([RING_WITH_BRANCH, RING_WITH_BRANCH])
    pairs = extract_context_pairs(batch.edge_index, batch.batch, 2, 3, objective.r1, objective.r2, roots=torch.tensor([3, 11]))
    # From atom 3: 2 and 4 at 1 hop, 1 and 5 at 2, 0 at 3, 6 at 4, 7 at 5.
    assert local_sets(batch, pairs, 0) == (3, [0, 1, 2, 3, 4, 5], [0, 6, 7], [0])
    assert ContextPrediction(16, num_layers=5, context_gnn=TinyMolGIN(16, 3)).r2 == 7


def test_molecules_without_context_are_left_out():
    short = molecule(path_bonds(2))
    batch, pairs = extract([PATH, short, PATH], roots=[0, 0, 9], num_layers=2, r1=1, r2=4)
    assert pairs.graphs.tolist() == [0, 2]  # no atom of the 2-atom molecule is 2 hops from the root
    assert (batch.batch[pairs.substructure] != 1).all() and (batch.batch[pairs.context] != 1).all()
    assert pairs.roots.tolist() == [0, 12 + 9]


def test_roots_are_drawn_uniformly_within_each_molecule():
    torch.manual_seed(0)
    batch = Batch.from_data_list([molecule(path_bonds(4)), molecule(path_bonds(4))])
    counts = torch.zeros(8)
    for _ in range(2000):
        pairs = extract_context_pairs(batch.edge_index, batch.batch, 2, 1, 0, 3)  # every atom's context is non-empty
        counts[pairs.roots] += 1
    assert torch.allclose(counts / 2000, torch.full((8,), 0.25), atol=0.04)


def test_negatives_pair_a_root_with_the_context_of_another_molecule():
    # Every atom of molecule i has type i: a root and a context score +20 when they come from the
    # same molecule, -20 otherwise. The loss is near 0 only if no negative is a root's own context.
    molecules = [molecule(path_bonds(9), atom_type=index) for index in range(5)]
    batch = Batch.from_data_list(molecules)
    objective = ContextPrediction(5, num_layers=2, context_gnn=TypeOneHot(1.0, 0.5, 5))
    loss = objective.loss(TypeOneHot(40.0, 0.0, 5), batch)
    assert loss < 1e-3
    assert all(partner != index for index, partner in enumerate(shifted_by_one(5).tolist()))


def test_fewer_than_two_usable_molecules_are_refused():
    objective = ContextPrediction(16, num_layers=2, context_gnn=TinyMolGIN(16, 3))
    lone = Batch.from_data_list([PATH, molecule(path_bonds(2))])  # the 2-atom molecule never has a context
    with pytest.raises(NotEnoughGraphs, match="two molecules"):
        objective.loss(TinyMolGIN(16, 2), lone)


def test_the_embedding_width_is_checked():
    objective = ContextPrediction(32, num_layers=2, context_gnn=TinyMolGIN(16, 3))
    with pytest.raises(ValueError, match="width 32"):
        objective.loss(TinyMolGIN(16, 2), Batch.from_data_list([PATH, PATH]))


def test_radii_that_leave_no_anchor_are_refused():
    with pytest.raises(ValueError, match="r1"):
        ContextPrediction(16, num_layers=2, context_gnn=TinyMolGIN(16, 3), r1=2)


def test_training_lowers_the_loss_below_chance_and_both_gnns_get_gradients():
    torch.manual_seed(0)
    batch = random_batch([14, 16, 18, 20])
    gnn, objective = TinyMolGIN(16, 2), ContextPrediction(16, num_layers=2, context_gnn=TinyMolGIN(16, 3))
    objective.loss(gnn, batch).backward()
    assert one_parameter_grads_nonzero(gnn) and one_parameter_grads_nonzero(objective)
    before, after = loss_before_and_after_training(objective, gnn, batch, steps=200)
    chance = 2 * math.log(2)  # both terms at logit 0
    assert after < 0.85 * before and after < chance - 0.05


def breadth_first_distances(edge_index, root: int) -> dict[int, int]:
    """Hop distance of every node reachable from ``root``, one node at a time."""
    neighbours: dict[int, list[int]] = {}
    for u, v in edge_index.T.tolist():
        neighbours.setdefault(u, []).append(v)
    distance, queue = {root: 0}, deque([root])
    while queue:
        node = queue.popleft()
        for neighbour in neighbours.get(node, []):
            if neighbour not in distance:
                distance[neighbour] = distance[node] + 1
                queue.append(neighbour)
    return distance


def test_the_sets_match_a_plain_breadth_first_search_on_random_molecules():
    torch.manual_seed(1)
    batch = random_batch([int(size) for size in torch.randint(2, 35, (40,))])
    num_layers, r1, r2 = 3, 2, 5
    pairs = extract_context_pairs(batch.edge_index, batch.batch, batch.num_graphs, num_layers, r1, r2)
    kept = set(pairs.graphs.tolist())
    expected = {"substructure": set(), "context": set(), "anchors": set()}
    for graph, root in enumerate(roots_of_every_molecule(pairs)):
        distance = breadth_first_distances(batch.edge_index, root)
        context = {node for node, hops in distance.items() if r1 < hops <= r2}
        anchors = {node for node in context if distance[node] <= num_layers}
        assert (graph in kept) == bool(context and anchors)
        if graph in kept:
            expected["substructure"] |= {node for node, hops in distance.items() if hops <= num_layers}
            expected["context"] |= context
            expected["anchors"] |= anchors
    assert set(pairs.substructure.tolist()) == expected["substructure"]
    assert set(pairs.context.tolist()) == expected["context"]
    assert set(pairs.anchors.tolist()) == expected["anchors"]
    assert 0 < len(kept) < batch.num_graphs  # both cases occur


def roots_of_every_molecule(pairs) -> list[int]:
    """Every molecule's root, kept or not: the atom at distance 0."""
    return torch.nonzero(pairs.distance == 0).flatten().tolist()
