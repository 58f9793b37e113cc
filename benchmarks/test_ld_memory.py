"""Label Deconvolution's memory claim: its encoder stage needs memory for the batch of nodes
only, while training encoder and GNN jointly needs it for the whole sampled subgraph.

Workload: text-attributed CiteSeer, the offline all-MiniLM-L6-v2 (``max_length`` 32, every
block trainable), a 2-layer GCN (hidden 128), 320 training nodes in batches of
``BATCH`` (32, the citeseer-tag grid's), one torch thread. Both runs go through the methods'
own code: LD's encoder stage is :func:`harness_ne.encoder_stage.finetune_encoder` with the GCN's
no-propagation head and the inverse-label targets; ``joint`` is :meth:`Joint._train_epoch` on
neighbour-sampled subgraphs (fan-outs [3, 3] as the grid and [5, 5]).

Measured per training step (a step starts with the encoder's ``embed`` call): the bytes of every
tensor autograd saves for the backward pass (``torch.autograd.graph.saved_tensors_hooks``,
storages counted once): the activation memory that grows with what the encoder sees. Also the
number of nodes the encoder embeds per step and the time per step. ``extra_info`` holds the
peak per step of each run and the ratio LD / joint (the paper's argument predicts about the
inverse of the subgraph's size per target node; the target is at most 1/5).

Asserted (functional, not a timing): LD's encoder embeds exactly the batch; joint embeds more.
Needs the shared data; skipped where it is absent.
"""

from __future__ import annotations

import statistics
import time

import pytest
import torch

BATCH, NODES = 32, 320


class StepMeter:
    """Saved-for-backward bytes, embedded nodes and seconds per step of a training loop."""

    def __init__(self, encoder):
        self.encoder, self.steps, self.current = encoder, [], None
        self._embed = encoder.embed

    def _start_step(self, batch):
        self._close()
        self.current = {"bytes": 0, "storages": set(), "nodes": int(batch["input_ids"].size(0)), "start": time.perf_counter()}
        return self._embed(batch)

    def _close(self):
        if self.current is not None:
            self.current["seconds"] = time.perf_counter() - self.current.pop("start")
            self.current.pop("storages")
            self.steps.append(self.current)
            self.current = None

    def _pack(self, tensor):
        if self.current is not None:
            storage = tensor.untyped_storage()
            if storage.data_ptr() not in self.current["storages"]:
                self.current["storages"].add(storage.data_ptr())
                self.current["bytes"] += storage.nbytes()
        return tensor

    def __enter__(self):
        self.encoder.embed = self._start_step
        self.hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda tensor: tensor)
        self.hooks.__enter__()
        return self

    def __exit__(self, *exc):
        self.hooks.__exit__(*exc)
        self.encoder.embed = self._embed
        self._close()

    def summary(self) -> dict:
        return {
            "peak_saved_mib": max(s["bytes"] for s in self.steps) / 2**20,
            "median_saved_mib": statistics.median(s["bytes"] for s in self.steps) / 2**20,
            "median_nodes_embedded": statistics.median(s["nodes"] for s in self.steps),
            "median_step_seconds": statistics.median(s["seconds"] for s in self.steps),
            "steps": len(self.steps),
        }


@pytest.fixture(scope="module")
def setup(citeseer_tag):
    from harness_encoders.lm import TextLM
    from harness_ne.stage_encoder import StageEncoder

    torch.manual_seed(0)
    encoder = TextLM(max_length=32, batch_size=64)
    stage = StageEncoder(encoder, citeseer_tag, trainable_layers=0, context=None)  # every block trainable: nothing stored
    return citeseer_tag, encoder, stage


def _gcn(task, encoder):
    from harness_pyg_backbones.stack import gcn

    return gcn(encoder.hidden_size, task.num_outputs, task.task_type, num_layers=2, hidden=128, dropout=0.5, activation="relu", norm="none", residual=False)


def run_ld_encoder_stage(task, encoder, stage) -> dict:
    from harness_ne.encoder_stage import EncoderSettings, finetune_encoder
    from harness_ne.ld.method import InverseLabels, NoPropagationHead
    from harness_ne.propagation import hop_stack, mean_aggregation
    from harness_ne.targets import gold_and_pseudo

    class Log:
        def log(self, stage, **metrics):
            pass

    logits = torch.randn(task.data.num_nodes, task.num_outputs)
    stack = hop_stack(gold_and_pseudo(task, logits, 0.1), mean_aggregation(task.data.edge_index, task.data.num_nodes), 2)
    inverse = InverseLabels(stack, multilabel=False, lam=0.5)
    is_train = torch.zeros(task.data.num_nodes, dtype=torch.bool)
    is_train[task.items["train"]] = True
    nodes = torch.randperm(task.data.num_nodes)[:NODES]
    settings = EncoderSettings(epochs=1, lr=1e-5, head_lr=1e-3, batch_size=BATCH)
    with StepMeter(encoder) as meter:
        finetune_encoder(stage, nodes, NoPropagationHead(_gcn(task, encoder)), lambda b: (inverse(b), is_train[b]), settings, Log(), "encoder",
                         multilabel=False, alpha=0.5, extra=inverse.parameters())
    return meter.summary()


def run_joint(task, encoder, stage, fanout) -> dict:
    from harness_ne.joint.method import Joint

    joint = Joint(epochs=1, encoder_lr=1e-5, lr=1e-3, weight_decay=0.0, batch_size=BATCH, fanout=fanout, trainable_layers=0, precision="fp32")
    model = _gcn(task, encoder)
    optimizer = torch.optim.AdamW([*encoder.module().parameters(), *model.parameters()], lr=1e-5)
    subset = task.items["train"][torch.randperm(len(task.items["train"]))[:NODES]]
    view = _with_train_items(task, subset)
    with StepMeter(encoder) as meter, stage.training():
        joint._train_epoch(view, stage, model, optimizer, "cpu")
    return meter.summary()


def _with_train_items(task, items):
    """The task with only ``items`` as training nodes (their labels kept)."""
    from types import MappingProxyType

    position = {int(node): i for i, node in enumerate(task.items["train"].tolist())}
    view = task.with_features(task.data.x)
    view.items = MappingProxyType({**task.items, "train": items})
    labels = task.labels["train"][[position[int(node)] for node in items.tolist()]]
    view.labels = MappingProxyType({"train": labels, "valid": task.labels["valid"]})
    return view


def test_ld_encoder_stage_memory_against_joint(setup, benchmark):
    task, encoder, stage = setup
    ld = benchmark.pedantic(run_ld_encoder_stage, args=(task, encoder, stage), rounds=1, iterations=1)
    joint = {f"fanout {a}+{b}": run_joint(task, encoder, stage, [a, b]) for a, b in ((3, 3), (5, 5))}
    assert ld["median_nodes_embedded"] == BATCH
    benchmark.extra_info["ld_encoder_stage"] = ld
    for name, figures in joint.items():
        assert figures["median_nodes_embedded"] > BATCH
        benchmark.extra_info[f"joint {name}"] = figures
        benchmark.extra_info[f"ratio ld/joint {name}"] = ld["peak_saved_mib"] / figures["peak_saved_mib"]
    print(f"\nLD encoder stage: {ld}")
    for name, figures in joint.items():
        print(f"joint ({name}): {figures}; peak ratio LD / joint = {ld['peak_saved_mib'] / figures['peak_saved_mib']:.3f}")
