"""The node-encoder methods (``fixed``, ``finetuned``, ``joint``, ``giant``, ``glem``, ``ld``) on
the synthetic text-attributed task with a tiny randomly initialised BERT (MiniLM's tokenizer, 2 layers of width 16): what the
LD paper's algorithm must satisfy, no validation label in any loss, and the stage caches."""

from __future__ import annotations

import itertools
import types

import numpy as np
import pytest
import torch

import harness_ne.gnn_stage
import harness_synthetic.datasets
from harness.task import TaskView
from harness_ne.ld.method import InverseLabels
from harness_ne.propagation import hop_stack, mean_aggregation
from harness_ne.targets import gold_and_pseudo
from helpers.tiny_models import save_tiny_bert, save_tiny_esm


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return str(save_tiny_bert(tmp_path_factory.mktemp("tiny-bert")))


def _grid(tiny_bert, methods, backbones=("gcn",), dataset_params=None):
    return {
        "name": "ne",
        "seeds": 1,
        "datasets": [{"name": "synthetic-text", "params": {"num_nodes": 120, **(dataset_params or {})}}],
        "encoders": [{"name": "lm", "params": {"model": tiny_bert, "max_length": 16}}],
        "backbones": [{"name": name, "params": {"hidden": 16}} for name in backbones],
        "methods": methods,
    }


FAST = {"epochs": 15, "patience": 0, "encoder_epochs": 1, "encoder_batch_size": 32, "encoder_lr": 1e-3}
ALL_METHODS = [
    {"name": "fixed", "params": {"epochs": 10}},
    {"name": "finetuned", "params": {**FAST, "epochs": 10}},
    {"name": "joint", "params": {"epochs": 2, "batch_size": 16, "fanout": [3, 3], "encoder_lr": 1e-3}},
    {"name": "giant", "params": {"epochs": 10, "patience": 0, "epochs_per_level": 1, "encoder_batch_size": 32, "encoder_lr": 1e-3, "leaf_size": 30, "branching": 2}},
    {"name": "glem", "params": {**FAST, "epochs": 10, "em_iterations": 1}},
    {"name": "ld", "params": {**FAST, "epochs": 10}},
]


# -- the algorithm ---------------------------------------------------------------------------------


def _small_graph():
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 0, 2], [1, 0, 2, 1, 0, 3, 2]])  # 2->2 is a self-loop
    return edge_index, 5  # node 4 is isolated


def test_hop_stack_is_repeated_mean_aggregation():
    edge_index, n = _small_graph()
    y = torch.rand(n, 3)
    stack = hop_stack(y, mean_aggregation(edge_index, n), 3)
    neighbours = {i: {i} | {int(s) for s, t in edge_index.t().tolist() if t == i} for i in range(n)}
    expected = [y]
    for _ in range(3):
        previous = expected[-1]
        expected.append(torch.stack([previous[sorted(neighbours[i])].mean(0) for i in range(n)]))
    assert stack.shape == (4, n, 3)
    assert torch.allclose(stack, torch.stack(expected), atol=1e-6)


def test_gamma_gets_a_gradient_and_lambda_zero_gives_the_pseudo_labels():
    edge_index, n = _small_graph()
    y_hat = torch.softmax(torch.randn(n, 3), dim=1)
    stack = hop_stack(y_hat, mean_aggregation(edge_index, n), 2)
    nodes = torch.tensor([0, 2, 4])
    inverse = InverseLabels(stack, multilabel=False, lam=0.5)
    logits = torch.randn(3, 3)
    loss = -(inverse(nodes) * torch.log_softmax(logits, dim=1)).sum()
    loss.backward()
    assert inverse.w.grad is not None and inverse.w.grad.abs().sum() > 0
    assert torch.allclose(inverse(nodes).sum(1), torch.ones(3))
    assert torch.allclose(InverseLabels(stack, multilabel=False, lam=0.0)(nodes), y_hat[nodes])


def test_pseudo_labels_keep_gold_rows_on_training_nodes_only(tiny_task):
    view = tiny_task("node-classification").method_view()
    logits = torch.randn(view.data.num_nodes, view.num_outputs)
    y_hat = gold_and_pseudo(view, logits, temperature=0.5)
    train = view.items["train"]
    assert torch.equal(y_hat[train].argmax(1), view.labels["train"]) and torch.all(y_hat[train].max(1).values == 1)
    others = torch.ones(view.data.num_nodes, dtype=torch.bool)
    others[train] = False
    assert torch.allclose(y_hat[others], torch.softmax(logits[others] / 0.5, dim=1))


# -- cells ---------------------------------------------------------------------------------------


def test_every_method_runs_and_ld_keeps_gamma(tiny_bert, harness_run):
    methods = [{"name": "fixed", "params": {"epochs": 15}}, {"name": "finetuned", "params": FAST}, {"name": "ld", "params": {**FAST, "tau": 0.5}}]
    _, records = harness_run(_grid(tiny_bert, methods))
    by_method = {r["cell"]["method"]["name"]: r for r in records}
    assert sorted(by_method) == ["finetuned", "fixed", "ld"] and all(r["status"] == "complete" for r in records)
    ld = by_method["ld"]
    (trajectory,) = ld["extra"]["gamma"]
    assert len(trajectory) == 1 + 4  # uniform start, then one entry per step (120 nodes / 32)
    assert trajectory[0] == pytest.approx([1 / 3] * 3) and trajectory[-1] != trajectory[0]  # hops = 2 GCN layers
    assert ld["num_params"] == by_method["fixed"]["num_params"] > 490_000  # same GNN; the encoder counts in both


def test_no_validation_label_reaches_a_loss(tiny_bert, harness_run, tmp_path, monkeypatch):
    """Validation labels may only select epochs. With selection made label-blind (every epoch
    scores better than the last), permuting the validation labels must change no prediction."""
    ticks = itertools.count()
    monkeypatch.setattr(TaskView, "score", lambda self, split, predictions: float(next(ticks)))
    kept = []
    original = harness_ne.gnn_stage.predictions

    def keep(task, result, **extra):
        out = original(task, result, **extra)
        kept.append(torch.cat([out.valid, out.test]))
        return out

    monkeypatch.setattr(harness_ne.gnn_stage, "predictions", keep)
    for method in ALL_METHODS:
        monkeypatch.setattr(f"harness_ne.{method['name']}.method.predictions", keep)
    methods = ALL_METHODS
    original_factory = harness_synthetic.datasets.text_classification

    def permuted(*args, **kwargs):
        task = original_factory(*args, **kwargs)
        task.labels = {**task.labels, "valid": task.labels["valid"].flip(0)}
        return task

    harness_run(_grid(tiny_bert, methods), results_dir=str(tmp_path / "a"), cache_dir=str(tmp_path / "cache-a"), isolate=False)
    monkeypatch.setattr(harness_synthetic.datasets, "text_classification", permuted)
    harness_run(_grid(tiny_bert, methods), results_dir=str(tmp_path / "b"), cache_dir=str(tmp_path / "cache-b"), isolate=False)
    count = len(ALL_METHODS)
    assert len(kept) == 2 * count
    for first, second in zip(kept[:count], kept[count:]):
        assert torch.equal(first, second)


def test_a_second_backbone_reuses_the_cached_stages(tiny_bert, harness_run, monkeypatch):
    calls = {"encode": 0, "finetune": 0}
    from harness_encoders import lm
    from harness_ne import encoder_stage

    encode, finetune = lm.PretrainedEncoder.encode, encoder_stage.finetune_encoder

    def counted_encode(self, task):
        calls["encode"] += 1
        return encode(self, task)

    def counted_finetune(*args, **kwargs):
        calls["finetune"] += 1
        return finetune(*args, **kwargs)

    monkeypatch.setattr(lm.PretrainedEncoder, "encode", counted_encode)
    monkeypatch.setattr("harness_ne.finetuned.method.finetune_encoder", counted_finetune)
    _, records = harness_run(_grid(tiny_bert, [{"name": "fixed", "params": {"epochs": 5}}, {"name": "finetuned", "params": {**FAST, "epochs": 5}}], backbones=("gcn", "sage")), isolate=False)
    assert len(records) == 4 and all(r["status"] == "complete" for r in records)
    assert calls == {"encode": 2, "finetune": 1}  # frozen features once, fine-tuned features once
    finetuned = [r["stages"] for r in records if r["cell"]["method"]["name"] == "finetuned"]
    (first, second) = [{stage["name"]: stage for stage in stages}["finetuned-encoder-features"] for stages in finetuned]
    assert first["key"] == second["key"] and sorted([first["status"], second["status"]]) == ["built", "reused"]


def test_methods_training_the_top_block_share_one_stored_prefix(tiny_bert, harness_run, monkeypatch):
    from harness_ne import frozen_prefix

    computed = []
    compute = frozen_prefix.FrozenPrefix.compute.__func__

    def counted(cls, encoder, tokens, first_trainable):
        computed.append(first_trainable)
        return compute(cls, encoder, tokens, first_trainable)

    monkeypatch.setattr(frozen_prefix.FrozenPrefix, "compute", classmethod(counted))
    methods = [{**method, "params": {**method["params"], "trainable_layers": 1}} for method in ALL_METHODS if method["name"] != "fixed"]
    _, records = harness_run(_grid(tiny_bert, methods), isolate=False)
    assert len(records) == 5 and all(r["status"] == "complete" for r in records), [r.get("error") for r in records]
    assert computed == [1]  # below block 1 of 2, once for the five methods


def test_ld_reuses_gnn_stage_zero_when_only_later_stages_change(tiny_bert, harness_run, monkeypatch):
    stages = []
    original = harness_ne.gnn_stage.train_gnn

    def counted(task, model, settings, log, stage, *args, **kwargs):
        stages.append(stage)
        return original(task, model, settings, log, stage, *args, **kwargs)

    monkeypatch.setattr("harness_ne.ld.method.train_gnn", counted)
    methods = [{"name": "ld", "params": {**FAST, "lam": lam}} for lam in (0.0, 0.5)]
    _, records = harness_run(_grid(tiny_bert, methods), isolate=False)
    assert all(r["status"] == "complete" for r in records)
    assert stages == ["gnn0", "gnn1", "gnn1"]


def test_methods_need_a_trainable_encoder_and_ld_a_backbone_without_propagation(tiny_bert, harness_run):
    grid = _grid(tiny_bert, [{"name": "finetuned", "params": FAST}, {"name": "ld", "params": FAST}], backbones=("gin", "gcn"))
    grid["encoders"].append("bow")
    summary, records = harness_run(grid)
    ran = sorted((r["cell"]["encoder"]["name"], r["cell"]["backbone"]["name"], r["cell"]["method"]["name"]) for r in records)
    assert ran == [("lm", "gcn", "finetuned"), ("lm", "gcn", "ld"), ("lm", "gin", "finetuned")]


def test_glem_reports_the_step_best_on_validation(tiny_bert, harness_run):
    _, (record,) = harness_run(_grid(tiny_bert, [{"name": "glem", "params": {**FAST, "em_iterations": 2, "order": "gnn-first"}}]))
    steps = record["extra"]["steps"]
    assert [s["step"] for s in steps] == ["lm-pretrain", "gnn-pretrain", "m-step-1", "e-step-1", "m-step-2", "e-step-2"]
    assert [s["model"] for s in steps] == ["lm", "gnn", "gnn", "lm", "gnn", "lm"]
    best = max(steps, key=lambda s: s["valid"])
    assert record["extra"]["chosen"] == best["step"] and record["extra"]["chosen_model"] == best["model"]
    assert record["valid"] == pytest.approx(best["valid"])  # the harness scores what the chosen step predicted


class _NoLabels(dict):
    def __getitem__(self, split):
        raise AssertionError(f"GIANT read the {split} labels")


def test_giant_pretraining_reads_no_label(tiny_bert, harness_registry):
    from harness_encoders.lm import TextLM
    from harness_ne.giant.method import GIANT

    component = harness_registry.get("dataset", "synthetic-text")
    view = component.load()(root=".", **{**component.defaults(), "num_nodes": 80}).method_view()
    view.labels = _NoLabels()
    method = GIANT(epochs_per_level=1, branching=2, leaf_size=20, max_degree=1000, encoder_lr=1e-3, head_lr=1e-3, encoder_batch_size=32, trainable_layers=0, precision="fp32",
                   epochs=5, lr=0.01, weight_decay=0.0, patience=0, batch_size=0, fanout=[5])

    class Log:
        stages = []

        def log(self, stage, **metrics):
            self.stages.append(stage)

    payload = method._pretrain_and_encode(view, TextLM(model=tiny_bert, max_length=16), Log(), types.SimpleNamespace(seed=0))
    assert payload["features"].shape == (80, 16) and payload["clusters"][0] == 2 and payload["clusters"] == sorted(payload["clusters"])
    assert Log.stages == [f"level{i}" for i in range(1, len(payload["clusters"]) + 1)]


def test_giant_ranks_neighbour_clusters_against_their_siblings(monkeypatch):
    import scipy.sparse as sp

    from harness_ne.giant import method as giant

    seen = {}
    monkeypatch.setattr(giant, "finetune_encoder", lambda encoder, nodes, head, targets, *args, **kwargs: seen.update(head=head, targets=targets, loss=kwargs["loss"]))
    adjacency = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=np.float32))
    levels = [torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 2, 2])]  # level 2: clusters 0, 1 under 0; 2 under 1
    method = giant.GIANT(epochs_per_level=1, branching=2, leaf_size=1, max_degree=10, encoder_lr=0, head_lr=0, encoder_batch_size=4, trainable_layers=0, precision="fp32",
                         epochs=1, lr=0.01, weight_decay=0.0, patience=0, batch_size=0, fanout=[5])
    encoder = types.SimpleNamespace(hidden_size=3)
    parent_head = torch.nn.Linear(3, 2)
    held = giant.clusters_held(adjacency, levels)
    head = method._fit_level(encoder, torch.arange(4), held, levels, 1, parent_head, log=None)
    assert torch.equal(head.weight, parent_head.weight[[0, 0, 1]]) and torch.equal(head.bias, parent_head.bias[[0, 0, 1]])
    target, _ = seen["targets"](torch.tensor([0, 1, 3]))
    nan = float("nan")
    assert torch.equal(target.isnan(), torch.tensor([[False, False, True], [False, False, False], [True, True, False]]))
    assert torch.equal(torch.nan_to_num(target), torch.tensor([[-1.0, 1.0, 0], [1.0, -1.0, 1.0], [0, 0, 1.0]]))
    scores = torch.tensor([[0.5, 2.0, 9.0], [1.0, 1.0, 1.0], [nan, -4.0, 0.0]])
    assert torch.allclose(seen["loss"](torch.nan_to_num(scores), target), torch.tensor([(1.5**2 + 0) / 2, (0 + 4 + 0) / 3, 1.0]))
    top = method._fit_level(encoder, torch.arange(4), held, levels, 0, None, log=None)
    target, _ = seen["targets"](torch.tensor([0]))
    assert top.out_features == 2 and torch.equal(target, torch.tensor([[1.0, -1.0]]))  # every top-level cluster is a candidate


def test_trainable_layers_freeze_all_but_the_top_blocks(tiny_bert):
    from harness_encoders.lm import TextLM
    from harness_ne.trainable_layers import top_layers

    model = TextLM(model=tiny_bert).module()
    with top_layers(model, 1):
        trainable = {name.split(".")[0] + ("." + name.split(".")[2] if name.startswith("encoder.layer") else "") for name, p in model.named_parameters() if p.requires_grad}
        assert trainable == {"encoder.1"}
        batch = TextLM(model=tiny_bert).tokenize(["a protein binds", "the market"])
        out = model(**batch.batch([0, 1])).last_hidden_state.sum()
        out.backward()
        assert model.embeddings.word_embeddings.weight.grad is None and model.encoder.layer[1].output.dense.weight.grad is not None
    assert all(p.requires_grad for p in model.parameters())  # restored
    with pytest.raises(ValueError, match="encoder.layer"), top_layers(torch.nn.Linear(2, 2), 1):
        pass


def test_ld_and_glem_with_a_protein_encoder_on_a_multilabel_graph_with_edge_features(tmp_path, harness_run):
    """ogbn-proteins' shape in miniature: 112 binary tasks (ROC-AUC), sequences through the
    node-to-protein mapping and a STRING FASTA, GAT with the 8-d edge features, ESM as encoder."""
    import ogb_files as F

    folder = F.write_tiny_proteins(tmp_path / "data")
    F.write_protein_mapping(folder)
    F.write_fasta(folder / "protein.sequences.v11.5.fa.gz")
    esm = save_tiny_esm(tmp_path / "esm")
    grid = {
        "name": "proteins-tiny",
        "seeds": 1,
        "datasets": [{"name": "ogbn-proteins", "params": {"sequences": "require"}}],
        "encoders": [{"name": "plm", "params": {"model": str(esm), "max_length": 32}}],
        "backbones": [{"name": "gat", "params": {"hidden": 8, "heads": 2, "edge_dim": 8, "attention_dropout": 0.0}}],
        "methods": [{"name": "ld", "params": {**FAST, "lam": 0.2, "tau": 0.2, "hops": 4}}, {"name": "glem", "params": {**FAST, "em_iterations": 1}}],
    }
    _, records = harness_run(grid, data_root=str(tmp_path / "data"))
    assert sorted(r["cell"]["method"]["name"] for r in records) == ["glem", "ld"]
    assert all(r["status"] == "complete" and r["metric"] == "rocauc" and r["external_data"] for r in records), [r.get("error") for r in records]
    ld = next(r for r in records if r["cell"]["method"]["name"] == "ld")
    assert ld["extra"]["hops"] == 4 and len(ld["extra"]["gamma"][0][0]) == 5


def test_every_node_backbone_serves_the_methods_that_fit_it(tiny_bert, harness_run):
    backbones = ("gcn", "sage", "gat", "gin", "mlp", "sign", "revgat", "appnp", "sgc")
    grid = _grid(tiny_bert, [{"name": "fixed", "params": {"epochs": 5}}, {"name": "ld", "params": {**FAST, "epochs": 5}}], backbones=backbones)
    grid["backbones"] = [{"name": name, "params": {} if name == "sgc" else {"hidden": 8}} for name in backbones]  # sgc has no hidden layer
    summary, records = harness_run(grid)
    ran = sorted((r["cell"]["backbone"]["name"], r["cell"]["method"]["name"]) for r in records if r["status"] == "complete")
    expected = sorted([(b, "fixed") for b in backbones] + [(b, "ld") for b in backbones if b != "gin"])
    assert ran == expected and len(records) == len(expected)  # ld on gin: dropped before running, with its reason


def test_bf16_autocast_trains_the_encoder_in_lower_precision(tiny_bert, harness_run, monkeypatch):
    """The encoder's linear layers compute in bfloat16 during fine-tuning steps and in float32
    when the frozen encoder encodes."""
    seen = []
    from harness_encoders import lm

    module = lm.PretrainedEncoder.module

    def hooked(self):
        model = module(self)
        if not getattr(model, "_dtype_spy", False):
            model._dtype_spy = True
            model.encoder.layer[0].intermediate.dense.register_forward_hook(lambda layer, args, out: seen.append((torch.is_grad_enabled(), out.dtype)))
        return model

    monkeypatch.setattr(lm.PretrainedEncoder, "module", hooked)
    methods = [{"name": "ld", "params": {**FAST, "precision": "bf16"}}, {"name": "joint", "params": {"epochs": 1, "batch_size": 32, "fanout": [2, 2], "precision": "bf16"}}]
    _, records = harness_run(_grid(tiny_bert, methods), isolate=False)
    assert all(r["status"] == "complete" for r in records), [r.get("error") for r in records]
    assert {dtype for training, dtype in seen if training} == {torch.bfloat16}
    assert {dtype for training, dtype in seen if not training} == {torch.float32}
