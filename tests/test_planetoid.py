"""Planetoid Cora and CiteSeer read in place from the shared data (public split), and a missing
data root reported before anything runs; PubMed (whose shared copy lacks ind.pubmed.allx), the
metadata table, the random split, tiny files in the exact pickle format, and the opt-in fetch."""

import hashlib
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from dataset_files import write_tiny_planetoid
from harness.download import DatasetUnavailable
from harness.sparse_features import densify
from harness.metadata import read_table
from harness_planetoid import files as planetoid_files
from harness_planetoid.files import check
from functools import partial

from harness_planetoid.loader import load, random_split

cora, citeseer, pubmed = (partial(load, name=name) for name in ("cora", "citeseer", "pubmed"))
from helpers import servers

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
    assert task.data.x.layout == torch.sparse_csr  # bag-of-words features stay sparse (harness.sparse_features)
    assert task.data.x.to_dense().sum(1).max() <= 1.0 + 1e-5  # row-normalised features


def test_missing_files_are_named(tmp_path):
    (message,) = check("cora", str(tmp_path), {})
    assert "ind.cora.allx" in message and str(tmp_path) in message and "HARNESS_DATA_ROOT" in message


def test_planetoid_grid_without_data_stops_before_running(tmp_path):
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", str(GRIDS / "planetoid.yaml"), "--data-root", str(tmp_path), "--results-dir", str(tmp_path / "results")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "ind.citeseer.graph" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


# --- metadata table, PubMed, random split, the exact file format, the opt-in fetch -----------

TABLE = {row["name"]: row for row in read_table("harness_planetoid")}


@pytest.mark.shared_data
@pytest.mark.parametrize("load", [cora, citeseer])
def test_shared_files_match_the_metadata_table(shared_data, load):
    task = load(str(shared_data))
    row = TABLE[task.name]
    assert (task.data.num_nodes, task.data.edge_index.size(1), task.num_outputs, task.data.x.size(1)) == (int(row["nodes"]), int(row["edges"]), int(row["classes"]), int(row["features"]))


@pytest.mark.shared_data
def test_shared_pubmed_files_match_the_metadata_table_where_present(shared_data):
    """The snapshot's PubMed lacks allx (features), but its graph, labels and x/tx are there."""
    from torch_geometric.io.planetoid import edge_index_from_dict, read_file

    raw, row = str(shared_data / "planetoid" / "raw"), TABLE["pubmed"]
    ally, ty = read_file(raw, "pubmed", "ally"), read_file(raw, "pubmed", "ty")
    nodes = ally.size(0) + ty.size(0)
    edge_index = edge_index_from_dict(read_file(raw, "pubmed", "graph"), num_nodes=nodes)
    assert nodes == int(row["nodes"]) and edge_index.size(1) == int(row["edges"])
    assert ally.size(1) == int(row["classes"]) and read_file(raw, "pubmed", "tx").size(1) == int(row["features"])


@pytest.mark.shared_data
def test_pubmed_without_allx_says_which_file_where_and_that_the_snapshot_lacks_it(shared_data):
    if (shared_data / "planetoid" / "raw" / "ind.pubmed.allx").is_file():
        pytest.skip("this copy of the shared data has ind.pubmed.allx")
    (message,) = check("pubmed", str(shared_data), {})
    folder = str(shared_data / "planetoid" / "raw")
    assert "lacks ind.pubmed.allx" in message and f"Put ind.pubmed.allx in {folder}" in message
    assert "The shared data snapshot lacks ind.pubmed.allx" in message and "PROVENANCE.md" in message
    assert "read-only" in message  # the shared folder is mode 555: say to copy it elsewhere
    start = time.monotonic()
    with pytest.raises(DatasetUnavailable) as error:
        pubmed(str(shared_data))
    assert str(error.value) == message and time.monotonic() - start < 5


def test_pubmed_without_allx_in_a_writable_root(tmp_path):
    raw = tmp_path / "planetoid" / "raw"
    write_tiny_planetoid(raw, "pubmed")
    (raw / "ind.pubmed.allx").unlink()
    (message,) = check("pubmed", str(tmp_path), {})
    assert f"Put ind.pubmed.allx in {raw}." in message and "read-only" not in message
    assert "The shared data snapshot lacks ind.pubmed.allx" in message and "download: true" in message


def test_tiny_files_in_the_exact_format_load_in_graph_order(tmp_path):
    truth = write_tiny_planetoid(tmp_path / "PubMed" / "raw", "pubmed")  # PyG's own layout
    task = pubmed(str(tmp_path), normalize_features=False)
    assert task.data.num_nodes == 1600 and task.num_outputs == 3
    assert torch.equal(densify(task.data.x), torch.from_numpy(truth["features"]))  # tx rows placed at test.index
    assert torch.equal(task.data.y, torch.from_numpy(truth["labels"]))
    assert set(map(tuple, task.data.edge_index.t().tolist())) == truth["edges"]  # no self-loop, no duplicate
    assert task.items["train"].tolist() == list(range(60)) and task.items["valid"].tolist() == list(range(60, 560))
    assert task.items["test"].tolist() == sorted(truth["test_index"].tolist())
    assert task.labels["train"].bincount().tolist() == [20, 20, 20]


def test_random_split_sizes_classes_and_determinism(tmp_path):
    write_tiny_planetoid(tmp_path / "planetoid" / "raw", "pubmed")
    first = pubmed(str(tmp_path), split="random", split_seed=3)
    again = pubmed(str(tmp_path), split="random", split_seed=3)
    other = pubmed(str(tmp_path), split="random", split_seed=4)
    assert [len(first.items[s]) for s in ("train", "valid", "test")] == [60, 500, 1000]
    assert first.labels["train"].bincount().tolist() == [20, 20, 20]
    assert all(torch.equal(first.items[s], again.items[s]) for s in ("train", "valid", "test"))
    assert not torch.equal(first.items["train"], other.items["train"])
    together = torch.cat([first.items[s] for s in ("train", "valid", "test")])
    assert together.unique().numel() == together.numel()  # disjoint
    public = pubmed(str(tmp_path))
    assert not torch.equal(first.items["train"], public.items["train"])


@pytest.mark.shared_data
def test_random_split_on_citeseer_never_draws_its_unlabelled_nodes(shared_data):
    from harness_planetoid.loader import unlabelled_nodes

    missing = unlabelled_nodes(shared_data / "planetoid" / "raw", "citeseer")
    assert len(missing) == 15  # isolated nodes absent from ind.citeseer.test.index
    for seed in range(3):
        task = citeseer(str(shared_data), split="random", split_seed=seed)
        assert [len(task.items[s]) for s in ("train", "valid", "test")] == [120, 500, 1000]
        assert task.labels["train"].bincount().tolist() == [20] * 6
        drawn = torch.cat([task.items[s] for s in ("train", "valid", "test")]).numpy()
        assert not np.isin(missing, drawn).any()


def test_random_split_takes_every_node_of_a_small_class():
    y = torch.tensor([0] * 5 + [1] * 40 + [2] * 40)
    items = random_split(y, seed=0, num_valid=10, num_test=20)
    assert y[items["train"]].bincount().tolist() == [5, 20, 20]
    assert [len(items["valid"]), len(items["test"])] == [10, 20]


@pytest.fixture
def planetoid_server(tmp_path, monkeypatch):
    """Serves tiny pubmed files over loopback HTTP as the Planetoid repository's data/ folder
    (pinned to their own digests)."""
    served = tmp_path / "served"
    write_tiny_planetoid(served, "pubmed")
    hits = []
    with servers.serving(served, requests=hits) as url:
        monkeypatch.setattr(planetoid_files, "BASE_URL", url)
        monkeypatch.setattr(planetoid_files, "PINS", {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in served.iterdir()})
        monkeypatch.delenv("HARNESS_OFFLINE", raising=False)
        yield hits


def test_download_true_fetches_into_a_writable_root_once(tmp_path, planetoid_server):
    root = tmp_path / "data"
    root.mkdir()
    assert check("pubmed", str(root), {"download": True}) == []
    assert sorted(p.name for p in (root / "PubMed" / "raw").iterdir()) == sorted(planetoid_files.required_files("pubmed"))
    assert sorted(p.name for p in root.iterdir()) == ["PubMed"]  # no staging folder left
    fetched = len(planetoid_server)
    task = pubmed(str(root), download=True)
    assert task.data.num_nodes == 1600 and len(planetoid_server) == fetched  # nothing fetched twice


def test_download_is_opt_in(tmp_path, planetoid_server):
    (message,) = check("pubmed", str(tmp_path / "empty"), {})
    assert "download: true" in message and planetoid_server == []


def test_download_refused_offline_or_into_a_read_only_root(tmp_path, planetoid_server, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    root.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    try:
        (message,) = check("pubmed", str(root), {"download": True})
        assert "read-only data root" in message and "ind.pubmed.allx" in message
        assert check("pubmed", str(root / "absent"), {"download": True}) and not (root / "absent").exists()
    finally:
        root.chmod(0o755)
    monkeypatch.setenv("HARNESS_OFFLINE", "1")
    (message,) = check("pubmed", str(root), {"download": True})
    assert "while HARNESS_OFFLINE is set" in message and planetoid_server == [] and list(root.iterdir()) == []


def test_a_served_file_that_is_not_the_pinned_one_is_refused_and_nothing_kept(tmp_path, planetoid_server, monkeypatch):
    monkeypatch.setitem(planetoid_files.PINS, "ind.pubmed.graph", "0" * 64)
    root = tmp_path / "data"
    root.mkdir()
    (message,) = check("pubmed", str(root), {"download": True})
    assert "ind.pubmed.graph" in message and "not the pinned file" in message
    assert not [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.shared_data
def test_every_fetched_file_is_pinned_to_the_shared_copy(shared_data):
    """Every file ``download: true`` may fetch has a sha256, that of the shared copy (PubMed's
    allx, which the snapshot lacks: the digest its PROVENANCE.md records)."""
    raw = shared_data / "planetoid" / "raw"
    for name in TABLE:
        for remote in planetoid_files.files(name).remotes:
            assert remote.url.startswith("https://raw.githubusercontent.com/kimiyoung/planetoid/af6abf4")  # a commit, not a branch
            if (raw / remote.name).is_file():
                assert hashlib.sha256((raw / remote.name).read_bytes()).hexdigest() == remote.sha256, remote.name
            else:
                assert remote.sha256 in (raw.parent / "PROVENANCE.md").read_text(), remote.name


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["cora", "citeseer"])
def test_the_restricted_reader_builds_what_pygs_reader_builds(shared_data, name):
    from torch_geometric.io import read_planetoid_data

    from harness_planetoid.loader import read_planetoid

    raw = shared_data / "planetoid" / "raw"
    ours, pyg = read_planetoid(raw, name), read_planetoid_data(str(raw), name)
    assert sorted(ours.keys()) == sorted(pyg.keys())
    for key in pyg.keys():
        assert ours[key].dtype == pyg[key].dtype and torch.equal(ours[key], pyg[key]), key


def test_failed_download_is_fast_names_the_files_and_leaves_nothing(tmp_path, monkeypatch):
    base = servers.refused_url("")
    port = base.rsplit(":", 1)[1]
    monkeypatch.setattr(planetoid_files, "BASE_URL", base)
    monkeypatch.delenv("HARNESS_OFFLINE", raising=False)
    start = time.monotonic()
    with pytest.raises(DatasetUnavailable) as error:
        pubmed(str(tmp_path), download=True)
    assert time.monotonic() - start < 10
    for fragment in ("ind.pubmed.allx", "ind.pubmed.graph", str(tmp_path / "PubMed" / "raw"), f"127.0.0.1:{port}"):
        assert fragment in str(error.value)
    assert list(tmp_path.iterdir()) == []
