"""ogbn-* through OGB's own loader and Evaluator: a tiny dataset in OGB's exact layout loads and
runs; a missing one stops the grid before anything runs, naming the files."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from ogb_files import write_tiny_proteins

GRIDS = Path(__file__).resolve().parent.parent / "grids"


def test_proteins_loads_with_ogb_and_hides_nothing_it_should_keep(tmp_path):
    from harness_ogb.loader import proteins

    write_tiny_proteins(tmp_path)
    task = proteins(str(tmp_path))
    assert task.task_type == "node-multilabel" and task.metric == "rocauc" and task.num_outputs == 112
    assert task.data.x.shape == (60, 8)  # mean of incident edge features
    edge_index, edge_attr = task.data.edge_index, task.data.edge_attr
    node = int(edge_index[1, 0])
    assert torch.allclose(task.data.x[node], edge_attr[edge_index[1] == node].mean(0))
    assert sum(len(task.items[s]) for s in ("train", "valid", "test")) == 60
    assert task.labels["test"].shape == (len(task.items["test"]), 112)
    assert getattr(task.method_view().data, "y", None) is None
    scores = torch.rand(len(task.items["valid"]), 112)
    assert 0.0 <= task.score("valid", scores) <= 1.0


def test_tiny_proteins_grid_runs_through_the_cli(tmp_path):
    write_tiny_proteins(tmp_path / "data")
    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({"seeds": [0], "datasets": ["ogbn-proteins"], "backbones": ["gcn", {"name": "gat", "params": {"edge_dim": 8, "heads": 2, "hidden": 8}}], "methods": [{"name": "supervised", "params": {"epochs": 3}}]}))
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", str(grid), "--data-root", "data", "--results-dir", "results", "--cache-dir", "cache", "--leaderboard-dir", "boards", "--submissions", str(GRIDS.parent / "leaderboards" / "submissions")], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    board = (tmp_path / "boards" / "ogbn-proteins.md").read_text()
    assert "supervised + gat (ours)" in board and "LD+GAT" in board  # our rows beside the submitted ones


def test_proteins_grid_offline_fails_fast_and_writes_nothing(tmp_path):
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", str(GRIDS / "proteins.yaml"), "--data-root", str(tmp_path / "empty"), "--results-dir", str(tmp_path / "results")], capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - start
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for fragment in ("ogbn-proteins", str(tmp_path / "empty"), "raw/edge.csv.gz", "split/species/train.csv.gz", "RELEASE_v1.txt"):
        assert fragment in result.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "empty").exists()
    assert elapsed < 60  # a sanity bound, not a benchmark: the real figure is in the closing note


@pytest.mark.parametrize("name", ["ogbn-arxiv", "ogbn-products"])
def test_other_ogb_datasets_name_their_missing_files(tmp_path, name):
    from harness_ogb.files import check

    (message,) = check(name, str(tmp_path), {})
    assert name in message and "raw/node-feat.csv.gz" in message
