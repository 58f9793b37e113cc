"""Dataset references and groups: a component parameter of type ``dataset``/``datasets`` is
validated like a dataset name, preflighted like the cell's dataset, part of the cell id, and
loaded with test labels hidden; a grid's ``groups`` serve as references and as the dataset axis."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from harness.components import Param
from harness.grid import GridError, load_grid
from harness.registry import load_registry
from harness.runner import PreflightError, preflight
from harness.settings import RunSettings

PLUGIN = Path(__file__).parent / "helpers" / "reference_plugin.py"
NODE = {"name": "synthetic-node", "params": {"num_nodes": 120}}
GRAPH = {"name": "synthetic-graph", "params": {"num_graphs": 40}}


@pytest.fixture(scope="module")
def registry():
    return load_registry([str(PLUGIN)])[1]


def _grid(tmp_path, method_params=None, **top):
    grid = {"seeds": [0], "datasets": [NODE], "backbones": ["mlp"], "methods": [{"name": "pretrainer", "params": method_params or {}}], **top}
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(grid))
    return path


def _problems(tmp_path, registry, method_params=None, **top) -> str:
    with pytest.raises(GridError) as error:
        load_grid(_grid(tmp_path, method_params, **top), registry)
    return str(error.value)


def _reference(grid, param="corpus"):
    (cell,) = grid.cells
    return cell.method.params[param]


def test_param_types_check_the_shape_of_references():
    one, several = Param("corpus", "dataset", None, "", nullable=True), Param("group", "datasets", None, "", nullable=True)
    assert one.problem("zinc") is None and one.problem({"name": "zinc", "params": {"size": 5}}) is None
    assert "must be a dataset name" in one.problem(["zinc"])
    assert "unknown: size" in one.problem({"name": "zinc", "size": 5})
    assert several.problem(["cora", {"name": "zinc"}]) is None and several.problem("a-group") is None
    assert "name or a {name, params} mapping" in several.problem(["cora", 3])


def test_misspelled_corpus_reference_exits_2_naming_key_choices_and_closest_match(tmp_path):
    grid = _grid(tmp_path, {"corpus": "synthetic-grahp"})
    done = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", str(grid), "--plugin", str(PLUGIN), "--results-dir", "results"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "methods[0].params.corpus: unknown dataset 'synthetic-grahp'; valid: " in done.stderr
    assert "synthetic-node" in done.stderr and "did you mean 'synthetic-graph'?" in done.stderr
    assert not (tmp_path / "results").exists()


def test_reference_params_and_list_items_are_checked_with_their_key_paths(tmp_path, registry):
    text = _problems(tmp_path, registry, {"corpus": {"name": "synthetic-graph", "params": {"num_graph": 50}}, "train_on": ["synthetic-node", {"name": "synthetic-lnk"}]})
    assert "methods[0].params.corpus.params.num_graph: unknown parameter of dataset 'synthetic-graph'" in text and "did you mean 'num_graphs'?" in text
    assert "methods[0].params.train_on[1].name: unknown dataset 'synthetic-lnk'" in text and "did you mean 'synthetic-link'?" in text
    text = _problems(tmp_path, registry, defaults={"methods": {"corpus": "synthetic-nod"}})
    assert "defaults.methods.corpus: unknown dataset 'synthetic-nod'" in text


def test_reference_resolves_to_the_identity_and_carries_options_apart(tmp_path, registry):
    grid = load_grid(_grid(tmp_path, {"corpus": {"name": "zinc", "params": {"size": 50}}}), registry)
    zinc = registry.get("dataset", "zinc")
    expected = {"name": "zinc", "params": {**{k: v for k, v in zinc.defaults().items() if k != "download"}, "size": 50}, "version": zinc.version}
    assert _reference(grid) == expected
    (cell,) = grid.cells
    assert cell.config()["method"]["params"]["corpus"] == expected  # in the id
    with_download = load_grid(_grid(tmp_path, {"corpus": {"name": "zinc", "params": {"size": 50, "download": True}}}), registry)
    (other,) = with_download.cells
    assert other.id == cell.id  # an operational option is not part of the identity
    assert other.method.arguments()["corpus"] == {**expected, "options": {"download": True}}


def test_cell_ids_change_with_the_referenced_dataset_params_and_version(tmp_path, registry):
    def cell_id(params, reg=registry):
        (cell,) = load_grid(_grid(tmp_path, {"corpus": {"name": "synthetic-graph", "params": params}}), reg).cells
        return cell.id

    base = cell_id({"num_graphs": 40})
    assert cell_id({"num_graphs": 40}) == base
    assert cell_id({"num_graphs": 50}) != base
    assert cell_id({}) != base
    bumped = replace(registry, components={**registry.components, "dataset": dict(registry.components["dataset"])})
    bumped.components["dataset"]["synthetic-graph"] = replace(registry.get("dataset", "synthetic-graph"), version="99")
    assert cell_id({"num_graphs": 40}, bumped) != base


def test_an_unset_reference_stays_null(tmp_path, registry):
    (cell,) = load_grid(_grid(tmp_path), registry).cells
    assert cell.method.params == {"corpus": None, "train_on": None}


def test_a_missing_referenced_dataset_stops_the_grid_in_preflight(tmp_path, registry):
    grid = load_grid(_grid(tmp_path, {"corpus": {"name": "zinc", "params": {"size": 10}}}), registry)
    settings = RunSettings(results_dir=str(tmp_path / "results"), data_root=str(tmp_path / "empty"))
    with pytest.raises(PreflightError, match=r"dataset 'zinc' \(referenced by method 'pretrainer', parameter 'corpus'\): .*train\.csv\.gz"):
        preflight(grid, registry, settings)


def test_missing_referenced_dataset_exits_2_before_anything_runs(tmp_path):
    grid = _grid(tmp_path, {"train_on": [{"name": "zinc", "params": {"size": 10}}]})
    done = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", str(grid), "--plugin", str(PLUGIN), "--results-dir", "results",
                           "--data-root", str(tmp_path / "empty"), "--cache-dir", "cache"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "nothing was run" in done.stderr and "dataset 'zinc' (referenced by method 'pretrainer', parameter 'train_on')" in done.stderr
    assert not (tmp_path / "results").exists()


def test_the_method_sees_referenced_datasets_without_test_labels(harness_run):
    grid = {"seeds": [0], "datasets": [NODE], "backbones": ["mlp"],
            "methods": [{"name": "pretrainer", "params": {"corpus": GRAPH, "train_on": ["synthetic-node", NODE]}}]}
    summary, (record,) = harness_run(grid, plugin_files=(PLUGIN,))
    assert record["status"] == "complete", record.get("traceback")
    seen = record["extra"]["seen"]
    assert [s["reference"]["name"] for s in seen] == ["synthetic-graph", "synthetic-node", "synthetic-node"]
    assert all(s["test_labels_readable"] is False for s in seen)
    assert seen[0]["graphs_have_y"] is False and seen[1]["data_has_y"] is False
    assert [s["identity"] for s in seen] == [s["reference"] for s in seen]  # the identity the cell id holds


def test_groups_expand_on_the_dataset_axis_and_as_references(tmp_path, registry):
    groups = {"nodes": ["synthetic-node", {"name": "synthetic-multilabel", "params": {"num_nodes": 60}}]}
    grid = load_grid(_grid(tmp_path, {"train_on": "nodes"}, groups=groups, datasets=["nodes"]), registry)
    assert [cell.dataset.name for cell in grid.cells] == ["synthetic-node", "synthetic-multilabel"]
    members = grid.cells[0].method.params["train_on"]
    assert [m["name"] for m in members] == ["synthetic-node", "synthetic-multilabel"] and members[1]["params"]["num_nodes"] == 60
    in_a_list = load_grid(_grid(tmp_path, {"train_on": ["nodes", "synthetic-graph"]}, groups=groups), registry)
    assert [m["name"] for m in in_a_list.cells[0].method.params["train_on"]] == ["synthetic-node", "synthetic-multilabel", "synthetic-graph"]
    excluded = load_grid(_grid(tmp_path, groups=groups, datasets=["nodes", "synthetic-graph"], exclude=[{"dataset": "nodes"}], backbones=["gin"]), registry)
    assert [cell.dataset.name for cell in excluded.cells] == ["synthetic-graph"]


def test_group_mistakes_exit_2_with_valid_choices(tmp_path, registry):
    groups = {"link1": ["synthetic-link"], "nodes": ["synthetic-node"]}
    text = _problems(tmp_path, registry, groups=groups, datasets=["link2"])
    assert "datasets[0]: unknown dataset 'link2'" in text and "link1" in text and "did you mean 'link1'?" in text
    text = _problems(tmp_path, registry, {"corpus": "nodes", "train_on": "nodez"}, groups=groups)
    assert "methods[0].params.corpus: 'nodes' is a group; parameter 'corpus' takes one dataset" in text
    assert "methods[0].params.train_on: unknown dataset 'nodez'" in text and "did you mean 'nodes'?" in text
    text = _problems(tmp_path, registry, groups={"synthetic-node": ["synthetic-graph"], "empty": [], "nested": ["nodes"], "nodes": ["synthetic-nod"]})
    assert "groups.synthetic-node: the group name 'synthetic-node' is a dataset's name" in text
    assert "groups.empty: must be a non-empty list" in text
    assert "groups.nested[0]: 'nodes' is a group; groups cannot contain groups" in text
    assert "groups.nodes[0]: unknown dataset 'synthetic-nod'" in text


def test_a_dataset_without_splits_is_a_reference_only(tmp_path, registry):
    text = _problems(tmp_path, registry, datasets=["zinc"])
    assert "datasets[0]: dataset 'zinc' has no splits" in text
    grid = load_grid(_grid(tmp_path, {"train_on": "corpora"}, groups={"corpora": ["zinc"]}), registry)
    assert grid.cells[0].method.params["train_on"][0]["name"] == "zinc"
