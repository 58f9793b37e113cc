"""Amazon Computers, Amazon Photo and Coauthor CS from gnn-benchmark ``.npz`` files: tiny files in
the exact format (sparse or dense features, ``.npz`` or ``.npz.xz``) read as PyG reads them, the
per-class 20/30 split, the shared files against the metadata table (PyG's and the paper's
statistics), and a missing file named before anything runs."""

from __future__ import annotations

from functools import partial

import time

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from dataset_files import write_tiny_npz
from harness.data.readers import read_npz_graph as read_graph
from harness.download import DatasetUnavailable
from harness.metadata import read_table
from harness_gnn_benchmark.files import PYG_NAMES, check
from harness_gnn_benchmark.loader import load, per_class_split

TABLE = {row["name"]: row for row in read_table("harness_gnn_benchmark")}
amazon_computers, amazon_photo, coauthor_cs = (partial(load, name=n) for n in ("amazon-computers", "amazon-photo", "coauthor-cs"))
LOADERS = {"amazon-computers": amazon_computers, "amazon-photo": amazon_photo, "coauthor-cs": coauthor_cs}


def _edges(edge_index: torch.Tensor) -> set:
    return set(map(tuple, edge_index.t().tolist()))


@pytest.mark.parametrize("dense, xz", [(False, False), (False, True), (True, False), (True, True)])
def test_tiny_file_reads_as_pyg_reads_it(tmp_path, dense, xz):
    from torch_geometric.io import read_npz

    suffix = ".npz.xz" if xz else ".npz"
    path = tmp_path / "gnn_benchmark_npz" / f"amazon_electronics_photo{suffix}"
    truth = write_tiny_npz(path, dense=dense, xz=xz)
    data = read_graph(path)
    adjacency = truth["adjacency"].tocoo()
    expected = {(int(a), int(b)) for a, b in zip(adjacency.row, adjacency.col) if a != b}
    expected |= {(b, a) for a, b in expected}
    assert _edges(data.edge_index) == expected and data.edge_index.size(1) == len(expected)  # undirected, no self-loop, no duplicate
    assert torch.equal(data.x, torch.from_numpy((truth["features"] > 0).astype(np.float32)))
    assert torch.equal(data.y, torch.from_numpy(truth["labels"]))
    assert torch.equal(read_graph(path, binary_features=False).x, torch.from_numpy(truth["features"]))
    if not dense and not xz:  # PyG's reader takes only sparse features from a plain .npz
        reference = read_npz(str(path))
        assert torch.equal(reference.edge_index, data.edge_index) and torch.equal(reference.x, data.x)
    task = amazon_photo(str(tmp_path))
    assert task.num_outputs == 3 and task.info["file"] == str(path)


def test_per_class_split_sizes_classes_and_determinism(tmp_path):
    write_tiny_npz(tmp_path / "Photo" / "raw" / "amazon_electronics_photo.npz")  # PyG's layout
    first, again, other = (amazon_photo(str(tmp_path), split_seed=s) for s in (5, 5, 6))
    assert [len(first.items[s]) for s in ("train", "valid", "test")] == [60, 90, 30]
    assert first.labels["train"].bincount().tolist() == [20] * 3 and first.labels["valid"].bincount().tolist() == [30] * 3
    assert all(torch.equal(first.items[s], again.items[s]) for s in ("train", "valid", "test"))
    assert not torch.equal(first.items["train"], other.items["train"])
    together = torch.cat([first.items[s] for s in ("train", "valid", "test")])
    assert sorted(together.tolist()) == list(range(180))  # a partition of the nodes


def test_a_class_too_small_for_the_split_is_refused():
    with pytest.raises(ValueError, match="class 1 has 50 items"):
        per_class_split(torch.tensor([0] * 60 + [1] * 50), seed=0)


def test_a_missing_file_is_named_within_seconds(tmp_path):
    (message,) = check("coauthor-cs", str(tmp_path), {})
    assert "ms_academic_cs.npz" in message and str(tmp_path / "gnn_benchmark_npz") in message and "HARNESS_DATA_ROOT" in message
    start = time.monotonic()
    with pytest.raises(DatasetUnavailable) as error:
        coauthor_cs(str(tmp_path))
    assert str(error.value) == message and time.monotonic() - start < 5 and list(tmp_path.iterdir()) == []


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(PYG_NAMES))
def test_shared_files_match_the_metadata_table(shared_gnn_benchmark, name):
    """PyG's statistics for the whole graph, and the paper's (Shchur et al. 2018, Table 1) for its
    largest connected component with edges counted once."""
    from scipy.sparse.csgraph import connected_components

    row = TABLE[name]
    task = LOADERS[name](str(shared_gnn_benchmark))
    data = task.data
    # Coauthor CS's keywords are 0.9% non-zero: stored sparse; Amazon's 767 or 745 product-review
    # words are over a third non-zero: dense (harness.sparse_features.MAX_DENSITY)
    assert (data.x.layout == torch.sparse_csr) == (name == "coauthor-cs")
    assert (data.num_nodes, data.edge_index.size(1), data.x.size(1), task.num_outputs) == (int(row["nodes"]), int(row["edges"]), int(row["features"]), int(row["classes"]))
    assert not (data.edge_index[0] == data.edge_index[1]).any()
    adjacency = sp.csr_matrix((np.ones(data.edge_index.size(1)), data.edge_index.numpy()), shape=(data.num_nodes,) * 2)
    _, component = connected_components(adjacency, directed=False)
    largest = np.flatnonzero(component == np.bincount(component).argmax())
    assert len(largest) == int(row["paper_nodes"])
    assert adjacency[largest][:, largest].nnz // 2 == int(row["paper_edges"])
    classes = int(row["classes"])
    assert [len(task.items[s]) for s in ("train", "valid")] == [20 * classes, 30 * classes]
    assert task.labels["train"].bincount().tolist() == [20] * classes
    assert len(task.items["test"]) == data.num_nodes - 50 * classes


@pytest.mark.shared_data
def test_shared_photo_equals_pyg_reader(shared_gnn_benchmark, tmp_path):
    import lzma

    from torch_geometric.io import read_npz

    plain = tmp_path / "amazon_electronics_photo.npz"
    plain.write_bytes(lzma.decompress((shared_gnn_benchmark / "gnn_benchmark_npz" / "amazon_electronics_photo.npz.xz").read_bytes()))
    ours, reference = read_graph(plain), read_npz(str(plain))
    assert torch.equal(ours.edge_index, reference.edge_index) and torch.equal(ours.x, reference.x) and torch.equal(ours.y, reference.y)
    kept = read_graph(plain, sparse=True).x  # a third non-zero: above MAX_DENSITY, so dense
    assert kept.layout == torch.strided and torch.equal(kept, reference.x)
