"""The component contracts live in harness.contracts, and everything agrees with them: the hook
docstrings and the plugin docs say the same, the runner calls an executor exactly as declared,
and every built-in component conforms."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness import contracts, hookimpl, hookspecs
from harness.contracts import (
    BackboneComponentFactory,
    DatasetFactory,
    Encoder,
    Executor,
    ExecutorFactory,
    Method,
    problems,
)

REPO = Path(__file__).resolve().parent.parent
SMALL_GRID = {
    "seeds": [0, 1],
    "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
    "backbones": ["mlp"],
    "methods": [{"name": "supervised", "params": {"epochs": 3, "patience": 0}}],
}


def _parameter_names(function) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name != "self"]


def test_importing_the_contracts_imports_no_torch():
    code = "import sys, harness.contracts; assert 'torch' not in sys.modules, 'torch was imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_encoder_contract_is_the_one_base_class():
    from harness.encoder import Encoder as base

    assert Encoder is base


def test_the_task_types_resolve_from_the_contracts():
    from harness.task import Predictions, Task, TaskView

    assert (contracts.Task, contracts.TaskView, contracts.Predictions) == (Task, TaskView, Predictions)


# -- the executor contract says one thing ----------------------------------------------------------


def test_hook_docstring_docs_and_protocol_give_the_same_executor_call(repo):
    """The defect: the docstring said map(function, cells), the docs map(function, cells,
    started), the runner passed started by keyword."""
    declared = _parameter_names(Executor.map)
    assert declared == ["function", "cells", "started"]
    docstring = inspect.getdoc(hookspecs.harness_executors)
    section = (repo / "docs" / "plugin_hooks.md").read_text().split("## harness_executors", 1)[1].split("\n## ", 1)[0]
    for source, text in (("hookspec docstring", docstring), ("docs/plugin_hooks.md", section)):
        calls = {tuple(p.strip() for p in args.split(",") if p.strip() != "self") for args in re.findall(r"map\(([^)]*)\)", text)}
        assert calls == {tuple(declared)}, f"the {source} describes map as {calls}, the contract as {declared}"
        assert "harness.contracts.Executor" in text, f"the {source} does not point to the contract"


class StrictExecutor:
    """Written from the Protocol alone: exactly its signature, no defaults."""

    def __init__(self):
        self.started = []

    def map(self, function, cells, started):
        for cell in cells:
            started(cell)
            self.started.append(cell)
            yield cell, function(cell)


class PositionalExecutor(StrictExecutor):
    """The same, with the parameters positional-only: the runner must call map positionally,
    as the contract says (the old runner passed ``started=`` by keyword)."""

    def map(self, function, cells, started, /):
        return super().map(function, cells, started)


def _run_with(executor, tmp_path):
    from harness.grid import load_grid
    from harness.registry import load_registry
    from harness.runner import run_grid
    from harness.settings import RunSettings

    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(SMALL_GRID))
    plugins, registry = load_registry()
    seen = []

    class Observer:
        @hookimpl
        def harness_run_started(self, cell):
            seen.append(cell)

    plugins.register_observer(Observer(), "observer")
    settings = RunSettings(results_dir=str(tmp_path / "results"), cache_dir=str(tmp_path / "cache"), data_root=str(tmp_path / "data"))
    grid = load_grid(path, registry)
    summary = run_grid(grid, settings, plugins, registry, executor)
    return grid, summary, seen


@pytest.mark.parametrize("executor_class", [StrictExecutor, PositionalExecutor])
def test_an_executor_written_from_the_protocol_runs_a_grid(tmp_path, executor_class):
    executor = executor_class()
    assert isinstance(executor, Executor) and problems(executor, Executor) == []
    grid, summary, seen = _run_with(executor, tmp_path)
    assert summary.ran == summary.complete == len(grid.cells) == 2
    # started is the runner's: handing a cell over reaches the observers' harness_run_started
    assert [c.id for c in executor.started] == [c.id for c in seen] == [c.id for c in grid.cells]


def test_problems_names_what_does_not_match_the_contract():
    class FromTheOldDocstring:
        def map(self, function, cells):
            yield from ()

    class Renamed:
        def map(self, job, cells, started):
            yield from ()

    class ExtraRequired:
        def map(self, function, cells, started, retries):
            yield from ()

    class Compatible:
        def map(self, function, cells, started, retries=0):
            yield from ()

    assert problems(FromTheOldDocstring(), Executor) == [
        "test_problems_names_what_does_not_match_the_contract.<locals>.FromTheOldDocstring.map(function, cells): "
        "missing parameter 'started'; the contract is map(function, cells, started)"
    ]
    assert "parameter 1 is 'job', expected 'function'" in problems(Renamed(), Executor)[0]
    assert "extra required parameter 'retries'" in problems(ExtraRequired(), Executor)[0]
    assert problems(Compatible(), Executor) == []
    assert "has no method map()" in problems(object(), Executor)[0]


# -- every built-in component conforms ------------------------------------------------------------


def _built_in(registry, kind):
    """(name, loaded factory) of every component of ``kind`` declared by a built-in plugin and
    available here (the DGL backbones are checked in the DGL lane)."""
    from harness.registry import load_registry

    plugins, _ = load_registry()
    built_in = {info.name for info in plugins.loaded if info.distribution == "graph-harness" or info.distribution.startswith("harness-")}
    return [(name, registry.get(kind, name).load()) for name in registry.names(kind)
            if registry.owners[(kind, name)] in built_in and not registry.get(kind, name).unavailable]


def test_every_built_in_executor_conforms(harness_registry):
    executors = _built_in(harness_registry, "executor")
    assert {name for name, _ in executors} >= {"local", "pool"}
    # the slurm executor refuses to be built where sbatch is absent; its local cluster is the same class
    here = {"slurm": {"cluster": "local"}}
    for name, factory in executors:
        assert problems(factory, ExecutorFactory) == [], name
        executor = factory(**here.get(name, {}))
        assert isinstance(executor, Executor), name
        assert problems(executor, Executor) == [], name


def test_every_built_in_method_conforms(harness_registry):
    methods = _built_in(harness_registry, "method")
    assert len(methods) >= 7
    for name, factory in methods:
        assert inspect.isclass(factory), f"method {name}: the factory should be a class whose instances run"
        assert problems(factory, Method) == [], name


def test_every_built_in_encoder_is_an_encoder(harness_registry):
    encoders = _built_in(harness_registry, "encoder")
    assert {name for name, _ in encoders} >= {"identity", "lm"}
    for name, factory in encoders:
        assert inspect.isclass(factory) and issubclass(factory, Encoder), f"encoder {name} does not subclass harness.encoder.Encoder"


def test_every_built_in_backbone_and_dataset_factory_conforms(harness_registry):
    for kind, protocol in (("backbone", BackboneComponentFactory), ("dataset", DatasetFactory)):
        components = _built_in(harness_registry, kind)
        assert components, kind
        for name, factory in components:
            assert problems(factory, protocol) == [], f"{kind} {name}"


def test_the_backbone_a_method_receives_conforms(harness_registry):
    from harness.worker import BackboneFactory

    gcn = harness_registry.get("backbone", "gcn")
    backbone = BackboneFactory(gcn, {**gcn.defaults(), "hidden": 8}, "node-classification")
    assert isinstance(backbone, contracts.BackboneFactory)
    assert problems(backbone, contracts.BackboneFactory) == []
    module = backbone(4, 3)
    assert sum(p.numel() for p in module.parameters()) > 0
