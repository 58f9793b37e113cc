"""Every objective of harness.objectives gives its loss per example (``per_example``), for
weighting examples one by one (AUX-TS): one term per masked atom or node, or per scored pair, and
for the same random draws their mean is ``loss`` itself; ``loss`` is what it was."""

import pytest
import torch
from helpers.molecule_graphs import (
    ATOM_TYPES,
    MASK_ATOM,
    TinyMolGIN,
    one_torch_thread,  # noqa: F401 (an autouse fixture)
    random_batch,
)
from torch_geometric.data import Data

from harness.objectives.attribute_masking import AttributeMasking, choose_masked
from harness.objectives.context_prediction import ContextPrediction
from harness.objectives.contrast import binary_contrast_loss, binary_contrast_terms
from harness.objectives.edge_prediction import EdgePrediction, undirected_bonds
from harness.objectives.feature_reconstruction import FeatureReconstruction
from harness.objectives.infomax import Infomax


def _objectives():
    return {
        "attribute masking": AttributeMasking(16, ATOM_TYPES, mask_node=(MASK_ATOM, 0)),
        "context prediction": ContextPrediction(16, num_layers=2, context_gnn=TinyMolGIN(16, 3)),
        "edge prediction": EdgePrediction(),
        "infomax": Infomax(16),
    }


def _per_example_and_loss(objective, gnn, batch, seed=3):
    torch.manual_seed(seed)  # dropout-free, but the gnn's draws and the objective's come from here
    terms = objective.per_example(gnn, batch, generator=torch.Generator().manual_seed(seed))
    loss = objective.loss(gnn, batch, generator=torch.Generator().manual_seed(seed))
    return terms, loss


@pytest.mark.parametrize("name", list(_objectives()))
def test_the_mean_of_the_terms_is_the_loss(name):
    torch.manual_seed(0)
    batch, gnn = random_batch([7, 9, 12, 15]), TinyMolGIN(16)
    terms, loss = _per_example_and_loss(_objectives()[name], gnn, batch)
    assert terms.dim() == 1 and terms.numel() > 1
    assert torch.allclose(terms.mean(), loss)
    terms.sum().backward()  # differentiable, example by example
    assert any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in gnn.parameters())


def test_one_term_per_masked_atom_and_per_scored_pair():
    torch.manual_seed(0)
    batch, gnn = random_batch([7, 9, 12, 15]), TinyMolGIN(16)
    objectives = _objectives()
    masked = choose_masked(batch.batch, 0.15, torch.Generator().manual_seed(1), num_graphs=batch.num_graphs)
    assert objectives["attribute masking"].per_example(gnn, batch, torch.Generator().manual_seed(1)).numel() == masked.numel()
    bonds = undirected_bonds(batch.edge_index).size(1)
    assert objectives["edge prediction"].per_example(gnn, batch).numel() == 2 * bonds  # every graph has non-bonds
    assert objectives["infomax"].per_example(gnn, batch).numel() == 2 * batch.num_nodes
    assert objectives["context prediction"].per_example(gnn, batch).numel() == 2 * batch.num_graphs


def test_contrast_terms_weigh_each_side_by_its_share():
    positive, negative = torch.randn(3), torch.randn(5)
    terms = binary_contrast_terms(positive, negative)
    assert terms.numel() == 8 and torch.allclose(terms.mean(), binary_contrast_loss(positive, negative))
    assert binary_contrast_terms(positive, negative[:0]).numel() == 3
    assert binary_contrast_terms(positive[:0], negative[:0]).numel() == 0


def test_the_loss_of_a_single_graph_is_unchanged_by_the_split_into_terms():
    """EdgePrediction on one citation-like graph, as an auxiliary link task uses it."""
    torch.manual_seed(0)
    graph = Data(x=torch.randn(50, 6), edge_index=torch.randint(50, (2, 120)))
    gnn = torch.nn.Linear(6, 8)
    terms, loss = _per_example_and_loss(EdgePrediction(), lambda x, edge_index, edge_attr: gnn(x), graph)
    assert torch.allclose(terms.mean(), loss)
    assert FeatureReconstruction(8, 6).per_example(lambda x, edge_index, edge_attr: gnn(x), graph).numel() == 50 * 15 // 100 + 1
