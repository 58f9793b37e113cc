"""Attribute masking (harness.objectives.attribute_masking): how many atoms are masked and which,
what the gnn sees, what is predicted, and that training lowers the loss."""

import math

import pytest
import torch
from helpers.molecule_graphs import (
    ATOM_TYPES,
    MASK_ATOM,
    SpyGNN,
    TinyMolGIN,
    loss_before_and_after_training,
    one_parameter_grads_nonzero,
    one_torch_thread,  # noqa: F401 (an autouse fixture)
    random_batch,
)
from torch.nn import functional as F

from harness.objectives.attribute_masking import AttributeMasking, choose_masked

SIZES = [1, 2, 6, 7, 13, 20, 27, 40]


def masking(width: int = 8) -> AttributeMasking:
    return AttributeMasking(width, num_classes=ATOM_TYPES, mask_node=(MASK_ATOM, 0))


def per_graph(batch_vector, chosen, num_graphs):
    return torch.bincount(batch_vector[chosen], minlength=num_graphs).tolist()


@pytest.mark.parametrize("seed", range(3))
def test_floor_of_rate_times_n_plus_one_distinct_atoms_per_molecule(seed):
    torch.manual_seed(seed)
    batch = random_batch(SIZES)
    chosen = choose_masked(batch.batch, 0.15)
    assert per_graph(batch.batch, chosen, len(SIZES)) == [math.floor(0.15 * n) + 1 for n in SIZES]
    assert chosen.unique().numel() == chosen.numel()


def test_the_count_is_capped_at_the_molecule_size_and_at_least_one():
    batch = random_batch(SIZES)
    assert per_graph(batch.batch, choose_masked(batch.batch, 1.0), len(SIZES)) == SIZES
    assert per_graph(batch.batch, choose_masked(batch.batch, 0.0), len(SIZES)) == [1] * len(SIZES)
    with pytest.raises(ValueError, match="mask rate"):
        choose_masked(batch.batch, 1.5)


def test_every_atom_is_equally_likely_to_be_masked():
    torch.manual_seed(0)
    vector = torch.tensor([0] * 7 + [1] * 3)  # 7 atoms: 2 masked each time; 3 atoms: 1
    draws = 3000
    counts = torch.zeros(10)
    for _ in range(draws):
        counts[choose_masked(vector, 0.15)] += 1
    assert torch.allclose(counts[:7] / draws, torch.full((7,), 2 / 7), atol=0.03)
    assert torch.allclose(counts[7:] / draws, torch.full((3,), 1 / 3), atol=0.03)


def test_a_generator_makes_the_choice_reproducible():
    vector = random_batch(SIZES).batch
    first = choose_masked(vector, 0.15, torch.Generator().manual_seed(5))
    assert torch.equal(first, choose_masked(vector, 0.15, torch.Generator().manual_seed(5)))


def test_the_gnn_sees_the_mask_token_on_exactly_the_masked_rows_and_the_targets_are_the_original_types():
    torch.manual_seed(0)
    batch = random_batch(SIZES)
    objective, spy = masking(), SpyGNN(8)
    loss = objective.loss(spy, batch, generator=torch.Generator().manual_seed(3))

    expected_masked = choose_masked(batch.batch, 0.15, torch.Generator().manual_seed(3))
    (seen_x, seen_edge_index, seen_edge_attr), = spy.calls
    masked_rows = torch.nonzero((seen_x != batch.x).any(dim=1)).flatten()
    assert torch.equal(masked_rows, expected_masked)
    assert (seen_x[expected_masked] == torch.tensor([MASK_ATOM, 0])).all()
    assert torch.equal(seen_edge_index, batch.edge_index) and torch.equal(seen_edge_attr, batch.edge_attr)

    logits = objective.head(spy.outputs[0][expected_masked])
    assert torch.allclose(loss, F.cross_entropy(logits, batch.x[expected_masked, 0]))
    assert not torch.allclose(loss, F.cross_entropy(logits, batch.x[expected_masked, 1]))


def test_the_input_batch_is_not_modified():
    batch = random_batch(SIZES)
    x, edge_index, edge_attr = batch.x.clone(), batch.edge_index.clone(), batch.edge_attr.clone()
    masking().loss(SpyGNN(8), batch)
    assert torch.equal(batch.x, x) and torch.equal(batch.edge_index, edge_index) and torch.equal(batch.edge_attr, edge_attr)


def test_a_mask_token_of_the_wrong_width_and_out_of_range_targets_are_refused():
    batch = random_batch([5, 6])
    with pytest.raises(ValueError, match="columns"):
        AttributeMasking(8, ATOM_TYPES, mask_node=(MASK_ATOM, 0, 0), column=0).loss(SpyGNN(8), batch)
    with pytest.raises(ValueError, match="outside"):
        AttributeMasking(8, 2, mask_node=(MASK_ATOM, 0)).loss(SpyGNN(8), random_batch([40, 40]))


def test_training_lowers_the_loss_and_both_parts_get_gradients():
    torch.manual_seed(0)
    batch = random_batch([9, 12, 15, 20])
    gnn, objective = TinyMolGIN(16), masking(16)
    objective.loss(gnn, batch).backward()
    assert one_parameter_grads_nonzero(gnn)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in objective.parameters())
    before, after = loss_before_and_after_training(objective, gnn, batch)
    assert after < 0.7 * before
