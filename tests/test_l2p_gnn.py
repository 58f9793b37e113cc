"""L2P-GNN's meta objective on a tiny GIN with edge features and BatchNorm, in float64: the inner
steps lower the support losses, leave the module's parameters alone and update BatchNorm's
running statistics once; the second-order meta-gradient equals central finite differences (and
the first-order one does not); Adam on the meta loss lowers it; tiny molecules run."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch_geometric.data import Batch, Data

from harness_pretraining.l2p_gnn import L2PGNN
from harness_pretraining.l2p_tasks import EdgeTasks

WIDTH = 8
ATOM_TYPES, CHIRALITIES, BOND_TYPES, BOND_DIRECTIONS = 6, 3, 4, 3


class TinyGIN(nn.Module):
    """Hu et al.'s GIN in miniature: summed categorical embeddings, messages ``h_j + e_ij`` over the
    edges and a self-loop, an MLP, BatchNorm; tanh rather than ReLU keeps finite differences away
    from kinks."""

    def __init__(self, layers: int = 2):
        super().__init__()
        self.atom_type, self.chirality = nn.Embedding(ATOM_TYPES, WIDTH), nn.Embedding(CHIRALITIES, WIDTH)
        self.bond_types = nn.ModuleList(nn.Embedding(BOND_TYPES, WIDTH) for _ in range(layers))
        self.bond_directions = nn.ModuleList(nn.Embedding(BOND_DIRECTIONS, WIDTH) for _ in range(layers))
        self.mlps = nn.ModuleList(nn.Sequential(nn.Linear(WIDTH, 2 * WIDTH), nn.Tanh(), nn.Linear(2 * WIDTH, WIDTH)) for _ in range(layers))
        self.norms = nn.ModuleList(nn.BatchNorm1d(WIDTH) for _ in range(layers))

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        h = self.atom_type(x[:, 0]) + self.chirality(x[:, 1])
        for index, (bond_type, direction, mlp, norm) in enumerate(zip(self.bond_types, self.bond_directions, self.mlps, self.norms)):
            messages = h[edge_index[0]] + bond_type(edge_attr[:, 0]) + direction(edge_attr[:, 1])
            h = norm(mlp(h + torch.zeros_like(h).index_add(0, edge_index[1], messages)))
            if index < len(self.mlps) - 1:
                h = torch.tanh(h)
        return h


def molecule(atoms: int, bonds: list[tuple[int, int]], seed: int) -> Data:
    """Random atom and bond features; every bond in both directions with the same features."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.stack([torch.randint(ATOM_TYPES, (atoms,), generator=generator), torch.randint(CHIRALITIES, (atoms,), generator=generator)], dim=1)
    bond_attr = torch.stack([torch.randint(BOND_TYPES, (len(bonds),), generator=generator),
                             torch.randint(BOND_DIRECTIONS, (len(bonds),), generator=generator)], dim=1)
    edge_index = torch.tensor([pair for u, v in bonds for pair in ((u, v), (v, u))], dtype=torch.long).reshape(-1, 2).t()
    return Data(x=x, edge_index=edge_index, edge_attr=bond_attr.repeat_interleave(2, dim=0), num_nodes=atoms)


def ring_with_tail(atoms: int, ring: int, seed: int) -> Data:
    bonds = [(i, (i + 1) % ring) for i in range(ring)] + [(i - 1, i) for i in range(ring, atoms)]
    return molecule(atoms, bonds, seed)


@pytest.fixture
def batch() -> Batch:
    return Batch.from_data_list([ring_with_tail(atoms, ring, seed) for seed, (atoms, ring) in enumerate([(6, 5), (7, 6), (5, 3), (8, 6), (4, 4)])])


def l2p(node_step_size: float = 1e-3, graph_step_size: float = 1e-3, seed: int = 0, **options) -> L2PGNN:
    torch.manual_seed(seed)
    return L2PGNN(TinyGIN(), WIDTH, node_step_size=node_step_size, graph_step_size=graph_step_size, support_size=4, query_size=3, **options).double()


def fixed_tasks(model: L2PGNN, batch: Batch, seed: int = 0) -> EdgeTasks:
    return model.sample_tasks(batch, torch.Generator().manual_seed(seed))


def meta_gradient(model: L2PGNN, batch: Batch, tasks: EdgeTasks, *, first_order: bool = False) -> list[torch.Tensor]:
    model.zero_grad()
    model.meta_loss(batch, tasks=tasks, first_order=first_order).backward()
    return [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("step_size", [1e-3, 0.05])
def test_the_node_level_step_lowers_the_support_loss(batch, step_size):
    model = l2p(node_step_size=step_size)
    parts = model.meta_objective(batch, tasks=fixed_tasks(model, batch))
    assert parts.node_support_after < parts.node_support_before
    if step_size > 1e-2:
        assert parts.node_support_after < parts.node_support_before - 0.05


@pytest.mark.parametrize("step_size", [1e-3, 0.5])
def test_the_graph_level_step_lowers_the_support_loss(batch, step_size):
    model = l2p(graph_step_size=step_size)
    parts = model.meta_objective(batch, tasks=fixed_tasks(model, batch))
    assert parts.graph_support_after < parts.graph_support_before
    if step_size > 1e-2:
        assert parts.graph_support_after < parts.graph_support_before - 0.05


def test_a_step_restricted_to_no_parameter_adapts_nothing(batch):
    model = l2p(node_step_size=0.05, inner_parameters=lambda name: False)
    parts = model.meta_objective(batch, tasks=fixed_tasks(model, batch))
    assert parts.node_support_after == parts.node_support_before
    model = l2p(node_step_size=0.05, inner_parameters=lambda name: not name.startswith(("atom_type", "chirality")))
    parts = model.meta_objective(batch, tasks=fixed_tasks(model, batch))
    assert parts.node_support_after < parts.node_support_before


def test_the_query_losses_use_the_adapted_parameters(batch):
    def objective(node_step_size: float, graph_step_size: float):
        model = l2p(node_step_size, graph_step_size)
        return model.meta_objective(batch, tasks=fixed_tasks(model, batch))

    unadapted = objective(0.0, 0.0)
    assert unadapted.node_query_after == unadapted.node_query_before
    assert unadapted.graph_support_after == unadapted.graph_support_before
    node_adapted, graph_adapted = objective(0.05, 0.0), objective(0.0, 0.5)
    assert node_adapted.node_query_after != pytest.approx(unadapted.node_query_after.item(), rel=1e-3)
    assert node_adapted.total.item() != pytest.approx(unadapted.total.item(), rel=1e-3)
    assert graph_adapted.graph_query_after != pytest.approx(unadapted.graph_query_after.item(), rel=1e-3)
    assert graph_adapted.node_query_after == unadapted.node_query_after


def test_the_inner_steps_leave_the_outer_parameters_unchanged(batch):
    model = l2p(node_step_size=0.05, graph_step_size=0.05)
    tensors_before = {name: p for name, p in model.named_parameters()}
    values_before = {name: p.detach().clone() for name, p in model.named_parameters()}
    model.meta_loss(batch, generator=torch.Generator().manual_seed(0)).backward()
    for name, p in model.named_parameters():
        assert p is tensors_before[name], name
        assert torch.equal(p, values_before[name]), name
        assert p.grad is not None and p.grad.abs().sum() > 0, f"{name} gets no meta-gradient"


def test_batchnorm_running_statistics_are_updated_once_per_meta_step(batch):
    model = l2p(node_step_size=0.05)
    plain = copy.deepcopy(model.gnn)
    plain(batch.x, batch.edge_index, batch.edge_attr)  # one forward pass with theta
    model.meta_loss(batch, generator=torch.Generator().manual_seed(0))
    for (name, expected), actual in zip(plain.named_buffers(), model.gnn.buffers()):
        assert torch.equal(actual, expected), name


def test_first_and_second_order_meta_gradients_differ(batch):
    model = l2p(node_step_size=0.05, graph_step_size=0.05)
    tasks = fixed_tasks(model, batch)
    second, first = meta_gradient(model, batch, tasks), meta_gradient(model, batch, tasks, first_order=True)
    differing = 0
    for (name, _), a, b in zip(model.named_parameters(), second, first):
        if a.norm() < 1e-10 and b.norm() < 1e-10:
            continue  # a bias just before BatchNorm: no gradient in either order
        assert not torch.allclose(a, b, rtol=1e-3, atol=1e-8), name
        differing += 1
    assert differing >= len(second) - len(model.gnn.norms)


def test_the_second_order_meta_gradient_matches_central_differences(batch):
    model = l2p(node_step_size=0.2, graph_step_size=0.2)
    tasks = fixed_tasks(model, batch)
    second, first = meta_gradient(model, batch, tasks), meta_gradient(model, batch, tasks, first_order=True)
    parameters = list(model.parameters())
    generator = torch.Generator().manual_seed(1)
    # one random direction inside each parameter tensor, and one across all of them
    directions = [[torch.randn(p.shape, generator=generator, dtype=p.dtype) if i == j else torch.zeros_like(p) for j, p in enumerate(parameters)]
                  for i in range(len(parameters))]
    directions.append([torch.randn(p.shape, generator=generator, dtype=p.dtype) for p in parameters])
    for direction in directions:
        # the error of a central difference is O(epsilon^2): about 2e-8 relative here
        numeric = central_difference(model, batch, tasks, direction, epsilon=1e-6)
        analytic = sum((g * d).sum() for g, d in zip(second, direction)).item()
        first_order = sum((g * d).sum() for g, d in zip(first, direction)).item()
        assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-8)
        if abs(numeric) > 1e-6:  # not a bias before BatchNorm: the check can tell the orders apart
            assert first_order != pytest.approx(numeric, rel=1e-3)


def central_difference(model: L2PGNN, batch: Batch, tasks: EdgeTasks, direction: list[torch.Tensor], epsilon: float) -> float:
    def loss_moved_by(step: float) -> float:
        with torch.no_grad():
            for p, d in zip(model.parameters(), direction):
                p.add_(step * d)
        value = model.meta_loss(batch, tasks=tasks).item()
        with torch.no_grad():
            for p, d in zip(model.parameters(), direction):
                p.sub_(step * d)
        return value

    return (loss_moved_by(epsilon) - loss_moved_by(-epsilon)) / (2 * epsilon)


def test_a_few_adam_steps_lower_the_meta_loss(batch):
    model = l2p()
    tasks = fixed_tasks(model, batch)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        optimizer.zero_grad()
        loss = model.meta_loss(batch, tasks=tasks)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert model.meta_loss(batch, tasks=tasks).item() < 0.7 * losses[0], losses


def test_without_gradients_the_loss_is_the_same_value_detached(batch):
    model = l2p(node_step_size=0.05, graph_step_size=0.05)
    tasks = fixed_tasks(model, batch)
    expected = model.meta_loss(batch, tasks=tasks)
    with torch.no_grad():
        value = model.meta_loss(batch, tasks=tasks)
    assert not value.requires_grad
    assert value.item() == pytest.approx(expected.item(), rel=1e-12)


@pytest.mark.parametrize("graphs", [
    [molecule(2, [(0, 1)], 0)],  # alone: its non-links can only be self-pairs
    [molecule(2, [(0, 1)], 0), molecule(1, [], 1), molecule(3, [(0, 1), (1, 2), (2, 0)], 2)],  # an atom without bonds among them
], ids=["one-bond-alone", "one-bond-lone-atom-triangle"])
@pytest.mark.parametrize("first_order", [False, True])
def test_tiny_molecules_run(graphs, first_order):
    model = l2p(node_step_size=0.05, graph_step_size=0.05)
    batch = Batch.from_data_list(graphs)
    parts = model.meta_objective(batch, first_order=first_order, generator=torch.Generator().manual_seed(0))
    parts.total.backward()
    assert torch.isfinite(parts.total)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert 0 <= parts.node_query_accuracy <= 1
