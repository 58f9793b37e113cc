"""Planetoid Cora and CiteSeer read in place from the shared data (public split), and a missing
data root reported before anything runs."""

import subprocess
import sys
from pathlib import Path

import pytest

from harness_planetoid.files import check
from harness_planetoid.loader import citeseer, cora

GRIDS = Path(__file__).resolve().parent.parent / "grids"


@pytest.mark.parametrize(
    "load, nodes, edges, classes, features, train",
    [(cora, 2708, 10556, 7, 1433, 140), (citeseer, 3327, 9104, 6, 3703, 120)],
)
def test_public_split_matches_the_published_statistics(shared_data, load, nodes, edges, classes, features, train):
    task = load(str(shared_data))
    assert task.data.num_nodes == nodes and task.data.edge_index.size(1) == edges
    assert task.num_outputs == classes and task.data.x.size(1) == features
    assert [len(task.items[s]) for s in ("train", "valid", "test")] == [train, 500, 1000]
    assert task.labels["train"].bincount().tolist() == [20] * classes  # 20 labels per class
    assert task.data.x.sum(1).max() <= 1.0 + 1e-5  # row-normalised features


def test_missing_files_are_named(tmp_path):
    (message,) = check("cora", str(tmp_path), {})
    assert "ind.cora.allx" in message and str(tmp_path) in message and "HARNESS_DATA_ROOT" in message


def test_planetoid_grid_without_data_stops_before_running(tmp_path):
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", str(GRIDS / "planetoid.yaml"), "--data-root", str(tmp_path), "--results-dir", str(tmp_path / "results")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "ind.citeseer.graph" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()
