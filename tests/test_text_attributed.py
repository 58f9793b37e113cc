"""The text-attributed CiteSeer (``citeseer-tag``): the loader on tiny files in the exact source
format, its declaration, and its statistics against the shared data (skipped where absent)."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections import Counter
from pathlib import Path

import pytest
import torch

from helpers.text_attributed_files import CITES, CLASSES, PAPERS, expected_undirected_edges, write_citeseer_tag


def _shared_folder(repo: Path) -> Path:
    folder = Path(os.environ.get("HARNESS_SHARED_DATA", repo.parent / "shared" / "data")) / "citeseer_tag_tape"
    if not (folder / "citeseer_texts.txt.gz").is_file() or not (folder / "citeseer.cites").is_file():
        pytest.skip(f"the shared CiteSeer text files are not at {folder} (set HARNESS_SHARED_DATA)")
    return folder


@pytest.fixture
def tiny_root(tmp_path) -> Path:
    write_citeseer_tag(tmp_path / "data" / "citeseer_tag_tape")
    return tmp_path / "data"


def _load(root, **params):
    from harness_text_attributed.citeseer import load

    return load(str(root), **params)


@pytest.mark.parametrize("compressed", [True, False])
def test_loader_reads_the_source_format(tmp_path, compressed):
    root = tmp_path / "data"
    write_citeseer_tag(root / "citeseer_tag_tape", compressed=compressed)
    task = _load(root)
    n = len(PAPERS)
    assert task.name == "citeseer-tag" and task.task_type == "node-classification" and task.metric == "acc"
    assert task.num_outputs == 6 and task.data.num_nodes == n
    # raw text kept byte for byte (tabs, trailing spaces, non-ASCII), in file order
    assert list(task.raw["text"]) == [text for _, text, _ in PAPERS]
    assert task.info["paper_ids"] == [paper for paper, _, _ in PAPERS]
    assert task.data.y.tolist() == [CLASSES.index(label) for _, _, label in PAPERS]
    assert task.info["classes"] == ["Agents", "AI", "DB", "IR", "ML", "HCI"]
    # a constant feature column (the source has no node features)
    assert task.data.x.shape == (n, 1) and bool((task.data.x == 1).all())


def test_edges_are_undirected_without_duplicates_self_loops_or_unknown_ends(tiny_root):
    task = _load(tiny_root)
    edge_index = task.data.edge_index
    pairs = set(map(tuple, edge_index.t().tolist()))
    assert len(pairs) == edge_index.size(1), "duplicate entries"
    assert all(a != b for a, b in pairs), "self-loops"
    assert all((b, a) in pairs for a, b in pairs), "not symmetric"
    assert {(a, b) for a, b in pairs if a < b} == expected_undirected_edges()
    index = {paper: i for i, (paper, _, _) in enumerate(PAPERS)}
    assert task.info["citations"] == sum(1 for a, b in CITES if a in index and b in index)


def test_split_is_60_20_20_disjoint_and_seeded(tiny_root):
    task = _load(tiny_root)
    n = len(PAPERS)
    sizes = {split: len(nodes) for split, nodes in task.items.items()}
    assert sizes == {"train": int(0.6 * n), "valid": int(0.8 * n) - int(0.6 * n), "test": n - int(0.8 * n)}
    everything = torch.cat(list(task.items.values()))
    assert sorted(everything.tolist()) == list(range(n))
    for split, nodes in task.items.items():
        assert nodes.tolist() == sorted(nodes.tolist())
        assert torch.equal(task.labels[split], task.data.y[nodes])
    again = _load(tiny_root, split_seed=0)
    other = _load(tiny_root, split_seed=1)
    assert all(torch.equal(task.items[s], again.items[s]) for s in task.items)
    assert not torch.equal(task.items["train"], other.items["train"])


def test_preflight_names_the_missing_files(tmp_path, tiny_root):
    from harness_text_attributed.files import check

    assert check("citeseer-tag", str(tiny_root), {}) == []
    (problem,) = check("citeseer-tag", str(tmp_path / "nowhere"), {})
    assert "citeseer_texts.txt.gz" in problem and "citeseer.cites" in problem
    with pytest.raises(FileNotFoundError, match="citeseer.cites"):
        _load(tmp_path / "nowhere")


def test_malformed_text_files_are_refused(tmp_path):
    from harness_text_attributed.files import read_texts

    bad = tmp_path / "bad.txt"
    bad.write_text("p1\ntext one\nAI\np2\ntext two")
    with pytest.raises(ValueError, match="three per paper"):
        read_texts(bad)
    bad.write_text("p1\ntext one\nRobotics")
    with pytest.raises(ValueError, match="Robotics"):
        read_texts(bad)
    bad.write_text("p1\ntext one\nAI\n")  # a trailing newline is accepted
    assert read_texts(bad) == (["p1"], ["text one"], ["AI"])


def test_declaration(harness_registry):
    component = harness_registry.get("dataset", "citeseer-tag")
    assert component.task_type == "node-classification"
    assert component.provides == {"text"}
    assert component.param("split_seed").default == 0
    meta = component.metadata
    assert (meta["metric"], meta["nodes"], meta["classes"], meta["edges"], meta["citations"]) == ("acc", 3186, 6, 4225, 4397)
    assert component.load_preflight() is not None


@pytest.mark.shared_data
def test_statistics_of_the_shared_data(repo, harness_registry):
    folder = _shared_folder(repo)
    meta = harness_registry.get("dataset", "citeseer-tag").metadata
    with gzip.open(folder / "citeseer_texts.txt.gz", "rb") as handle:
        raw = handle.read()
    # the uncompressed original named in PROVENANCE.md
    assert len(raw) == 3_319_359
    assert hashlib.sha256(raw).hexdigest() == "9070723640766aaa09875ce72397a4325feecac968ed9fb44152820b651f1f17"
    task = _load(folder.parent)
    assert task.data.num_nodes == meta["nodes"] == 3186
    assert task.num_outputs == meta["classes"] == 6
    assert task.info["citations"] == meta["citations"] == 4397
    assert task.data.edge_index.size(1) == 2 * meta["edges"] == 8450
    counts = Counter(CLASSES[c] for c in task.data.y.tolist())
    assert counts == {"DB": 685, "IR": 641, "ML": 569, "Agents": 562, "HCI": 490, "AI": 239}
    assert {split: len(nodes) for split, nodes in task.items.items()} == {"train": 1911, "valid": 637, "test": 638}
    assert all(text.strip() for text in task.raw["text"])
