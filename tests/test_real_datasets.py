"""The new real datasets through the harness itself: ``harness list datasets`` shows them with
their metadata, a grid whose data is absent stops before running within seconds naming the files
(and creates no folder), and supervised GCN on Amazon Photo and GIN on MUTAG run end to end on
the shared data."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
import yaml

NEW = {
    "pubmed": ["nodes=19717", "edges=88648", "classes=3", "features=500", "--split:", "--split_seed:", "--download:"],
    "amazon-computers": ["nodes=13752", "edges=491722", "features=767", "classes=10", "paper_nodes=13381", "--split_seed:"],
    "amazon-photo": ["nodes=7650", "edges=238162", "features=745", "classes=8", "paper_nodes=7487"],
    "coauthor-cs": ["nodes=18333", "edges=163788", "features=6805", "classes=15", "--binary_features:"],
    "mutag": ["graph-classification", "graphs=188", "classes=2", "avg_nodes=17.93", "avg_edges=19.79", "--fold:"],
    "proteins-tu": ["graphs=1113", "classes=2", "avg_nodes=39.06", "--use_node_attributes:"],
    "enzymes": ["graphs=600", "classes=6", "avg_edges=62.14", "--use_node_attributes:"],
}


def test_list_shows_the_new_datasets_with_their_metadata():
    result = subprocess.run([sys.executable, "-m", "harness", "list", "datasets"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    blocks = {}
    for block in re.split(r"\n  (?=\S)", result.stdout)[1:]:  # one block per dataset
        blocks[block.split(" ", 1)[0]] = block
    for name, fragments in NEW.items():
        assert name in blocks, f"{name} not listed"
        for fragment in fragments:
            assert fragment in blocks[name], f"{name}: {fragment!r} not in {blocks[name]!r}"


def test_grid_with_absent_data_stops_within_seconds_naming_the_files(tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({"name": "absent", "seeds": [0], "datasets": ["pubmed", "amazon-photo", "mutag"], "backbones": ["gin"], "methods": [{"name": "supervised", "params": {"epochs": 2}}]}))
    root = tmp_path / "data"
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", str(grid), "--data-root", str(root), "--results-dir", str(tmp_path / "results")], capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - start
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    for fragment in ("ind.pubmed.allx", "ind.pubmed.graph", "amazon_electronics_photo.npz", "MUTAG_A.txt", "MUTAG_edge_labels.txt", str(root)):
        assert fragment in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.yaml"]  # no data root, no results
    assert elapsed < 60  # a sanity bound on a shared 2-core machine; it takes a few seconds


@pytest.mark.slow
@pytest.mark.shared_data
def test_supervised_gcn_on_amazon_photo_and_gin_on_mutag(shared_gnn_benchmark, shared_tudataset, harness_run):
    grid = {
        "name": "real-smoke",
        "seeds": [0],
        "datasets": ["amazon-photo", "mutag"],
        "backbones": [{"name": "gcn", "params": {"hidden": 16}}, {"name": "gin", "params": {"hidden": 16}}],
        "methods": [{"name": "supervised", "params": {"epochs": 3, "batch_size": 32}}],
        "exclude": [{"dataset": "amazon-photo", "backbone": "gin"}, {"dataset": "mutag", "backbone": "gcn"}],
    }
    summary, records = harness_run(grid, data_root=str(shared_gnn_benchmark))
    assert summary.complete == 2, [r.get("traceback") for r in records]
    by_dataset = {r["dataset"]: r for r in records}
    assert by_dataset["amazon-photo"]["config"]["backbone"]["name"] == "gcn"
    assert by_dataset["mutag"]["config"]["backbone"]["name"] == "gin"
    for record in records:
        assert record["status"] == "complete" and record["metric"] == "acc" and 0.0 <= record["test"] <= 1.0
        assert len(record["curve"]) == 3
