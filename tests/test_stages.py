"""Stages: a method's earlier stage is declared, and the harness derives its key (owner's name
and version, the stage's parameters, the identities of the datasets it reads, the components it
uses, its seed), builds it once, and lists it in every record that used it. One version per
component: bumping it changes the component's cell ids and every key it owns."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

STAGE_PLUGIN = Path(__file__).parent / "helpers" / "stage_plugin.py"
DOWNSTREAM = [{"name": "synthetic-node", "params": {"num_nodes": 120}}, {"name": "synthetic-multilabel", "params": {"num_nodes": 120}}]


def _grid(methods, seeds=3, datasets=DOWNSTREAM):
    return {"name": "stages", "seeds": seeds, "datasets": datasets, "encoders": ["toy-encoder"], "backbones": ["mlp"], "methods": methods}


def _method(counter, label=None, **params):
    entry = {"name": "pretrain-finetune", "params": {"counter_file": str(counter), **params}}
    return {**entry, "label": label} if label else entry


def _stage(record, name="pretrain") -> dict:
    (stage,) = [stage for stage in record["stages"] if stage["name"] == name]
    return stage


def test_a_pretraining_stage_is_built_once_per_stage_seed(harness_run, tmp_path):
    counter = tmp_path / "builds.txt"
    methods = [_method(counter, "pretrain-0", pretrain_seed=0), _method(counter, "pretrain-1", pretrain_seed=1)]
    _, records = harness_run(_grid(methods), plugin_files=[STAGE_PLUGIN])
    assert len(records) == 2 * 3 * 2 and all(r["status"] == "complete" for r in records), [r.get("error") for r in records]
    assert counter.read_text().count("built") == 2  # 2 datasets x 3 seeds share each pre-training seed's stage
    by_seed = {0: [], 1: []}
    for record in records:
        by_seed[record["cell"]["method"]["params"]["pretrain_seed"]].append(record)
    keys = set()
    for seed, group in by_seed.items():
        stages = [_stage(r) for r in group]
        assert len({s["key"] for s in stages}) == 1
        assert sorted(s["status"] for s in stages) == ["built"] + ["reused"] * 5
        keys.add(stages[0]["key"])
        # the payload follows the stage's seed, not the seed of the cell that happened to build it
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            expected = torch.rand(3).tolist()
        assert all(r["extra"]["weights"] == pytest.approx(expected) for r in group)
    assert len(keys) == 2


def test_what_follows_a_stage_draws_the_same_whether_it_was_built_or_reused(harness_run, tmp_path):
    counter = tmp_path / "builds.txt"
    grid = _grid([_method(counter)], seeds=2, datasets=DOWNSTREAM[:1])
    cache = str(tmp_path / "shared-cache")
    _, fresh = harness_run(grid, plugin_files=[STAGE_PLUGIN], results_dir=str(tmp_path / "a"), cache_dir=cache)
    _, again = harness_run(grid, plugin_files=[STAGE_PLUGIN], results_dir=str(tmp_path / "b"), cache_dir=cache)
    assert [_stage(r)["status"] for r in sorted(again, key=lambda r: r["seed"])] == ["reused", "reused"]
    assert sorted((r["seed"], r["extra"]["after"]) for r in fresh) == sorted((r["seed"], r["extra"]["after"]) for r in again)
    assert counter.read_text().count("built") == 1


def test_the_key_follows_the_stage_declaration_and_nothing_downstream(harness_run, tmp_path):
    counter = tmp_path / "builds.txt"
    variants = {
        "base": {},
        "stage-param": {"pretrain_epochs": 3},
        "corpus-params": {"corpus_nodes": 150},
        "corpus": {"corpus": "synthetic-multilabel"},
        "stage-seed": {"pretrain_seed": 1},
        "downstream-param": {"head_scale": 2.0},
    }
    methods = [_method(counter, label, **params) for label, params in variants.items()]
    _, records = harness_run(_grid(methods, seeds=2), plugin_files=[STAGE_PLUGIN])
    assert all(r["status"] == "complete" for r in records), [r.get("error") for r in records]
    keys = {}
    for record in records:
        keys.setdefault(record["cell"]["method"]["label"], set()).add(_stage(record)["key"])
    # neither the cell's seed, nor its dataset, nor a downstream-only parameter changes the key
    assert all(len(found) == 1 for found in keys.values()), keys
    keys = {label: found.pop() for label, found in keys.items()}
    assert keys["downstream-param"] == keys["base"]
    changed = [label for label in variants if label not in ("base", "downstream-param")]
    assert len({keys[label] for label in changed} | {keys["base"]}) == len(changed) + 1


def _bumped_plugin(folder: Path, constant: str) -> Path:
    """A copy of the stage plugin with one version bumped (same module name, so it replaces it)."""
    folder.mkdir()
    text = STAGE_PLUGIN.read_text()
    assert f'{constant} = "1"' in text
    path = folder / STAGE_PLUGIN.name
    path.write_text(text.replace(f'{constant} = "1"', f'{constant} = "2"'))
    return path


@pytest.mark.parametrize("bumped, owned, kept", [("METHOD_VERSION", "pretrain", "encoder-output"), ("ENCODER_VERSION", "encoder-output", "pretrain")])
def test_bumping_a_version_changes_cell_ids_and_every_key_the_component_owns(harness_run, tmp_path, bumped, owned, kept):
    grid = _grid([_method(tmp_path / "builds.txt")], seeds=1, datasets=DOWNSTREAM[:1])
    _, (before,) = harness_run(grid, plugin_files=[STAGE_PLUGIN], results_dir=str(tmp_path / "a"))
    plugin = _bumped_plugin(tmp_path / "bumped", bumped)
    _, (after,) = harness_run(grid, plugin_files=[plugin], results_dir=str(tmp_path / "b"))
    assert before["cell_id"] != after["cell_id"]
    assert _stage(after, owned)["key"] != _stage(before, owned)["key"] and _stage(after, owned)["status"] == "built"
    assert _stage(after, kept) == {**_stage(before, kept), "status": "reused"}  # another component's stage is untouched


def test_every_ne_method_has_one_version_at_least_its_old_cache_version(harness_registry):
    """The NE methods once kept a second, module-level VERSION for their cache keys (GIANT 3,
    finetuned 2) while their cell ids said 1: old GIANT records were served as current."""
    import importlib

    old_cache_versions = {"giant": 3, "finetuned": 2, "ld": 1}
    for name in ("fixed", "finetuned", "giant", "glem", "ld", "joint"):
        component = harness_registry.get("method", name)
        module = importlib.import_module(component.factory.split(":")[0])
        assert not hasattr(module, "VERSION"), f"{name}: a second version beside the component's"
        assert int(component.version) >= old_cache_versions.get(name, 1)
    assert int(harness_registry.get("method", "giant").version) > 1 and int(harness_registry.get("method", "finetuned").version) > 1


def test_a_stage_declaration_is_checked(tmp_path):
    from harness.cache import ArtifactCache
    from harness.cell import Cell, ComponentRef
    from harness.context import RunContext

    cell = Cell(*(ComponentRef(name) for name in ("d", "identity", "mlp", "m")), seed=0)
    context = RunContext(cell, ArtifactCache(tmp_path), "cpu", None, load_task=None, epoch_finished=None)
    build = lambda: {"x": torch.zeros(1)}
    with pytest.raises(ValueError, match="owner"):
        context.stage("s", build, params={}, owner="backbone")
    with pytest.raises(ValueError, match="uses"):
        context.stage("s", build, params={}, uses=["dataset"])
    with pytest.raises(TypeError, match="seed"):
        context.stage("s", build, params={}, seed="0")
    with pytest.raises(TypeError, match="params"):
        context.stage("s", build, params=[1, 2])
    assert context.stages == []
    context.stage("s", build, params={"a": 1})
    context.stage("s", build, params={"a": 1})
    assert [s["status"] for s in context.stages] == ["built"]  # listed once per cell


def test_methods_of_one_family_share_a_stage_that_other_methods_do_not(tmp_path):
    from harness.cache import ArtifactCache
    from harness.cell import Cell, ComponentRef
    from harness.context import RunContext

    cache = ArtifactCache(tmp_path)

    def context_of(method: str, version: str = "1") -> RunContext:
        cell = Cell(ComponentRef("d"), ComponentRef("identity"), ComponentRef("mlp"), ComponentRef(method, version=version), seed=0)
        return RunContext(cell, cache, "cpu", None, load_task=None, epoch_finished=None)

    build = lambda: {"x": torch.rand(2)}  # noqa: E731
    first = context_of("attrmasking")
    payload = first.stage("node-level", build, params={"strategy": "attrmasking"}, family="hu-pretraining")
    second = context_of("supervised-pretrain")
    assert torch.equal(second.stage("node-level", build, params={"strategy": "attrmasking"}, family="hu-pretraining")["x"], payload["x"])
    assert second.stages[0]["status"] == "reused" and second.stages[0]["key"] == first.stages[0]["key"]
    unshared = context_of("supervised-pretrain")
    unshared.stage("node-level", build, params={"strategy": "attrmasking"})
    newer = context_of("supervised-pretrain", version="2")
    newer.stage("node-level", build, params={"strategy": "attrmasking"}, family="hu-pretraining")
    assert unshared.stages[0]["status"] == newer.stages[0]["status"] == "built"
    with pytest.raises(ValueError, match="family"):
        first.stage("node-level", build, params={}, owner="encoder", family="hu-pretraining")
