"""The pre-training family (``harness_pretraining``) through the harness on tiny molecule files:
stages shared across downstream sets, fine-tuning seeds and methods, rebuilt when a pre-training
parameter changes; supervised pre-training never reads a downstream label and never holds a
downstream validation or test molecule; checkpoints load with ``weights_only`` and refuse other
shapes; fine-tuning keeps the whole curve and reports the best-validation epoch."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
import torch

from helpers.molecule_files import TINY_LABELS, TINY_SMILES, write_csv, write_tiny_bbbp

TINY_GIN = {"name": "gin-mol", "params": {"num_layers": 2, "hidden": 16}}
FAST = {"epochs": 2, "batch_size": 8}
NODE_LEVEL = {"corpus": {"name": "zinc", "params": {"size": 40}}, "pretrain_epochs": 1, "pretrain_batch_size": 16}
SUPERVISED = {"labelled": ["bbbp", "bace"], "supervised_epochs": 1, "supervised_batch_size": 16}


@pytest.fixture
def molecule_root(tmp_path: Path) -> Path:
    """Tiny BBBP, a tiny BACE of the same molecules in reverse order (so that its scaffold split
    puts some of BBBP's training molecules in its validation and test splits) with other
    labels, and a tiny ZINC corpus."""
    root = write_tiny_bbbp(tmp_path / "data")
    bace_labels = [1 - label if i % 3 else label for i, label in enumerate(TINY_LABELS)]
    write_csv(root / "moleculenet_chemprop" / "bace.csv", ["mol", "Class"], list(zip(TINY_SMILES, bace_labels))[::-1])
    corpus = root / "zinc_moses" / "train.csv.gz"
    corpus.parent.mkdir(parents=True)
    with gzip.open(corpus, "wt") as handle:
        handle.write("SMILES\n" + "\n".join(f"{smiles}C" if i % 2 else smiles for i, smiles in enumerate(TINY_SMILES * 2)) + "\n")
    return root


def _run(harness_run, molecule_root, tmp_path, methods, seeds=2, datasets=("bbbp", "bace"), **settings):
    grid = {"name": "pretraining", "seeds": seeds, "datasets": list(datasets), "backbones": [TINY_GIN], "methods": methods}
    settings = {"data_root": str(molecule_root), "cache_dir": str(tmp_path / "cache"), **settings}
    summary, records = harness_run(grid, **settings)
    failed = [(r["cell"]["method"]["name"], r.get("error")) for r in records if r["status"] != "complete"]
    assert not failed, failed
    return records


def _stages(records, name):
    return [stage for record in records for stage in record["stages"] if stage["name"] == name]


def test_fine_tuning_keeps_every_epoch_and_reports_the_best_validation_one(harness_run, molecule_root, tmp_path):
    (record,) = _run(harness_run, molecule_root, tmp_path, [{"name": "none", "params": {**FAST, "epochs": 4}}], seeds=1, datasets=("bbbp",))
    curve = record["epoch_scores"]
    assert [point["epoch"] for point in curve] == [0, 1, 2, 3]
    best = max(curve, key=lambda point: point["valid"])  # the first of equals, as the method keeps it
    assert record["best_epoch"] == best["epoch"] and record["valid"] == best["valid"] and record["test"] == best["test"]
    assert record["stages"] == [] and record["extra"]["finetune_seconds_per_epoch"] > 0


def test_a_node_level_stage_is_shared_across_datasets_seeds_and_methods_and_rebuilt_when_its_parameters_change(harness_run, molecule_root, tmp_path):
    methods = [
        {"name": "attrmasking", "params": {**FAST, **NODE_LEVEL}},
        {"name": "attrmasking", "label": "attrmasking-0.3", "params": {**FAST, **NODE_LEVEL, "mask_rate": 0.3}},
        {"name": "attrmasking", "label": "attrmasking-longer-finetuning", "params": {**FAST, **NODE_LEVEL, "epochs": 3}},
        {"name": "supervised-pretrain", "params": {**FAST, **NODE_LEVEL, **SUPERVISED, "init": "attrmasking"}},
    ]
    records = _run(harness_run, molecule_root, tmp_path, methods)
    node_level = _stages(records, "pretrain-attrmasking")
    by_key = {}
    for stage in node_level:
        by_key.setdefault(stage["key"], []).append(stage["status"])
    # mask rate 0.15: 3 methods x 2 datasets x 2 seeds use one stage, built once; 0.3: another
    assert sorted(len(statuses) for statuses in by_key.values()) == [4, 12]
    assert all(statuses.count("built") == 1 for statuses in by_key.values())
    supervised = _stages(records, "pretrain-supervised")
    # one per downstream set (its held-out molecules differ), shared by its two seeds
    assert len({stage["key"] for stage in supervised}) == 2 and [s["status"] for s in supervised].count("built") == 2
    for record in records:
        assert [entry["strategy"] for entry in record["extra"]["pretraining"]] == (
            ["attrmasking", "supervised"] if record["cell"]["method"]["name"] == "supervised-pretrain" else ["attrmasking"])


@pytest.mark.parametrize("strategy", ["contextpred", "edgepred", "infomax", "l2p-gnn"])
def test_every_node_level_strategy_pretrains_and_fine_tunes(harness_run, molecule_root, tmp_path, strategy):
    (record,) = _run(harness_run, molecule_root, tmp_path, [{"name": strategy, "params": {**FAST, **NODE_LEVEL}}], seeds=1, datasets=("bace",))
    (stage,) = record["stages"]
    assert stage["name"] == f"pretrain-{strategy}" and stage["status"] == "built"
    (pretraining,) = record["extra"]["pretraining"]
    assert len(pretraining["losses"]) == 1 and pretraining["seconds_per_epoch"] > 0


def test_naive_multi_task_pretraining_starts_from_random_weights(harness_run, molecule_root, tmp_path):
    (record,) = _run(harness_run, molecule_root, tmp_path, [{"name": "supervised-pretrain", "params": {**FAST, **SUPERVISED}}], seeds=1, datasets=("bace",))
    assert [stage["name"] for stage in record["stages"]] == ["pretrain-supervised"]
    corpus = record["extra"]["labelled_corpus"]
    assert corpus["sources"]["bbbp"]["held_out"] > 0  # some of bace's valid and test molecules are in bbbp's training split
    assert "bace" not in corpus["sources"]  # leave-one-out: the downstream set is no source


# -- without the harness around it ---------------------------------------------------------------


class _Tripwire(dict):
    def __getitem__(self, key):
        raise AssertionError(f"the pre-training read downstream labels[{key!r}]")

    values = items = get = __getitem__


def _views(molecule_root):
    from harness_moleculenet import loader

    return {name: loader.load(name, str(molecule_root)).method_view() for name in ("bbbp", "bace")}


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    import harness.cache
    from harness.cache import ArtifactCache

    cache = ArtifactCache(tmp_path / "artifacts")
    monkeypatch.setattr(harness.cache, "_current", cache)
    return cache


def _gin(categorical, **params):
    from harness.registry import load_registry
    from harness.worker import BackboneFactory

    _, registry = load_registry(())
    return BackboneFactory(registry.get("backbone", "gin-mol"), {**TINY_GIN["params"], **params}, "graph-classification", categorical)


def test_supervised_pretraining_reads_no_downstream_label_holds_no_downstream_molecule_and_reports_progress(molecule_root, tmp_path, fresh_cache, monkeypatch):
    from harness.cell import Cell, ComponentRef
    from harness.context import RunContext
    from harness_pretraining import stages
    from harness_pretraining.gnn import Gnn
    from harness_pretraining.pretrain_loop import PretrainSettings

    views = _views(molecule_root)
    downstream = views["bace"]
    held = {downstream.raw["smiles"][i] for split in ("valid", "test") for i in downstream.items[split].tolist()}
    source_training = {views["bbbp"].raw["smiles"][i] for i in views["bbbp"].items["train"].tolist()}
    assert held & source_training  # planted: the source's training split holds downstream valid/test molecules
    corpora = []
    real = stages.labelled_corpus
    monkeypatch.setattr(stages, "labelled_corpus", lambda *args, **kwargs: corpora.append(real(*args, **kwargs)) or corpora[-1])
    downstream.labels = _Tripwire()
    cell = Cell(ComponentRef("bace"), ComponentRef("identity"), ComponentRef("gin-mol", TINY_GIN["params"]), ComponentRef("supervised-pretrain"), seed=0)
    progress = []
    context = RunContext(cell, fresh_cache, "cpu", None, load_task=lambda reference, params: views[reference["name"]],
                         epoch_finished=lambda cell, step, steps, metrics: progress.append((step, steps, sorted(metrics))))
    gnn = Gnn(_gin(downstream.categorical), cell.backbone.identity())
    references = [{"name": name, "params": {}, "version": "1"} for name in ("bbbp", "bace")]
    plan = stages.SupervisedPlan(references, 0, PretrainSettings(1, 16, 0.001), 0.2, 0)
    payload, summary = stages.supervised(context, gnn, plan, downstream, None)
    (corpus,) = corpora
    assert corpus.smiles and not held & set(corpus.smiles)
    assert summary["sources"]["bbbp"]["held_out"] == len(held & source_training)
    assert set(payload) >= {"gnn", "losses", "seconds"}
    assert progress == [(0, 1, ["supervised_loss"])] and context.curve == []  # shown, not in the cell's curve


def test_a_checkpoint_loads_into_the_fine_tuning_gnn_with_weights_only_and_other_shapes_are_refused(molecule_root, tmp_path, fresh_cache):
    from harness.checkpoints import CheckpointMismatch, checkpoint, load_checkpoint

    coding = _views(molecule_root)["bace"].categorical
    buffer = io.BytesIO()
    torch.save(checkpoint(_gin(coding, dropout=0.0)(2, 16)), buffer)  # as the cache stores a stage's payload
    state = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
    fine_tuned = _gin(coding, dropout=0.5)(2, 16)
    load_checkpoint(fine_tuned, state)
    assert all(torch.equal(fine_tuned.state_dict()[name], tensor) for name, tensor in state.items())
    with pytest.raises(CheckpointMismatch, match=r"the attrmasking checkpoint does not fit the GINMol.*convs\.0\.mlp\.0\.weight: checkpoint \(32, 16\), model \(64, 32\)"):
        load_checkpoint(_gin(coding, hidden=32)(2, 32), state, "the attrmasking checkpoint")


@pytest.mark.parametrize("change", [
    {"pretrain_epochs": 2}, {"pretrain_seed": 1}, {"pretrain_lr": 0.01}, {"pretrain_dropout": 0.1},
    {"pretrain_batch_size": 8}, {"corpus": {"name": "zinc", "params": {"size": 30}}},
])
def test_any_pretraining_parameter_rebuilds_the_stage_and_a_fine_tuning_one_does_not(harness_run, molecule_root, tmp_path, change):
    methods = [
        {"name": "edgepred", "label": "base", "params": {**FAST, **NODE_LEVEL}},
        {"name": "edgepred", "label": "changed", "params": {**FAST, **NODE_LEVEL, **change}},
        {"name": "edgepred", "label": "other-fine-tuning", "params": {**FAST, **NODE_LEVEL, "lr": 0.01}},
    ]
    records = _run(harness_run, molecule_root, tmp_path, methods, seeds=1, datasets=("bace",))
    stage = {record["cell"]["method"]["label"]: record["stages"][0] for record in records}
    assert stage["changed"]["key"] != stage["base"]["key"] == stage["other-fine-tuning"]["key"]
    assert stage["changed"]["status"] == "built" and sorted(s["status"] for s in stage.values()) == ["built", "built", "reused"]
