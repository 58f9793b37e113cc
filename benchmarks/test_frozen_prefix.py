"""What storing the frozen blocks' output saves when only the top k blocks are fine-tuned.

Workload: text-attributed CiteSeer, the offline all-MiniLM-L6-v2 (6 blocks, ``max_length`` 32,
as the citeseer-tag grid), a linear head, 320 nodes in batches of 32 (10 steps), one torch
thread, through :func:`harness_ne.encoder_stage.finetune_encoder` and
:meth:`~harness_ne.stage_encoder.StageEncoder.encode`. For k = 1 and 2, the frozen blocks either
run at every step (``LIMIT_BYTES`` = 0) or once for every node (stored, the default). Measured:
the median time of a training step, the time to re-encode all 3,186 nodes, and the one-off time
to compute the stored states (``extra_info``).

Asserted (functional): with the same seed, both ways train to the same re-encoded vectors.
Needs the shared data; skipped where it is absent.
"""

from __future__ import annotations

import statistics
import time

import pytest
import torch

BATCH, NODES = 32, 320


class _Context:
    """A cell's context whose stages are always built (nothing cached between variants)."""

    def stage(self, name, build, **declaration):
        return build()


def train_and_encode(task, k: int, stored: bool, monkeypatch) -> dict:
    from harness_encoders.lm import TextLM
    from harness_ne import stage_encoder
    from harness_ne.encoder_stage import EncoderSettings, finetune_encoder
    from harness_ne.targets import gold_rows

    monkeypatch.setattr(stage_encoder, "LIMIT_BYTES", 2**40 if stored else 0)
    encoder = TextLM(max_length=32, batch_size=64)
    started = time.perf_counter()
    stage = stage_encoder.StageEncoder(encoder, task, k, _Context())
    setup_seconds = time.perf_counter() - started
    assert (stage.prefix is not None) == stored
    torch.manual_seed(0)
    head = torch.nn.Linear(encoder.hidden_size, task.num_outputs)
    nodes = task.items["train"][:NODES]
    rows = torch.zeros(task.data.num_nodes, task.num_outputs)
    rows[task.items["train"]] = gold_rows(task)
    steps = []

    class Log:
        def log(self, stage, **metrics):
            pass

    def targets(batch):
        steps.append(time.perf_counter())
        return rows[batch], torch.ones(len(batch), dtype=torch.bool)

    settings = EncoderSettings(epochs=1, lr=1e-4, head_lr=1e-3, batch_size=BATCH, trainable_layers=k)
    finetune_encoder(stage, nodes, head, targets, settings, Log(), "encoder", multilabel=False)
    finished = time.perf_counter()
    vectors = stage.encode()
    encode_seconds = time.perf_counter() - finished
    step_seconds = [b - a for a, b in zip(steps, steps[1:] + [finished])]
    return {"setup_seconds": setup_seconds, "median_step_seconds": statistics.median(step_seconds), "encode_seconds": encode_seconds, "vectors": vectors}


@pytest.mark.parametrize("k", [1, 2])
def test_stored_frozen_blocks_against_running_them_every_step(citeseer_tag, k, benchmark, monkeypatch):
    stored = benchmark.pedantic(train_and_encode, args=(citeseer_tag, k, True, monkeypatch), rounds=1, iterations=1)
    recomputed = train_and_encode(citeseer_tag, k, False, monkeypatch)
    assert torch.allclose(stored.pop("vectors"), recomputed.pop("vectors"), atol=1e-4)
    benchmark.extra_info.update({"stored": stored, "recomputed": recomputed,
                                 "step speed-up": recomputed["median_step_seconds"] / stored["median_step_seconds"],
                                 "encode speed-up": recomputed["encode_seconds"] / stored["encode_seconds"]})
    print(f"\nk = {k}: stored {stored}; recomputed {recomputed}; step speed-up {benchmark.extra_info['step speed-up']:.2f}, "
          f"encode speed-up {benchmark.extra_info['encode speed-up']:.2f}")
