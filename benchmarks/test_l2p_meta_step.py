"""The time of one L2P-GNN meta step (forward and backward of the meta loss), second and first
order, at the reference's scale.

Workload: 64 random molecules of 20 to 30 atoms (25 on average; a random tree plus 3 ring bonds,
so about 27 bonds, both directions stored), Hu et al.'s integer features; the harness's
``gin-mol`` with 5 layers x 300, BatchNorm, no dropout (the reference's default) wrapped in
:class:`harness_pretraining.l2p_gnn.L2PGNN` with its defaults (support 10, query 5, step sizes
1e-3); CPU, torch at ``HARNESS_BENCH_TORCH_THREADS`` threads (1 by default). Measured: the median
wall time of ``meta_loss(...).backward()`` over 5 rounds after a warm-up (``extra_info``). The
tasks are drawn once, so both orders time the same work; the optimiser step is not included.

Asserted (functional): both orders give the same loss value and finite gradients.
"""

from __future__ import annotations

import os
import statistics
import time

import pytest
import torch

THREADS = int(os.environ.get("HARNESS_BENCH_TORCH_THREADS", "1"))

MOLECULES, MIN_ATOMS, MAX_ATOMS, RING_BONDS = 64, 20, 30, 3


def _random_molecule(generator: torch.Generator):
    from harness_moleculenet import featurize
    from torch_geometric.data import Data

    atoms = int(torch.randint(MIN_ATOMS, MAX_ATOMS + 1, (), generator=generator))
    # a tree: every atom bonds to one of the three atoms before it, then a few ring closures
    children = torch.arange(1, atoms)
    parents = (children - 1 - torch.randint(0, 3, (atoms - 1,), generator=generator)).clamp_min(0)
    ring_starts = torch.randint(0, atoms - 6, (RING_BONDS,), generator=generator)
    sources, targets = torch.cat([parents, ring_starts]), torch.cat([children, ring_starts + 5])
    bond_features = torch.stack([torch.randint(0, 4, sources.shape, generator=generator),
                                 torch.randint(0, featurize.HU_NUM_BOND_DIRECTIONS, sources.shape, generator=generator)], dim=1)
    x = torch.stack([torch.randint(0, 118, (atoms,), generator=generator),
                     torch.randint(0, featurize.HU_NUM_CHIRALITY_TAGS, (atoms,), generator=generator)], dim=1)
    edge_index = torch.stack([torch.cat([sources, targets]), torch.cat([targets, sources])])
    return Data(x=x, edge_index=edge_index, edge_attr=bond_features.repeat(2, 1), num_nodes=atoms)


def _meta_step_seconds(first_order: bool) -> dict:
    from harness_moleculenet.gin import GINMol
    from harness_pretraining.l2p_gnn import L2PGNN
    from torch_geometric.data import Batch

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        generator = torch.Generator().manual_seed(0)
        batch = Batch.from_data_list([_random_molecule(generator) for _ in range(MOLECULES)])
        torch.manual_seed(0)
        model = L2PGNN(GINMol(2, 300, num_layers=5, hidden=300, dropout=0.0), 300)
        tasks = model.sample_tasks(batch, torch.Generator().manual_seed(1))
        seconds, loss = [], None
        for _ in range(6):  # the first round warms up the allocator
            model.zero_grad()
            started = time.perf_counter()
            loss = model.meta_loss(batch, tasks=tasks, first_order=first_order)
            loss.backward()
            seconds.append(time.perf_counter() - started)
        finite = all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
        return {"median_s": statistics.median(seconds[1:]), "rounds_s": seconds[1:], "atoms": batch.num_nodes,
                "loss": loss.item(), "finite_gradients": bool(finite), "threads": THREADS}
    finally:
        torch.set_num_threads(previous_threads)


def test_l2p_meta_step_time(benchmark):
    second = benchmark.pedantic(_meta_step_seconds, args=(False,), rounds=1, iterations=1)
    first = _meta_step_seconds(True)
    assert second["finite_gradients"] and first["finite_gradients"]
    assert second["loss"] == pytest.approx(first["loss"], rel=1e-9)
    benchmark.extra_info.update({"second_order": second, "first_order": first, "ratio": second["median_s"] / first["median_s"]})
    print(f"\nL2P-GNN meta step, {MOLECULES} molecules ({second['atoms']} atoms), gin-mol 5 x 300, {THREADS} thread(s): "
          f"second order {second['median_s']:.2f} s, first order {first['median_s']:.2f} s (ratio {benchmark.extra_info['ratio']:.2f})")
