"""RevGAT's memory claim: with reversible hidden layers, the activations kept for the backward
pass do not grow with depth.

Workload: a random graph of 3,000 nodes and 30,000 edges with 128-d features, ``revgat`` with
hidden 64 x 3 heads, 2 groups, dropout 0.5, batch norm, at 4 and 16 layers, one training forward
and backward on the CPU, reversible (PyG ``GroupAddRev`` frees each layer's input and recomputes
it from the output) against the same layers keeping their inputs (``disable``). Measured: the
bytes of every tensor autograd saves for the backward pass (storages counted once, at their
size when saved; the reversible blocks' own bookkeeping, the last block's output of 3,000 x 192
floats, 2.2 MiB, is outside autograd and not counted) and the time of forward + backward
(``extra_info``).

Asserted (functional): both give the same gradients (up to float error).
"""

from __future__ import annotations

import time

import pytest
import torch

N, E, IN, OUT = 3000, 30_000, 128, 8


def _saved_bytes_and_gradients(layers: int, reversible: bool) -> dict:
    from harness_pyg_backbones.revgat import revgat

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(N, IN, generator=generator)
    edges = torch.randint(0, N, (2, E), generator=generator)
    torch.manual_seed(0)
    model = revgat(IN, OUT, "node-classification", num_layers=layers, hidden=64, heads=3, groups=2, dropout=0.5)
    for block in model.blocks:
        block.disable = not reversible
    seen, total = set(), 0

    def pack(tensor):
        nonlocal total
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in seen:
            seen.add(storage.data_ptr())
            total += storage.nbytes()
        return tensor

    started = time.perf_counter()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        loss = model(x, edges).pow(2).mean()
    loss.backward()
    seconds = time.perf_counter() - started
    return {"saved_mib": total / 2**20, "seconds": seconds, "gradients": [p.grad.clone() for p in model.parameters()]}


@pytest.mark.parametrize("layers", [4, 16])
def test_reversible_layers_keep_activation_memory_flat(layers, benchmark):
    reversible = benchmark.pedantic(_saved_bytes_and_gradients, args=(layers, True), rounds=1, iterations=1)
    plain = _saved_bytes_and_gradients(layers, False)
    # the same up to the float error of reconstructing inputs (relative 1e-3 at 16 layers)
    assert all((a - b).norm() <= 5e-3 * b.norm() + 1e-6 for a, b in zip(reversible.pop("gradients"), plain.pop("gradients")))
    benchmark.extra_info.update({"reversible": reversible, "plain": plain, "ratio": reversible["saved_mib"] / plain["saved_mib"]})
    print(f"\n{layers} layers: reversible {reversible}, plain {plain}, saved-bytes ratio {benchmark.extra_info['ratio']:.3f}")
