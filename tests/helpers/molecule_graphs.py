"""Small molecule-like graphs and a tiny GIN with bond features, for the objectives' tests.

Atoms carry Hu et al.'s two integer columns (type, chirality), bonds theirs (type, direction),
with small vocabularies: atom types 0 .. ATOM_TYPES - 1 and MASK_ATOM as the mask token."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch_geometric.data import Batch, Data
from torch_geometric.nn import GINEConv

ATOM_TYPES = 8
MASK_ATOM = ATOM_TYPES  # the token row of the embedding, never a real atom type
CHIRALITY_TAGS = 4
BOND_TYPES = 4
BOND_DIRECTIONS = 3


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """One intra-op thread (import this autouse fixture into a test module): on a small shared
    machine, torch's OpenMP threads competing with other processes make these tiny models run
    tens of times slower."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def molecule(bonds: list[tuple[int, int]], num_atoms: int | None = None, atom_type: int | None = None) -> Data:
    """A molecule graph with the given bonds, each stored in both directions; random features
    (all atoms of type ``atom_type`` when given)."""
    num_atoms = num_atoms if num_atoms is not None else 1 + max(max(pair) for pair in bonds)
    types = torch.randint(ATOM_TYPES, (num_atoms,)) if atom_type is None else torch.full((num_atoms,), atom_type)
    x = torch.stack([types, torch.randint(CHIRALITY_TAGS, (num_atoms,))], dim=1)
    pairs = torch.tensor(bonds, dtype=torch.long).reshape(-1, 2).T
    edge_index = torch.stack([pairs, pairs.flip(0)], dim=2).reshape(2, -1)  # u->v then v->u, bond by bond
    num_bonds = pairs.size(1)
    bond_features = torch.stack([torch.randint(BOND_TYPES, (num_bonds,)), torch.randint(BOND_DIRECTIONS, (num_bonds,))], dim=1)
    return Data(x=x, edge_index=edge_index, edge_attr=bond_features.repeat_interleave(2, dim=0))


def path_bonds(num_atoms: int) -> list[tuple[int, int]]:
    return [(i, i + 1) for i in range(num_atoms - 1)]


def random_molecule(num_atoms: int, ring_closures: int = 1) -> Data:
    """A random tree on ``num_atoms`` atoms plus up to ``ring_closures`` extra bonds."""
    bonds = {(int(torch.randint(i, ())), i) for i in range(1, num_atoms)}
    for _ in range(ring_closures):
        u, v = sorted(torch.randperm(num_atoms)[:2].tolist()) if num_atoms > 2 else (0, 0)
        if u != v:
            bonds.add((u, v))
    return molecule(sorted(bonds), num_atoms)


def random_batch(sizes: list[int]) -> Batch:
    return Batch.from_data_list([random_molecule(size) for size in sizes])


class TinyMolGIN(nn.Module):
    """Embedded atom and bond codes, then GINE layers (PyG) with each layer's own bond embedding."""

    def __init__(self, width: int = 16, num_layers: int = 2):
        super().__init__()
        self.atom_type = nn.Embedding(ATOM_TYPES + 1, width)
        self.chirality = nn.Embedding(CHIRALITY_TAGS, width)
        self.bond_types = nn.ModuleList(nn.Embedding(BOND_TYPES, width) for _ in range(num_layers))
        self.bond_directions = nn.ModuleList(nn.Embedding(BOND_DIRECTIONS, width) for _ in range(num_layers))
        self.convs = nn.ModuleList(
            GINEConv(nn.Sequential(nn.Linear(width, 2 * width), nn.ReLU(), nn.Linear(2 * width, width)))
            for _ in range(num_layers))

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        h = self.atom_type(x[:, 0]) + self.chirality(x[:, 1])
        for index, conv in enumerate(self.convs):
            bonds = self.bond_types[index](edge_attr[:, 0]) + self.bond_directions[index](edge_attr[:, 1])
            h = conv(h, edge_index, bonds)
            if index < len(self.convs) - 1:
                h = torch.relu(h)
        return h


class SpyGNN(nn.Module):
    """Records every input it is called with and returns fixed random embeddings per node."""

    def __init__(self, width: int = 8):
        super().__init__()
        self.width = width
        self.calls: list[tuple[Tensor, Tensor, Tensor | None]] = []
        self.outputs: list[Tensor] = []

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None) -> Tensor:
        self.calls.append((x.clone(), edge_index.clone(), None if edge_attr is None else edge_attr.clone()))
        self.outputs.append(torch.randn(x.size(0), self.width))
        return self.outputs[-1]


class TypeOneHot(nn.Module):
    """Embeds each atom as ``scale * (one_hot(type) - shift)``: with atoms of one type per
    molecule, embeddings of the same molecule score high against each other, of different
    molecules low."""

    def __init__(self, scale: float, shift: float, num_types: int):
        super().__init__()
        self.scale, self.shift, self.num_types = scale, shift, num_types

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None) -> Tensor:
        return self.scale * (F.one_hot(x[:, 0], self.num_types).float() - self.shift)


def one_parameter_grads_nonzero(module: nn.Module) -> bool:
    return any(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in module.parameters())


def loss_before_and_after_training(objective: nn.Module, gnn: nn.Module, batch: Data, steps: int = 100,
                                   lr: float = 0.01) -> tuple[float, float]:
    """The objective's loss on ``batch`` before and after ``steps`` Adam steps on the gnn's and
    the objective's parameters; each measured with the same fixed random choices."""

    def measured() -> float:
        with torch.no_grad():
            losses = [objective.loss(gnn, batch, generator=torch.Generator().manual_seed(seed)) for seed in range(4)]
        return float(torch.stack(losses).mean())

    before = measured()
    optimizer = torch.optim.Adam([*gnn.parameters(), *objective.parameters()], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        objective.loss(gnn, batch).backward()
        optimizer.step()
    return before, measured()
