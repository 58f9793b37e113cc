"""Infomax on graph batches (harness.objectives.infomax): summaries, negatives from another graph,
a single graph refused, and training lowers the loss."""

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

from harness.objectives.contrast import NotEnoughGraphs
from harness.objectives.infomax import Infomax, graph_summaries


def test_a_summary_is_the_sigmoid_of_the_graph_mean():
    embeddings = torch.tensor([[1.0, -2.0], [3.0, 0.0], [-4.0, 4.0]])
    summaries = graph_summaries(embeddings, torch.tensor([0, 0, 1]), 2)
    assert torch.allclose(summaries, torch.sigmoid(torch.tensor([[2.0, -1.0], [-4.0, 4.0]])))


def test_negatives_use_another_graph_s_summary():
    # Molecule i's atoms all have type i and embed as 40 * (e_i - 1/2): its summary is about e_i,
    # so with W = I a node scores +20 against its own graph's summary and -20 against another's.
    # The loss is near 0 only if no negative uses the node's own graph.
    batch = Batch.from_data_list([molecule(path_bonds(3 + index), atom_type=index) for index in range(4)])
    objective = Infomax(4)
    with torch.no_grad():
        objective.weight.copy_(torch.eye(4))
    assert objective.loss(TypeOneHot(40.0, 0.5, 4), batch) < 1e-3


def test_a_single_graph_is_refused():
    one = molecule(path_bonds(5))
    for batch in (Batch.from_data_list([one]), one):
        with pytest.raises(NotEnoughGraphs, match="at least 2 graphs"):
            Infomax(8).loss(TinyMolGIN(8), batch)


def test_training_lowers_the_loss_and_both_parts_get_gradients():
    torch.manual_seed(0)
    batch = random_batch([8, 11, 14, 17, 20])
    gnn, objective = TinyMolGIN(16), Infomax(16)
    objective.loss(gnn, batch).backward()
    assert one_parameter_grads_nonzero(gnn) and objective.weight.grad.abs().sum() > 0
    before, after = loss_before_and_after_training(objective, gnn, batch)
    assert after < 0.5 * before
