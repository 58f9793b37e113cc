"""Metrics are components: the built-in metrics come through the ``harness_metrics`` hook like a
plugin's, and a third-party metric is usable by a dataset, scored by the harness, ranked on the
leaderboard in its direction and accepted (or refused) in submissions from the same registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness import metrics
from harness.metrics import Metrics, UnknownMetric
from harness.plugins import PluginError
from harness.registry import load_registry

METRIC_PLUGIN = '''
"""A third-party metric (error rate, lower is better) and a dataset that names it."""

from harness import Component, Param, TaskType, hookimpl
from harness.metrics import metric


@hookimpl
def harness_metrics():
    return [metric("error", "harness_local_metric_plugin:ErrorRate", "Share of misclassified items.",
                   higher_is_better=False, display="error rate",
                   inputs="y_true class ids (n,); y_pred class scores (n, C)",
                   task_types={TaskType.NODE_CLASSIFICATION})]


@hookimpl
def harness_datasets():
    return [Component(kind="dataset", name="errors-node", factory="harness_local_metric_plugin:load",
                      doc="Two noisy classes on a ring, scored by error rate.",
                      task_types={TaskType.NODE_CLASSIFICATION},
                      params=(Param("num_nodes", "int", 60, "number of nodes", minimum=10),),
                      metadata={"metric": "error"})]


class ErrorRate:
    def __call__(self, y_true, y_pred):
        import torch

        return float((torch.as_tensor(y_pred).argmax(-1) != torch.as_tensor(y_true)).float().mean())


def load(root, num_nodes):
    import torch
    from torch_geometric.data import Data

    from harness.task import Task

    generator = torch.Generator().manual_seed(0)
    y = torch.arange(num_nodes) % 2
    x = y.float().view(-1, 1) + torch.randn(num_nodes, 4, generator=generator)
    ring = torch.stack([torch.arange(num_nodes), (torch.arange(num_nodes) + 1) % num_nodes])
    data = Data(x=x, edge_index=torch.cat([ring, ring.flip(0)], dim=1), y=y)
    order = torch.randperm(num_nodes, generator=generator)
    third = num_nodes // 3
    items = {"train": order[:third], "valid": order[third:2 * third], "test": order[2 * third:]}
    labels = {split: y[index] for split, index in items.items()}
    return Task(name="errors-node", task_type="node-classification", metric="error", num_outputs=2, data=data, items=items, labels=labels)
'''

BROKEN_DATASETS = '''
"""Datasets whose metric is not usable."""

from harness import Component, TaskType, hookimpl


@hookimpl
def harness_datasets():
    return [
        Component(kind="dataset", name="f1-node", factory="builtins:object", doc="Names an unregistered metric.",
                  task_types={TaskType.NODE_CLASSIFICATION}, metadata={"metric": "f1-macro"}),
        Component(kind="dataset", name="rmse-node", factory="builtins:object", doc="Names a regression metric.",
                  task_types={TaskType.NODE_CLASSIFICATION}, metadata={"metric": "rmse"}),
    ]
'''

BROKEN_METRIC = '''
"""A metric declared without its direction."""

from harness import Component, hookimpl


@hookimpl
def harness_metrics():
    return [Component(kind="metric", name="undirected", factory="builtins:len", doc="No direction.", metadata={"inputs": "anything"})]
'''


@pytest.fixture(autouse=True)
def _keep_installed_metrics(monkeypatch):
    """Tests here install registries with extra plugins; later tests get the previous one back."""
    monkeypatch.setattr(metrics, "_installed", metrics._installed)


@pytest.fixture
def metric_plugin(tmp_path) -> Path:
    path = tmp_path / "metric_plugin.py"
    path.write_text(METRIC_PLUGIN)
    return path


def test_built_in_metrics_come_through_the_hook_of_the_internal_plugin():
    plugins, registry = load_registry()
    assert plugins.info("harness.metrics") is not None
    expected = {"acc", "rocauc", "ap", "rmse", "mae", "hits", "mrr", "recall", "ndcg"}
    assert expected <= set(registry.names("metric"))
    assert {registry.owners[("metric", name)] for name in expected} == {"harness.metrics"}
    assert [p for p in registry.problems if "metric" in p] == []  # every built-in dataset names a registered metric


def test_references_resolve_with_their_parameter():
    _, registry = load_registry()
    known = Metrics(registry)
    spec = known.spec("hits@50")
    assert (spec.name, dict(spec.params), spec.higher_is_better, spec.display) == ("hits", {"k": 50}, True, "hits@50")
    assert known.higher_is_better("rmse") is False and known.display("acc") == "acc"
    for bad, says in [("hits", "needs @K"), ("hits@0", "at least 1"), ("hits@07", "leading zeros"), ("acc@1", "takes no @"), ("accuracy", "did you mean 'acc'")]:
        with pytest.raises(UnknownMetric, match=says):
            known.spec(bad)


def test_a_metric_factory_is_imported_only_when_a_score_is_computed():
    from harness.metrics import metric

    component = metric("later", "no_such_module_anywhere:Score", "Imported late.", higher_is_better=True, inputs="any", task_types={"node-classification"})
    evaluator = metrics.MetricSpec("later", component, {}).evaluator()  # declaring and resolving import nothing
    with pytest.raises(ModuleNotFoundError, match="no_such_module_anywhere"):
        evaluator([0], [[1.0]])


def test_the_fork_server_imports_scikit_learn_only_for_grids_whose_metrics_use_it(tmp_path):
    """A grid of accuracy datasets does not pay scikit-learn's 0.7 s import; one with a ROC-AUC
    dataset has the fork server import it once."""
    import yaml

    from harness.grid import load_grid
    from harness.runner import component_modules

    _, registry = load_registry()
    assert "sklearn.metrics" in registry.get("metric", "rocauc").metadata["imports"]
    modules = {}
    for metric_name, dataset in (("acc", "synthetic-node"), ("rocauc", "synthetic-graph")):
        assert registry.get("dataset", dataset).metadata["metric"] == metric_name
        path = tmp_path / f"{dataset}.yaml"
        path.write_text(yaml.safe_dump({"name": dataset, "seeds": [0], "datasets": [dataset], "backbones": ["gcn"], "methods": ["supervised"]}))
        modules[metric_name] = component_modules(load_grid(path, registry).cells, registry)
    assert "sklearn.metrics" not in modules["acc"] and "harness_pyg_backbones.stack" in modules["acc"]
    assert "sklearn.metrics" in modules["rocauc"]


def test_importing_the_registry_of_metrics_does_not_import_torch():
    code = "import sys, harness.metrics; from harness.registry import load_registry; load_registry(); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def test_a_dataset_naming_an_unusable_metric_is_a_registry_problem(tmp_path):
    path, metric_path = tmp_path / "broken_datasets.py", tmp_path / "broken_metric.py"
    path.write_text(BROKEN_DATASETS)
    metric_path.write_text(BROKEN_METRIC)
    _, registry = load_registry([path, metric_path])
    problems = "\n".join(registry.problems)
    assert "dataset 'f1-node'" in problems and "unknown metric 'f1-macro'" in problems and "valid: acc" in problems
    assert "dataset 'rmse-node'" in problems and "node-classification task, but metric 'rmse' applies to graph-regression" in problems
    assert "metric 'undirected'" in problems and "higher_is_better" in problems
    with pytest.raises(PluginError, match="f1-macro"):
        load_registry([path], strict=True)
    done = subprocess.run([sys.executable, "-m", "harness", "list", "datasets", "--plugin", str(path), "--strict-plugins"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "f1-macro" in done.stderr and "Traceback" not in done.stderr


def test_a_task_naming_an_unregistered_or_unfit_metric_is_refused(tiny_task):
    import dataclasses

    task = tiny_task("node-classification")
    with pytest.raises(ValueError, match=r"unknown metric 'f1-macro'; valid: .*acc"):
        dataclasses.replace(task, metric="f1-macro", evaluator=None)
    with pytest.raises(ValueError, match="metric 'rmse' does not apply to a node-classification task"):
        dataclasses.replace(task, metric="rmse", evaluator=None)


def test_a_datasets_own_evaluator_must_compute_the_tasks_metric(tiny_task):
    import dataclasses

    class OtherBenchmark:
        metric = "rocauc"

        def __call__(self, y_true, y_pred):
            return 0.5

    task = tiny_task("node-multilabel")
    own = dataclasses.replace(task, evaluator=OtherBenchmark())
    assert own.score("test", own.labels["test"]) == 0.5 and own.higher_is_better is True
    with pytest.raises(ValueError, match="computes 'rocauc', but the task's metric is 'ap'"):
        dataclasses.replace(task, metric="ap", evaluator=OtherBenchmark())


@pytest.mark.slow
def test_a_third_party_metric_is_used_by_a_dataset_and_ranked_in_its_direction(harness_run, metric_plugin, tmp_path):
    from harness.leaderboard import build_tables, rank, render

    grid = {
        "name": "third-party-metric",
        "seeds": [0, 1],
        "datasets": ["errors-node"],
        "backbones": ["mlp", "gcn"],
        "methods": [{"name": "supervised", "params": {"epochs": 5, "patience": 0}}],
        "defaults": {"backbones": {"hidden": 8}},
    }
    _, records = harness_run(grid, plugin_files=[metric_plugin])
    assert len(records) == 4 and all(r["status"] == "complete" for r in records), [r.get("error") for r in records]
    for record in records:
        assert (record["metric"], record["higher_is_better"]) == ("error", False)
        assert record["metrics"]["test"] == {"error": record["test"]} and 0.0 <= record["test"] <= 1.0
        record["higher_is_better"] = True  # the registry, not what a record says, gives the direction

    subs = tmp_path / "subs" / "errors-node"
    subs.mkdir(parents=True)
    (subs / "perfect.yaml").write_text("method: Perfect\ntest: 0.0\nsource: a test\nmetric: error\n")
    tables = build_tables(records, tmp_path / "subs")
    metric, higher, rows = tables["errors-node"]
    assert (metric, higher) == ("error", False)
    ordered = rank(rows, higher)
    assert ordered[0].method == "Perfect" and [r.test.mean for r in ordered] == sorted(r.test.mean for r in ordered)
    md_path, _ = render("errors-node", metric, higher, rows, tmp_path / "boards")
    text = md_path.read_text()
    assert "Metric: error rate (lower is better)" in text and "Test error rate" in text


def _leaderboard(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", "leaderboard", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_an_unknown_metric_in_a_submission_exits_2_with_the_valid_choices(tmp_path, metric_plugin):
    (tmp_path / "results").mkdir()
    subs = tmp_path / "subs" / "cora"
    subs.mkdir(parents=True)
    entry = subs / "gcn.yaml"
    entry.write_text("method: GCN\ntest: 0.81\nsource: a paper\nmetric: acuracy\n")
    common = ["--results-dir", str(tmp_path / "results"), "--out", str(tmp_path / "boards"), "--submissions", str(tmp_path / "subs")]
    done = _leaderboard(*common, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "gcn.yaml" in done.stderr
    assert "unknown metric 'acuracy'" in done.stderr and "valid: acc, ap, hits@K" in done.stderr and "did you mean 'acc'" in done.stderr
    assert not (tmp_path / "boards").exists()

    entry.write_text("method: GCN\ntest: 0.19\nsource: a paper\nmetric: error\n")  # registered only by the plugin
    assert _leaderboard(*common, cwd=tmp_path).returncode == 2
    done = _leaderboard(*common, "--plugin", str(metric_plugin), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "lower is better" in (tmp_path / "boards" / "cora.md").read_text()


def test_submitted_entries_join_the_table_of_their_metric(tmp_path):
    from leaderboard_records import records_for

    from harness.leaderboard import build_tables

    subs = tmp_path / "subs" / "toy"
    subs.mkdir(parents=True)
    (subs / "_dataset.yaml").write_text("metric: acc\n")
    (subs / "a.yaml").write_text("method: A\ntest: 0.7\nsource: s\n")
    (subs / "b.yaml").write_text("method: B\ntest: 0.9\nsource: s\nmetric: rocauc\n")
    tables = build_tables(records_for([0.6, 0.61], dataset="toy"), tmp_path / "subs")
    assert set(tables) == {"toy", "toy-rocauc"}
    assert [row.method for row in tables["toy"][2]] == ["supervised + gcn", "A"]
    assert tables["toy-rocauc"][:2] == ("rocauc", True) and [row.method for row in tables["toy-rocauc"][2]] == ["B"]
