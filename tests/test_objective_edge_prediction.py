"""Edge prediction (harness.objectives.edge_prediction): positives are the bonds, once each;
negatives are non-bonded pairs of one molecule, as many as it has bonds; a single graph works;
training lowers the loss."""

import pytest
import torch
from helpers.citation_gcn import CitationGCN
from helpers.molecule_graphs import (
    SpyGNN,
    TinyMolGIN,
    loss_before_and_after_training,
    molecule,
    one_parameter_grads_nonzero,
    one_torch_thread,  # noqa: F401 (an autouse fixture)
    path_bonds,
    random_batch,
)
from torch_geometric.data import Batch, Data

from harness.objectives.contrast import binary_contrast_loss, dot_scores
from harness.objectives.edge_prediction import EdgePrediction, sample_non_bonds, undirected_bonds

THREE_RING = molecule([(0, 1), (1, 2), (2, 0)])  # every pair bonded: no negative possible


def bond_set(batch) -> set[tuple[int, int]]:
    return {(min(u, v), max(u, v)) for u, v in batch.edge_index.T.tolist()}


def test_each_bond_is_a_positive_once_whatever_the_edge_order():
    edge_index = torch.tensor([[0, 1, 2, 1, 2, 3, 3, 0, 3], [1, 0, 1, 2, 3, 2, 3, 3, 0]])  # a self-loop, a duplicate
    assert undirected_bonds(edge_index).T.tolist() == [[0, 1], [0, 3], [1, 2], [2, 3]]


@pytest.mark.parametrize("seed", range(5))
def test_negatives_are_non_bonds_of_one_molecule_as_many_as_its_bonds(seed):
    torch.manual_seed(seed)
    batch = Batch.from_data_list([*random_batch([4, 7, 12, 25]).to_data_list(), THREE_RING, molecule(path_bonds(2))])
    bonds = undirected_bonds(batch.edge_index)
    negatives = sample_non_bonds(bonds, batch.batch, batch.num_graphs)
    u, v = negatives
    assert (u < v).all() and (batch.batch[u] == batch.batch[v]).all()
    assert not set(map(tuple, negatives.T.tolist())) & bond_set(batch)
    per_graph = torch.bincount(batch.batch[u], minlength=batch.num_graphs)
    bonds_per_graph = torch.bincount(batch.batch[bonds[0]], minlength=batch.num_graphs)
    assert per_graph[:4].tolist() == bonds_per_graph[:4].tolist()
    assert per_graph[4:].tolist() == [0, 0]  # the three-ring and the two-atom molecule are complete


def test_negatives_are_uniform_over_the_non_bonded_pairs():
    torch.manual_seed(0)
    path = molecule(path_bonds(4))  # non-bonded: (0, 2), (1, 3), (0, 3)
    bonds = undirected_bonds(path.edge_index)
    drawn = torch.cat([sample_non_bonds(bonds, torch.zeros(4, dtype=torch.long), 1) for _ in range(1000)], dim=1)
    counts = {pair: drawn.T.tolist().count(list(pair)) / drawn.size(1) for pair in [(0, 2), (1, 3), (0, 3)]}
    assert sum(counts.values()) == 1.0
    assert all(abs(share - 1 / 3) < 0.03 for share in counts.values())


def test_the_loss_scores_bonds_against_the_sampled_non_bonds():
    torch.manual_seed(0)
    batch = random_batch([6, 9, 13])
    spy = SpyGNN(8)
    loss = EdgePrediction().loss(spy, batch, generator=torch.Generator().manual_seed(2))
    embeddings, = spy.outputs
    bonds = undirected_bonds(batch.edge_index)
    negatives = sample_non_bonds(bonds, batch.batch, batch.num_graphs, torch.Generator().manual_seed(2))
    expected = binary_contrast_loss(dot_scores(embeddings[bonds[0]], embeddings[bonds[1]]),
                                    dot_scores(embeddings[negatives[0]], embeddings[negatives[1]]))
    assert torch.allclose(loss, expected)


def test_a_single_graph_without_batch_vector_works_and_training_lowers_the_loss():
    torch.manual_seed(0)
    citations = Data(x=torch.randn(300, 12), edge_index=torch.randint(300, (2, 900)))
    assert citations.edge_attr is None and getattr(citations, "batch", None) is None
    bonds = undirected_bonds(citations.edge_index)
    assert sample_non_bonds(bonds, torch.zeros(300, dtype=torch.long), 1).size(1) == bonds.size(1)
    gnn, objective = CitationGCN(12, 16), EdgePrediction()
    before, after = loss_before_and_after_training(objective, gnn, citations)
    assert after < 0.8 * before


def test_training_on_molecules_lowers_the_loss_and_the_gnn_gets_gradients():
    torch.manual_seed(0)
    batch = random_batch([8, 11, 14, 17, 20])
    gnn, objective = TinyMolGIN(16), EdgePrediction()
    assert not list(objective.parameters())
    objective.loss(gnn, batch).backward()
    assert one_parameter_grads_nonzero(gnn)
    before, after = loss_before_and_after_training(objective, gnn, batch)
    assert after < 0.6 * before


def test_graphs_without_bonds_or_without_non_bonds_are_refused():
    with pytest.raises(ValueError, match="at least one edge"):
        EdgePrediction().loss(SpyGNN(4), Batch.from_data_list([Data(x=torch.zeros(3, 2, dtype=torch.long),
                                                                    edge_index=torch.zeros(2, 0, dtype=torch.long))]))
    with pytest.raises(ValueError, match="complete"):
        EdgePrediction().loss(SpyGNN(4), Batch.from_data_list([THREE_RING, THREE_RING]))
