"""``harness run --dry-run``, ``--only KEY=VALUE`` and ``harness list KIND NAME``."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from harness.slices import SliceError, parse, select

GRID = {
    "seeds": 2,
    "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}, "synthetic-graph"],
    "backbones": ["mlp", "gin"],
    "methods": [{"name": "supervised", "params": {"epochs": 2}}, {"name": "ld", "label": "LD"}],
}


def _cli(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, cwd=tmp_path, timeout=300)


def _grid(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(GRID))
    return path


def _run(tmp_path, *extra):
    return _cli(tmp_path, "run", "--grid", str(_grid(tmp_path)), "--results-dir", "results", "--cache-dir", "cache", *extra)


def test_dry_run_lists_cells_and_drops_by_reason_and_writes_nothing(tmp_path):
    result = _run(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    cells = [line for line in result.stdout.splitlines() if line.startswith("  ")]
    assert len(cells) == 8 and all(line.endswith(": run") for line in cells)
    assert "synthetic-node / identity / mlp / supervised / seed 1" in result.stdout
    assert "dropped 2 combination(s): method 'ld' supports node-classification" in result.stdout
    assert "would run 8" in result.stdout and "preflight: every dataset is available" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.yaml"]


def test_dry_run_says_which_cells_a_run_would_skip(tmp_path):
    assert _run(tmp_path, "--only", "dataset=synthetic-node", "--only", "backbone=mlp", "--only", "seed=0").returncode == 0
    result = _run(tmp_path, "--dry-run", "--only", "dataset=synthetic-node", "--only", "backbone=mlp")
    assert "seed 0: skip (complete record)" in result.stdout and "seed 1: run" in result.stdout
    assert "would run 1, skip 1" in result.stdout


def test_dry_run_says_an_isolated_run_would_redo_a_cell_made_without_isolation(tmp_path):
    narrow = ("--only", "dataset=synthetic-node", "--only", "backbone=mlp", "--only", "seed=0", "--only", "method=supervised")
    assert _run(tmp_path, *narrow, "--no-isolate").returncode == 0
    isolated = _run(tmp_path, "--dry-run", *narrow)
    assert "seed 0: run again (complete, but made without isolation)" in isolated.stdout, isolated.stdout
    assert "seed 0: skip (complete record)" in _run(tmp_path, "--dry-run", *narrow, "--no-isolate").stdout


def test_only_runs_the_matching_subset(tmp_path):
    result = _run(tmp_path, "--only", "dataset=synthetic-node", "--only", "backbone=mlp", "--only", "seed=1")
    assert result.returncode == 0, result.stderr
    assert "ran 1 cell(s): 1 complete" in result.stdout


@pytest.mark.parametrize(
    "only, message",
    [
        ("backbone=gni", "no cell of the grid has this backbone; valid: gin, mlp; did you mean 'gin'?"),
        ("sed=1", "unknown key 'sed'; valid: dataset, encoder, backbone, method, seed, fold; did you mean 'seed'?"),
        ("fold=1", "no cell of the grid has this fold; nothing is valid here"),
        ("seed", "expected KEY=VALUE"),
        ("seed=7", "no cell of the grid has this seed; valid: 0, 1"),
    ],
)
def test_bad_slice_is_invalid_input_and_runs_nothing(tmp_path, only, message):
    result = _run(tmp_path, "--only", only)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not (tmp_path / "results").exists()


def test_slice_values_of_one_key_widen_and_keys_narrow(harness_registry):
    from harness.grid import GridBuilder

    cells = GridBuilder("g", GRID, harness_registry).build().cells
    chosen = select(cells, parse(["seed=0", "seed=1", "method=supervised", "backbone=gin"]))
    assert {(c.backbone.name, c.method.name, c.seed) for c in chosen} == {("gin", "supervised", 0), ("gin", "supervised", 1)}
    labelled = {**GRID, "methods": [{"name": "supervised", "label": "short", "params": {"epochs": 2}}, "supervised"]}
    labelled_cells = GridBuilder("g", labelled, harness_registry).build().cells
    short = select(labelled_cells, parse(["method=short"]))  # a label names its entry too
    assert len(labelled_cells) == 16 and len(short) == 8 and {c.method.label for c in short} == {"short"}
    with pytest.raises(SliceError):
        select(cells, parse(["encoder=lm"]))


def test_list_shows_one_component_in_full(tmp_path):
    result = _cli(tmp_path, "list", "datasets", "synthetic-node")
    assert result.returncode == 0, result.stderr
    assert "task: node-classification" in result.stdout and "num_nodes: int" in result.stdout
    assert "plugin: synthetic" in result.stdout and "split protocols: fixed, per-seed, folds" in result.stdout
    unknown = _cli(tmp_path, "list", "backbones", "gni")
    assert unknown.returncode == 2 and "did you mean 'gin'?" in unknown.stderr


def test_slice_by_fold(harness_registry):
    from harness.grid import GridBuilder

    folds = {**GRID, "datasets": ["synthetic-graph"], "backbones": ["gin"], "seeds": 1, "split": {"protocol": "folds", "folds": 5}}
    cells = GridBuilder("g", folds, harness_registry).build().cells
    chosen = select(cells, parse(["fold=1", "fold=3"]))
    assert len(cells) == 5 and sorted(c.split.index for c in chosen) == [1, 3]
