"""The test-label attack: a method that looks for the test labels by every route it knows
(tests/helpers/label_thief.py) finds nothing in a run with isolation, the default; in a
``--no-isolate`` run it does find them, which is why such records are never ranked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

THIEF = Path(__file__).parent / "helpers" / "label_thief.py"
sys.path.insert(0, str(THIEF.parent))
from label_thief import label_hash  # noqa: E402

GRID = """\
name: heist
seeds: [0]
datasets: [{dataset}]
encoders: [identity]
backbones: [mlp]
methods: [label-thief]
"""


def _run(tmp_path: Path, dataset: str, *extra: str, data_root: Path | None = None) -> subprocess.CompletedProcess:
    grid = tmp_path / "grid.yaml"
    grid.write_text(GRID.format(dataset=dataset))
    args = [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--plugin", str(THIEF), "--results-dir", "results",
            "--cache-dir", "cache", "--leaderboard-dir", "boards", *extra]
    env = None if data_root is None else {**os.environ, "HARNESS_DATA_ROOT": str(data_root)}
    return subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=600, env=env)


def _record(tmp_path: Path) -> dict:
    [path] = [p for p in (tmp_path / "results").glob("*/*.json") if p.parent.name != "runs"]
    return json.loads(path.read_text())


def _truth(tmp_path: Path, data_root: Path | None) -> str:
    """The sha256 of the cell's true test labels, loaded here, outside the run."""
    from harness.cell import Cell
    from harness.loading import load_cell_task
    from harness.registry import load_registry

    cell = Cell.from_dict(_record(tmp_path)["cell"])
    task = load_cell_task(cell, load_registry()[1], str(data_root or tmp_path / "data"))
    return label_hash(task.labels["test"])


def test_an_isolated_method_finds_no_way_to_the_test_labels(tmp_path):
    result = _run(tmp_path, "synthetic-node")
    assert result.returncode == 0, result.stderr
    record = _record(tmp_path)
    assert record["status"] == "complete" and record["isolated"] is True
    found = record["extra"]["found"]
    assert found == {route: [] for route in found}, found
    assert _truth(tmp_path, None) not in record["extra"]["candidates"]
    assert record["test"] < 0.9  # it predicted without the labels
    assert "label-thief" in (tmp_path / "boards" / "synthetic-node.md").read_text()


def test_without_isolation_the_thief_finds_them_and_its_row_is_left_out(tmp_path):
    """The same method in a --no-isolate run reaches the task (so the attack test can fail);
    its record is kept but never ranked."""
    result = _run(tmp_path, "synthetic-node", "--no-isolate")
    assert result.returncode == 0, result.stderr
    record = _record(tmp_path)
    assert record["isolated"] is False
    found = record["extra"]["found"]
    assert any("harness.task.Task" in item for item in found["frames"] + found["gc"]), found
    assert _truth(tmp_path, None) in record["extra"]["candidates"]
    assert record["test"] == 1.0  # what a method that reads the test labels scores
    assert "made without isolation" in result.stderr
    assert not (tmp_path / "boards" / "synthetic-node.md").exists()

    again = _run(tmp_path, "synthetic-node")  # an isolated run replaces the record
    assert "made without isolation" in again.stdout
    record = _record(tmp_path)
    assert record["isolated"] is True and record["test"] < 0.9
    assert len(list((tmp_path / "results" / "synthetic-node" / "attempts").glob("*.json"))) == 1


def test_planetoid_gives_the_method_no_path_and_no_labels(tmp_path, shared_data):
    """Planetoid's info names its raw folder; the view leaves it out, and the data root is
    neither in the method's environment nor in its process's start-up environment."""
    result = _run(tmp_path, "cora", data_root=shared_data)
    assert result.returncode == 0, result.stderr
    record = _record(tmp_path)
    found = record["extra"]["found"]
    assert found == {route: [] for route in found}, found
    assert _truth(tmp_path, shared_data) not in record["extra"]["candidates"]


def test_view_info_keeps_no_paths(tmp_path):
    from harness.task import without_paths

    folder = tmp_path / "raw"
    folder.mkdir()
    info = {"raw_dir": str(folder), "files": [str(folder / "a"), "/abs/b"], "split": "public", "nested": {"file": str(folder)}, "count": 3}
    assert without_paths(info) == {"split": "public", "count": 3}
