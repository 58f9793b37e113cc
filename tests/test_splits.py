"""Splits as part of the protocol: the pure split functions of ``harness.data.splits``, the grid's
``split:`` key, the split in the cell id and the record, the built-in datasets' protocols, and
the leaderboard row that gathers a configuration's folds and seeds."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from harness.cell import AXES, Split
from harness.data import splits
from harness.grid import GridError, load_grid
from harness.leaderboard import render, rows_from_records

BEHAVIOUR = Path(__file__).parent / "helpers" / "behaviour_plugin.py"
TINY_GRAPHS = {"name": "synthetic-graph", "params": {"num_graphs": 40}}


def _grid(tmp_path, registry, **grid):
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump({"seeds": [0], "datasets": [TINY_GRAPHS], "backbones": ["mlp"], "methods": ["supervised"], **grid}))
    return load_grid(path, registry)


def _parts_are_a_partition(parts, n):
    joined = np.concatenate([parts["train"], parts["valid"], parts["test"]])
    assert sorted(joined.tolist()) == list(range(n))
    assert all(np.all(np.diff(index) > 0) and index.dtype == np.int64 for index in parts.values())


# -- the pure functions -----------------------------------------------------------------------

def test_splits_module_does_not_import_torch():
    code = "import sys, harness.data.splits; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_stratified_folds_balance_sizes_and_classes():
    labels = np.array([0] * 23 + [1] * 11 + [2] * 6)
    folds = splits.stratified_folds(labels, 5, seed=3)
    sizes = np.bincount(folds, minlength=5)
    assert sizes.max() - sizes.min() <= 1
    for c in range(3):
        per_fold = np.bincount(folds[labels == c], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1
    assert np.array_equal(folds, splits.stratified_folds(labels, 5, seed=3))
    assert not np.array_equal(folds, splits.stratified_folds(labels, 5, seed=4))


def test_fold_split_tests_each_item_exactly_once_over_the_folds():
    labels = np.array([0, 1] * 25)
    tests = []
    for fold in range(10):
        parts = splits.fold_split(labels, fold, 10, seed=1)
        _parts_are_a_partition(parts, 50)
        assert len(parts["valid"]) >= 4  # a tenth of the rest
        tests += parts["test"].tolist()
    assert sorted(tests) == list(range(50))
    with pytest.raises(ValueError, match="fold must be in 0..9"):
        splits.fold_split(labels, 10, 10)


def test_per_class_and_random_fraction_splits():
    labels = np.array([0] * 60 + [1] * 70)
    parts = splits.per_class_split(labels, seed=0, train_per_class=20, valid_per_class=30)
    _parts_are_a_partition(parts, 130)
    assert np.bincount(labels[parts["train"]]).tolist() == [20, 20] and np.bincount(labels[parts["valid"]]).tolist() == [30, 30]
    planetoid = splits.per_class_train_split(labels, seed=0, train_per_class=5, num_valid=10, num_test=20, exclude=[0, 1])
    assert np.bincount(labels[planetoid["train"]]).tolist() == [5, 5] and len(planetoid["valid"]) == 10 and len(planetoid["test"]) == 20
    assert not set(planetoid["train"].tolist() + planetoid["valid"].tolist() + planetoid["test"].tolist()) & {0, 1}
    fraction = splits.random_fraction_split(101, seed=2, train=0.8, valid=0.1)
    _parts_are_a_partition(fraction, 101)
    assert (len(fraction["train"]), len(fraction["valid"])) == (80, 10)


# -- the grid's split key and the cell --------------------------------------------------------

def test_folds_make_the_cells_of_one_configuration(tmp_path, harness_registry):
    grid = _grid(tmp_path, harness_registry, seeds=[0, 1], split={"protocol": "folds", "folds": 3})
    assert [(c.split.index, c.seed) for c in grid.cells] == [(f, s) for f in range(3) for s in (0, 1)]
    assert {c.split for c in grid.cells} == {Split("folds", f, 3) for f in range(3)}
    assert len({c.id for c in grid.cells}) == 6
    assert grid.cells[0].config()["split"] == {"protocol": "folds", "index": 0, "count": 3}
    assert len({json.dumps(c.entry_key, sort_keys=True) for c in grid.cells}) == 1


def test_the_split_survives_the_trip_to_an_isolated_worker(tmp_path, harness_registry):
    from harness.cell import Cell

    grid = _grid(tmp_path, harness_registry, split={"protocol": "folds", "folds": 3})
    for cell in grid.cells + _grid(tmp_path, harness_registry).cells:
        again = Cell.from_dict(json.loads(json.dumps(cell.to_dict())))
        assert again == cell and again.id == cell.id


def test_fixed_split_cells_hash_as_before_splits_existed(tmp_path, harness_registry):
    for grid in (_grid(tmp_path, harness_registry), _grid(tmp_path, harness_registry, split="fixed")):
        (cell,) = grid.cells
        old = {axis: getattr(cell, axis).identity() for axis in AXES} | {"seed": cell.seed}
        assert cell.config() == old
        assert cell.id == hashlib.sha256(json.dumps(old, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:20]


def test_per_seed_split_index_is_the_seed(tmp_path, harness_registry):
    grid = _grid(tmp_path, harness_registry, seeds=[3, 5], split="per-seed")
    assert [c.split for c in grid.cells] == [Split("per-seed", 3), Split("per-seed", 5)]


def test_datasets_without_the_protocol_are_dropped_with_the_reason(tmp_path, harness_registry):
    grid = _grid(tmp_path, harness_registry, split={"protocol": "folds", "folds": 5}, datasets=[TINY_GRAPHS, "synthetic-link"])
    assert {c.dataset.name for c in grid.cells} == {"synthetic-graph"}
    (dropped,) = grid.dropped
    assert "dataset 'synthetic-link' offers the split protocols fixed; the grid's split is folds" in str(dropped)


def test_parameters_that_choose_the_split_are_refused_and_left_out(tmp_path, harness_registry):
    with pytest.raises(GridError, match=r"defaults\.datasets\.fold: chooses the split of 'mutag'"):
        _grid(tmp_path, harness_registry, datasets=["mutag"], backbones=["gin"], split={"protocol": "folds", "folds": 10}, defaults={"datasets": {"fold": 2}})
    grid = _grid(tmp_path, harness_registry, datasets=["mutag"], backbones=["gin"], split={"protocol": "folds", "folds": 10})
    assert "fold" not in grid.cells[0].dataset.params and "split_seed" in grid.cells[0].dataset.params


def test_bad_split_syntax_exits_2(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump({"seeds": [0], "datasets": ["synthetic-graph"], "backbones": ["gin"], "methods": ["supervised"],
                                    "split": {"protocol": "folds", "folds": "ten", "shuffle": True}}))
    done = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", str(path), "--results-dir", "results"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 2
    assert "split.shuffle: unknown key; valid: protocol, folds" in done.stderr
    assert "split.folds: must be an integer of at least 2 (the number of folds), got 'ten'" in done.stderr


# -- the datasets -----------------------------------------------------------------------------

def _load(registry, name, params, split=None):
    component = registry.get("dataset", name)
    extra = {} if split is None else {"split_choice": split}
    return component.load()(root=".", **{**component.defaults(), **params, **extra})


def test_per_seed_splits_differ_by_seed_and_are_reproducible(harness_registry):
    params = {"num_nodes": 200}
    first, again, other = (_load(harness_registry, "synthetic-node", params, Split("per-seed", s)) for s in (1, 1, 2))
    assert first.items["test"].tolist() == again.items["test"].tolist()
    assert first.items["test"].tolist() != other.items["test"].tolist()
    assert first.data.x.equal(other.data.x)  # the data stay those of the data seed
    fixed = _load(harness_registry, "synthetic-node", params)
    assert fixed.items["test"].tolist() == _load(harness_registry, "synthetic-node", params).items["test"].tolist()


def test_synthetic_folds_cover_every_graph_once(harness_registry):
    tests = []
    for fold in range(4):
        task = _load(harness_registry, "synthetic-graph", {"num_graphs": 40}, Split("folds", fold, 4))
        assert len(task.items["test"]) == 10 and task.labels["test"].sum() == 5  # stratified: half with a clique
        tests += task.items["test"].tolist()
    assert sorted(tests) == list(range(40))


def test_tu_folds_follow_the_cells_fold_and_count(harness_registry, shared_tudataset):
    component = harness_registry.get("dataset", "mutag")
    assert component.splits == ("fixed", "folds")
    load = lambda split=None, **p: component.load()(root=str(shared_tudataset), **{**component.defaults(), **p, **({"split_choice": split} if split else {})})
    assert load(Split("folds", 3, 10)).items["test"].tolist() == load(fold=3).items["test"].tolist()  # fold 3 of 10 either way
    five = [load(Split("folds", f, 5)).items["test"] for f in range(5)]
    assert sorted(i for t in five for i in t.tolist()) == list(range(188))


def test_planetoid_per_seed_is_a_random_split_per_seed(harness_registry, shared_data):
    component = harness_registry.get("dataset", "cora")
    load = lambda split=None: component.load()(root=str(shared_data), **{**component.defaults(), **({"split_choice": split} if split else {})})
    public, seeded, other = load(), load(Split("per-seed", 4)), load(Split("per-seed", 5))
    assert public.info["split"] == "public" and seeded.info == {**seeded.info, "split": "random", "split_seed": 4}
    assert seeded.items["test"].tolist() != other.items["test"].tolist() != public.items["test"].tolist()


def test_declared_protocols_of_the_builtin_datasets(harness_registry):
    get = lambda name: harness_registry.get("dataset", name)
    assert get("amazon-photo").splits == ("fixed", "per-seed") and get("amazon-photo").split_params == ("split", "split_seed")
    assert get("citeseer-tag").splits == ("fixed", "per-seed")
    assert get("bbbp").splits == ("fixed", "per-seed") and get("zinc").splits == ()
    assert "folds" in get("synthetic-graph").splits


# -- records and the leaderboard --------------------------------------------------------------

def test_ten_folds_give_one_leaderboard_row_of_ten_runs(harness_run, tmp_path):
    grid = {"seeds": [0], "split": {"protocol": "folds", "folds": 10}, "datasets": [TINY_GRAPHS], "backbones": ["mlp"], "methods": ["spy"]}
    summary, records = harness_run(grid, plugin_files=(BEHAVIOUR,))
    assert summary.complete == 10, [r.get("error") for r in records]
    assert sorted(r["split"]["index"] for r in records) == list(range(10))
    assert {(r["split"]["protocol"], r["split"]["count"]) for r in records} == {("folds", 10)}
    ((metric, higher, rows),) = rows_from_records(records).values()
    (row,) = rows
    assert row.test.n == 10 and row.protocol == "10 folds x 1 seed"
    md, csv = render("synthetic-graph", metric, higher, rows, tmp_path)
    assert "| 10     | 10 folds x 1 seed |" in md.read_text()
    assert ",10,10 folds x 1 seed," in csv.read_text()


def test_the_record_says_which_split_it_used(harness_run):
    grid = {"seeds": [0, 1], "split": "per-seed", "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}], "backbones": ["mlp"], "methods": ["spy"]}
    _, records = harness_run(grid, plugin_files=(BEHAVIOUR,))
    assert sorted((r["split"]["protocol"], r["split"]["index"], r["split"]["count"]) for r in records) == [("per-seed", 0, None), ("per-seed", 1, None)]
    ((_, _, (row,)),) = rows_from_records(records).values()
    assert row.test.n == 2 and row.protocol == "2 splits x 1 init"


def test_fixed_records_say_fixed(harness_run):
    grid = {"seeds": [0], "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}], "backbones": ["mlp"], "methods": ["spy"]}
    _, (record,) = harness_run(grid, plugin_files=(BEHAVIOUR,))
    assert record["split"] == {"protocol": "fixed", "index": None, "count": None} and "split" not in record["config"]


def test_a_stage_keyed_by_the_task_is_not_shared_across_folds(harness_run, tmp_path):
    counter = tmp_path / "built.txt"
    grid = {"seeds": [0, 1], "split": {"protocol": "folds", "folds": 2}, "datasets": [TINY_GRAPHS], "backbones": ["mlp"],
            "methods": [{"name": "staged", "params": {"counter_file": str(counter)}}]}
    summary, _ = harness_run(grid, plugin_files=(BEHAVIOUR,))
    assert summary.complete == 4
    assert counter.read_text().count("built") == 2  # once per fold, shared by its seeds


def test_preflight_lets_a_dataset_refuse_a_protocol_its_params_rule_out(tmp_path, harness_registry):
    from harness.runner import PreflightError, preflight
    from harness.settings import RunSettings

    settings = RunSettings(results_dir=str(tmp_path / "results"), data_root=str(tmp_path / "empty"))
    scaffold = _grid(tmp_path, harness_registry, seeds=[0, 1], split="per-seed", datasets=["bbbp"], backbones=["gin-mol"])
    with pytest.raises(PreflightError) as error:
        preflight(scaffold, harness_registry, settings)
    assert str(error.value).count("split is 'scaffold', which has no seed") == 1  # one check serves every seed
    seeded = _grid(tmp_path, harness_registry, split="per-seed", datasets=[{"name": "bbbp", "params": {"split": "random-scaffold"}}], backbones=["gin-mol"])
    with pytest.raises(PreflightError) as error:  # only the file is missing now
        preflight(seeded, harness_registry, settings)
    assert "no seed" not in str(error.value) and "bbbp" in str(error.value)
