"""Feature reconstruction (harness.objectives.feature_reconstruction): floor(rate n) + 1 nodes per
graph get the mean feature row, the gnn runs on that copy, a linear decoder gives their rows back
(squared distance per node); single graphs and batches work; training lowers the loss."""

import pytest
import torch
from helpers.citation_gcn import CitationGCN
from helpers.molecule_graphs import SpyGNN, loss_before_and_after_training, one_torch_thread  # noqa: F401
from torch_geometric.data import Batch, Data

from harness.objectives.attribute_masking import choose_masked
from harness.objectives.feature_reconstruction import FeatureReconstruction


def _graph(nodes: int = 40, features: int = 6) -> Data:
    return Data(x=torch.rand(nodes, features), edge_index=torch.randint(nodes, (2, 3 * nodes)))


def test_masked_rows_get_the_mean_row_and_the_batch_is_untouched():
    torch.manual_seed(0)
    graph = _graph()
    original = graph.x.clone()
    spy = SpyGNN(8)
    objective = FeatureReconstruction(8, 6, rate=0.25)
    terms = objective.per_example(spy, graph, generator=torch.Generator().manual_seed(4))
    masked = choose_masked(torch.zeros(40, dtype=torch.long), 0.25, torch.Generator().manual_seed(4), num_graphs=1)
    (x, edge_index, edge_attr), = spy.calls
    assert torch.equal(graph.x, original) and edge_attr is None and torch.equal(edge_index, graph.edge_index)
    assert torch.allclose(x[masked], original.mean(0).expand(masked.numel(), -1))
    kept = torch.ones(40, dtype=torch.bool)
    kept[masked] = False
    assert torch.equal(x[kept], original[kept])
    decoded = objective.decoder(spy.outputs[0][masked])
    assert terms.shape == (10 + 1,) and torch.allclose(terms, (decoded - original[masked]).pow(2).sum(-1))


def test_the_loss_is_the_mean_of_the_terms_and_batches_mask_per_graph():
    torch.manual_seed(0)
    batch = Batch.from_data_list([_graph(10), _graph(20), _graph(30)])
    objective = FeatureReconstruction(8, 6)
    gnn = SpyGNN(8)
    terms = objective.per_example(gnn, batch, generator=torch.Generator().manual_seed(1))
    assert terms.numel() == (1 + 1) + (3 + 1) + (4 + 1)
    torch.manual_seed(5)
    first = objective.per_example(SpyGNN(8), batch, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(5)
    assert torch.allclose(objective.loss(SpyGNN(8), batch, generator=torch.Generator().manual_seed(1)), first.mean())


def test_training_lowers_the_loss():
    torch.manual_seed(0)
    graph = _graph(200, 12)
    before, after = loss_before_and_after_training(FeatureReconstruction(16, 12, rate=0.3), CitationGCN(12, 16), graph, steps=150)
    assert after < 0.5 * before


def test_integer_codes_and_bad_rates_are_refused():
    with pytest.raises(ValueError, match="float rows"):
        FeatureReconstruction(8, 2).loss(SpyGNN(8), Data(x=torch.zeros(5, 2, dtype=torch.long), edge_index=torch.zeros(2, 0, dtype=torch.long)))
    with pytest.raises(ValueError, match="fraction"):
        FeatureReconstruction(8, 2, rate=1.5)
