"""Fixtures for people who write harness plugins (registered through ``pytest11``).

- ``harness_registry``: a registry built by a fresh plugin manager (entry points loaded anew).
- ``harness_results_dir``: an empty results folder under ``tmp_path``.
- ``tiny_task``: ``tiny_task(task_type)`` gives a small seeded task of that family from the
  built-in synthetic datasets (``node-classification``, ``node-multilabel``,
  ``graph-classification``, ``graph-regression``, ``link-prediction``, ``link-ranking``).
- ``harness_run``: ``harness_run(grid_dict, plugin_files=())`` runs a grid given as a dict in a
  temporary folder with the local executor and returns ``(summary, records)``.

Importing this module does not import torch.
"""

from __future__ import annotations

import pytest

TINY_DATASETS = {
    "node-classification": ("synthetic-node", {"num_nodes": 120}),
    "node-multilabel": ("synthetic-multilabel", {"num_nodes": 120}),
    "graph-classification": ("synthetic-graph", {"num_graphs": 40}),
    "graph-regression": ("synthetic-graph-regression", {"num_graphs": 40}),
    "link-prediction": ("synthetic-link", {"num_nodes": 120}),
    "link-ranking": ("synthetic-ranking", {"num_nodes": 120}),
}


@pytest.fixture
def harness_registry():
    from harness.registry import load_registry

    _, registry = load_registry()
    return registry


@pytest.fixture
def harness_results_dir(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    return folder


@pytest.fixture
def tiny_task(harness_registry):
    def make(task_type: str, seed: int = 0):
        if task_type not in TINY_DATASETS:
            raise ValueError(f"unknown task type {task_type!r}; valid: {', '.join(TINY_DATASETS)}")
        name, params = TINY_DATASETS[task_type]
        if name not in harness_registry.components["dataset"]:
            pytest.skip(f"the built-in synthetic datasets (harness-synthetic) are not installed; {name!r} is missing")
        component = harness_registry.get("dataset", name)
        return component.load()(root=".", **{**component.defaults(), **params, "seed": seed})

    return make


@pytest.fixture
def harness_run(tmp_path):
    def run(grid: dict, plugin_files=(), **settings):
        """Run ``grid`` (with isolation unless ``isolate=False``, for a test that patches
        this process); returns the run summary and the records."""
        import yaml

        from harness import metrics
        from harness.executors import LocalExecutor
        from harness.grid import load_grid
        from harness.registry import load_registry
        from harness.runner import run_grid
        from harness.settings import RunSettings
        from harness.store import ResultStore

        path = tmp_path / "grid.yaml"
        path.write_text(yaml.safe_dump(grid))
        plugins, registry = load_registry(plugin_files)
        metrics.use(registry)  # as the CLI does: tables built from the records resolve their metrics here
        defaults = {"results_dir": str(tmp_path / "results"), "cache_dir": str(tmp_path / "cache"), "data_root": str(tmp_path / "data"), "plugin_files": tuple(str(p) for p in plugin_files)}
        run_settings = RunSettings(**{**defaults, **settings})
        summary = run_grid(load_grid(path, registry), run_settings, plugins, registry, LocalExecutor())
        return summary, list(ResultStore(run_settings.results_dir).records())

    return run
