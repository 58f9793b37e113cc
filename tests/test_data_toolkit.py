"""The public dataset toolkit (``harness.data``) on tiny files made here: the readers (edge lists,
``.mat``, pairs, ``.npz`` and zip members, TU), the seeded edge split with negatives, and the
table-driven file finding, preflight messages and download (through a loopback mirror)."""

from __future__ import annotations

import gzip
import hashlib
import lzma
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from dataset_files import write_tiny_tu
from harness.data import readers
from harness.data.edge_splits import mix, sample_non_edges, split_edges, split_items
from harness.data.readers import FormatError, ZipMember
from harness.data.table import Archive, DatasetFiles, DatasetTable, DatasetUnavailable, RemoteFile
from helpers import servers

# -- readers -------------------------------------------------------------------------------


def test_compressed_sources_and_zip_members_read_the_same_bytes(tmp_path):
    text = "# a comment\n0 1\n1 2\n2 0\n"
    (tmp_path / "plain.txt").write_text(text)
    (tmp_path / "named.txt").write_bytes(gzip.compress(text.encode()))  # recognised by content, not name
    (tmp_path / "g.txt.xz").write_bytes(lzma.compress(text.encode()))
    with zipfile.ZipFile(tmp_path / "all.zip", "w") as archive:
        archive.writestr("inner/edges.txt", text)
        archive.writestr("inner/edges.txt.gz", gzip.compress(text.encode()))
    member = ZipMember(tmp_path / "all.zip", "inner/edges.txt")
    sources = [tmp_path / "plain.txt", tmp_path / "named.txt", tmp_path / "g.txt.xz", member, ZipMember(member.archive, "inner/edges.txt.gz")]
    assert {readers.read_text(source) for source in sources} == {text}
    assert readers.zip_members(tmp_path / "all.zip") == ["inner/edges.txt", "inner/edges.txt.gz"]
    assert str(member) == f"{tmp_path / 'all.zip'}:inner/edges.txt"
    with pytest.raises(FormatError, match="no member 'absent.txt'"):
        readers.read_bytes(ZipMember(member.archive, "absent.txt"))
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        archive.writestr("../escape.txt", "x")
    with pytest.raises(FormatError, match="unsafe path"):
        readers.zip_members(tmp_path / "evil.zip")
    (tmp_path / "not.zip").write_text("no archive")
    with pytest.raises(FormatError, match="not a zip archive"):
        readers.zip_members(tmp_path / "not.zip")


def test_edge_lists_whitespace_csv_and_id_styles(tmp_path):
    (tmp_path / "g.txt").write_text("% header\n1\t2 5.0\r\n2 1\n3 3\n\n2 4\n")
    graph = readers.read_edgelist(tmp_path / "g.txt", "1-based")
    assert graph.edges.tolist() == [[0, 1], [1, 3]] and graph.num_nodes == 4
    assert graph.report == {"format": "edgelist", "pairs_read": 4, "self_loops_dropped": 1, "duplicates_merged": 1, "isolated_nodes": 1}
    (tmp_path / "g.csv").write_text("source,target\nb10, a7\na7,c3\n")
    named = readers.read_edgelist(tmp_path / "g.csv", "relabel", delimiter=",", header=True)
    assert named.node_ids == ["a7", "b10", "c3"] and named.edges.tolist() == [[0, 1], [0, 2]]
    (tmp_path / "n.csv").write_text("u,v\n10,3\n3,7\n")
    numeric = readers.read_edgelist(tmp_path / "n.csv", "relabel", delimiter=",", header=True)
    assert numeric.node_ids == ["3", "7", "10"] and numeric.edges.tolist() == [[0, 1], [0, 2]]  # numerical order
    (tmp_path / "bad.csv").write_text("u,v\n0,1\n2\n")
    with pytest.raises(FormatError, match=r"bad.csv:3: expected two node ids"):
        readers.read_edgelist(tmp_path / "bad.csv", "0-based", delimiter=",", header=True)
    with pytest.raises(ValueError, match="ids must be"):
        readers.read_edgelist(tmp_path / "g.txt", "2-based")


def test_mat_adjacency_from_a_file_and_from_a_zip_member(tmp_path):
    import scipy.io

    adjacency = sp.csr_matrix(np.array([[0, 2, 0], [2, 0, 0], [1, 0, 1]], dtype=float))  # not symmetric, a self-loop
    scipy.io.savemat(tmp_path / "g.mat", {"net": adjacency, "other": np.ones(2)})
    graph = readers.read_mat(tmp_path / "g.mat", "net")
    assert graph.edges.tolist() == [[0, 1], [0, 2]] and graph.report["symmetric"] is False and graph.report["stored_entries"] == 4
    with zipfile.ZipFile(tmp_path / "m.zip", "w") as archive:
        archive.write(tmp_path / "g.mat", "g.mat")
    assert readers.read_mat(ZipMember(tmp_path / "m.zip", "g.mat"), "net").edges.tolist() == graph.edges.tolist()
    with pytest.raises(FormatError, match=r"no variable 'A'; the file holds \['net', 'other'\]"):
        readers.read_mat(tmp_path / "g.mat", "A")


def test_tsv_pairs_relabel_names_in_sorted_order(tmp_path):
    (tmp_path / "p.tsv").write_text("Drug1\tDrug2\nDB3\tDB1\nDB1\tDB3\nDB2\tDB3\n")
    graph = readers.read_tsv_pairs(tmp_path / "p.tsv")
    assert graph.node_ids == ["DB1", "DB2", "DB3"] and graph.edges.tolist() == [[0, 2], [1, 2]] and graph.report["header"] == "Drug1\tDrug2"


def _npz_graph(path, dense_features: bool = False, xz: bool = False) -> dict:
    adjacency = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]], dtype=np.float32))  # self-loop, reverse duplicate
    features = np.array([[0, 2], [1, 0], [3, 1], [0, 0]], dtype=np.float32)
    arrays = {"adj_data": adjacency.data, "adj_indices": adjacency.indices, "adj_indptr": adjacency.indptr, "adj_shape": np.array(adjacency.shape), "labels": np.array([0, 1, 1, 0])}
    if dense_features:
        arrays["attr_matrix"] = features
    else:
        attr = sp.csr_matrix(features)
        arrays.update(attr_data=attr.data, attr_indices=attr.indices, attr_indptr=attr.indptr, attr_shape=np.array(attr.shape))
    arrays["class_names"] = np.array(["a", "b"], dtype=object)  # pickled: must never be unpickled
    plain = path.with_name("plain.npz")
    np.savez(plain, **arrays)
    path.write_bytes(lzma.compress(plain.read_bytes()) if xz else plain.read_bytes())
    return {"features": features}


@pytest.mark.parametrize("dense, xz", [(False, False), (True, True)])
def test_npz_graph_is_undirected_simple_and_binarised(tmp_path, dense, xz):
    truth = _npz_graph(tmp_path / "g.npz", dense, xz)
    data = readers.read_npz_graph(tmp_path / "g.npz")
    assert data.edge_index.tolist() == [[0, 0, 1, 1, 2, 3], [1, 3, 0, 2, 1, 0]]  # both directions, sorted, no loop
    assert torch.equal(data.x, torch.from_numpy((truth["features"] > 0).astype(np.float32)))
    assert torch.equal(readers.read_npz_graph(tmp_path / "g.npz", binary_features=False).x, torch.from_numpy(truth["features"]))
    assert data.y.tolist() == [0, 1, 1, 0]
    assert set(readers.read_npz(tmp_path / "g.npz", ("labels", "absent"))) == {"labels"}
    with pytest.raises(FormatError, match="allow_pickle"):
        readers.read_npz(tmp_path / "g.npz")  # every array, class_names included


def test_npz_matrix_names_what_is_missing():
    dense = readers.npz_matrix({"attr_matrix": np.eye(2)}, "attr")
    assert dense.toarray().tolist() == [[1, 0], [0, 1]]
    with pytest.raises(FormatError, match="adj_data needs adj_indices"):
        readers.npz_matrix({"adj_data": np.ones(1)}, "adj", "g.npz")
    with pytest.raises(FormatError, match="neither attr_data"):
        readers.npz_matrix({}, "attr", "g.npz")


def test_edge_index_holds_both_directions_once():
    index = readers.edge_index(np.array([[1, 2], [0, 1], [0, 1]]), 3)
    assert index.tolist() == [[0, 1, 1, 2], [1, 0, 2, 1]]


def test_tu_files_and_graphs(tmp_path):
    assert readers.tu_file_names("X", edge_labels=True) == ["X_A.txt", "X_graph_indicator.txt", "X_graph_labels.txt", "X_node_labels.txt", "X_edge_labels.txt"]
    assert readers.tu_file_names("X", node_attributes=True)[-1] == "X_node_attributes.txt"
    truth = write_tiny_tu(tmp_path, "TOY", [1, -1, 1], node_label_values=3, node_attributes=2, edge_label_values=2)
    graphs, y = readers.read_tu(tmp_path, "TOY")
    assert y.tolist() == [1, 0, 1] and [g.num_nodes for g in graphs] == truth["sizes"]
    assert graphs[0].x.size(1) == 3 and graphs[0].edge_attr.size(1) == 2  # one-hot labels only
    with_attributes, _ = readers.read_tu(tmp_path, "TOY", use_node_attributes=True)
    assert with_attributes[0].x.size(1) == 5
    assert sum(g.edge_index.size(1) for g in graphs) == truth["num_edges"]


# -- edge splits -----------------------------------------------------------------------------


def _ring_with_chords(n: int = 60) -> np.ndarray:
    pairs = {(i, (i + 1) % n) for i in range(n)} | {(i, (i + 7) % n) for i in range(0, n, 3)}
    return np.unique(np.sort(np.array(sorted(pairs)), axis=1), axis=0)


def test_edge_split_is_reproducible_per_seed_with_equal_negatives_and_no_leak():
    edges = _ring_with_chords()
    first, again, other = (split_edges(edges, 60, 0.1, 0.2, seed) for seed in (4, 4, 5))
    assert all(np.array_equal(getattr(first, part), getattr(again, part)) for part in ("train", "valid", "test", "valid_negative", "test_negative"))
    assert not np.array_equal(first.test, other.test)
    assert (len(first.valid), len(first.test)) == (int(0.1 * len(edges)), int(0.2 * len(edges)))
    assert len(first.valid_negative) == len(first.valid) and len(first.test_negative) == len(first.test)
    keys = lambda pairs: {tuple(p) for p in pairs.tolist()}  # noqa: E731
    positives = keys(edges)
    assert keys(first.train) | keys(first.valid) | keys(first.test) == positives and len(first.train) + len(first.valid) + len(first.test) == len(edges)
    negatives = keys(first.valid_negative) | keys(first.test_negative)
    assert not negatives & positives and not keys(first.valid_negative) & keys(first.test_negative)
    assert all(u < v for u, v in negatives)
    message_graph = {tuple(p) for p in readers.edge_index(first.train, 60).t().tolist()}
    held_out = keys(first.valid) | keys(first.test)
    assert not any((u, v) in message_graph or (v, u) in message_graph for u, v in held_out)  # messages never see them


def test_mix_split_items_and_impossible_requests():
    pairs, labels = mix(np.array([[0, 1], [1, 2]]), np.array([[0, 2]]), np.random.default_rng(0))
    assert sorted(zip(map(tuple, pairs.tolist()), labels.tolist())) == [((0, 1), 1.0), ((0, 2), 0.0), ((1, 2), 1.0)]
    parts = split_items(20, 0.1, 0.2, 3)
    assert sorted(np.concatenate(list(parts.values())).tolist()) == list(range(20)) and (len(parts["valid"]), len(parts["test"])) == (2, 4)
    with pytest.raises(ValueError, match="only 1 non-adjacent pairs"):
        sample_non_edges(np.array([[0, 1], [1, 2]]), 3, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="too few"):
        split_edges(np.array([[0, 1], [1, 2]]), 3, 0.1, 0.1, 0)


# -- table-driven files ----------------------------------------------------------------------


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("HARNESS_OFFLINE", raising=False)


def test_files_are_found_in_the_first_layout_holding_all_under_any_accepted_name(tmp_path):
    files = DatasetFiles("toy", ("a.txt", "b.txt"), layouts=("toy", "."), alternatives={"a.txt": ("a.txt.gz",)})
    (tmp_path / "a.txt").write_text("root")
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "b.txt").write_text("b")
    assert files.find(tmp_path) is None and files.problems(tmp_path)  # neither folder holds both
    (tmp_path / "toy" / "a.txt.gz").write_bytes(gzip.compress(b"a"))
    assert files.find(tmp_path) == [tmp_path / "toy" / "a.txt.gz", tmp_path / "toy" / "b.txt"]
    (tmp_path / "b.txt").write_text("b")
    assert files.require(tmp_path)[0] == tmp_path / "toy" / "a.txt.gz"  # the first layout wins
    assert files.problems(tmp_path) == []


def test_missing_messages_name_files_folders_sources_and_partial_copies(tmp_path):
    files = DatasetFiles("toy", ("a.txt", "b.txt"), layouts=("toy", "other"), target="other", source="example.org/toy", notes={"b.txt": "Note on b."})
    (message,) = files.problems(tmp_path)
    assert message.startswith("toy: a.txt, b.txt not found under data root") and f"Place them in {tmp_path / 'other'} (or {tmp_path / 'toy'})" in message
    assert "they come from example.org/toy" in message and "HARNESS_DATA_ROOT" in message
    assert "download: true" not in message  # nothing to fetch from: no remote given
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "a.txt").write_text("a")
    (message,) = files.problems(tmp_path)
    assert f"{tmp_path / 'toy'} lacks b.txt (it holds 1 of the 2 files). Note on b. Put b.txt in {tmp_path / 'toy'}." in message
    (tmp_path / "toy").chmod(0o555)
    try:
        assert "that folder is read-only, so copy the files it holds together with b.txt into <a writable data root>/toy" in files.missing_message(tmp_path)
    finally:
        (tmp_path / "toy").chmod(0o755)


def test_download_is_opt_in_checked_and_all_or_nothing(tmp_path, monkeypatch, online):
    served, root = tmp_path / "mirror", tmp_path / "data"
    content = {"a.txt": b"0 1\n", "b.txt": b"1 2\n"}
    remotes = []
    for name, data in content.items():
        url = f"https://example.org/toy/{name}"
        servers.publish(served, url, data)
        remotes.append(RemoteFile(name, url, hashlib.sha256(data).hexdigest()))
    files = DatasetFiles("toy", tuple(content), layouts=("toy", "."), remotes=tuple(remotes))
    (message,) = files.problems(root)
    assert "give the dataset the parameter download: true" in message and "example.org" in message and not root.exists()
    wrong = DatasetFiles("toy", tuple(content), layouts=("toy",), remotes=(remotes[0], RemoteFile("b.txt", remotes[1].url, "0" * 64)))
    with servers.mirror(served, monkeypatch):
        (failure,) = wrong.problems(root, download=True)
        assert "not the pinned file" in failure and not root.exists()  # a.txt taken back, folders too
        assert files.problems(root, download=True) == []
    assert [p.read_bytes() for p in files.require(root)] == list(content.values())
    monkeypatch.setenv("HARNESS_OFFLINE", "1")
    (tmp_path / "data" / "toy" / "b.txt").unlink()
    (message,) = files.problems(root, download=True)
    assert "while HARNESS_OFFLINE is set" in message


def test_archive_download_unpacks_its_top_folder_into_place(tmp_path, monkeypatch, online):
    served, root = tmp_path / "mirror", tmp_path / "data"
    zipped = tmp_path / "toy.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("TOY/a.txt", "a")
        archive.writestr("TOY/b.txt", "b")
    url = "https://example.org/archives/toy.zip"
    servers.publish(served, url, zipped.read_bytes())
    files = DatasetFiles("toy", ("a.txt", "b.txt"), layouts=("toy/raw",), archive=Archive(url, "TOY"))
    (message,) = files.problems(root)
    assert "download: true" in message and "example.org" in message
    with servers.mirror(served, monkeypatch):
        assert files.problems(root, download=True) == []
        missing = DatasetFiles("toy", ("a.txt", "c.txt"), layouts=("other/raw",), archive=Archive(url, "TOY"))
        (failure,) = missing.problems(root, download=True)
    assert "the download lacks c.txt" in failure and f"Fetching {url} failed" in failure
    assert sorted(p.name for p in (root / "toy" / "raw").iterdir()) == ["a.txt", "b.txt"]
    assert sorted(p.name for p in root.iterdir()) == ["toy"]  # nothing left of the failed attempt


@pytest.fixture
def toy_table(tmp_path, monkeypatch):
    """A package ``toy_data_plugin`` holding a ``datasets.csv`` of two rows."""
    package = tmp_path / "site" / "toy_data_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "datasets.csv").write_text(
        "name,task_type,metric,factory,doc,nodes,folder,file,url,sha256\n"
        "toy,link-prediction,rocauc,toy_data_plugin.loader:load,A toy graph.,3,toy_folder,edges.txt|nodes.txt,https://example.org/e.txt|https://example.org/n.txt,|\n"
        "bare,node-classification,acc,toy_data_plugin.loader:load,No source.,2,bare_folder,bare.npz,,\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    yield DatasetTable("toy_data_plugin", layouts=("{folder}", "shared/{name}"))
    sys.modules.pop("toy_data_plugin", None)


def test_table_rows_declarations_and_files(toy_table, tmp_path):
    assert list(toy_table.rows) == ["toy", "bare"]
    with pytest.raises(KeyError, match="unknown dataset 'toi'; known: toy, bare"):
        toy_table.row("toi")
    toy, bare = toy_table.components(preflight="toy_data_plugin:TABLE.check", arguments=lambda row: {"name": row["name"]})
    assert toy.metadata["nodes"] == 3 and toy.arguments == {"name": "toy"} and toy.preflight == "toy_data_plugin:TABLE.check"
    files = toy_table.files("toy")
    assert files.files == ("edges.txt", "nodes.txt") and files.layouts == ("toy_folder", "shared/toy")
    assert [r.url for r in files.remotes] == ["https://example.org/e.txt", "https://example.org/n.txt"] and toy_table.files("bare").remotes == ()
    assert toy_table.files("toy", fields={"folder": "elsewhere"}).layouts[0] == "elsewhere"
    (message,) = toy_table.check("bare", str(tmp_path), {"download": True})
    assert "bare.npz not found" in message and str(tmp_path / "bare_folder") in message
    (tmp_path / "shared" / "bare").mkdir(parents=True)
    (tmp_path / "shared" / "bare" / "bare.npz").write_bytes(b"")
    assert toy_table.check("bare", str(tmp_path), {}) == []
    assert toy_table.require(str(tmp_path), "bare") == [tmp_path / "shared" / "bare" / "bare.npz"]


def test_toolkit_modules_import_without_torch():
    code = "import sys; import harness.data.readers, harness.data.table, harness.data.edge_splits; assert 'torch' not in sys.modules, 'torch imported'"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_documented_worked_example_runs(repo, tmp_path, monkeypatch, online):
    """The three code blocks of docs/plugin_hooks.md's worked example, as a package: the preflight
    names the missing file, fetches it with download: true, and the loader builds the task."""
    import random
    import re

    text = (repo / "docs" / "plugin_hooks.md").read_text()
    section = text[text.index("## The dataset toolkit") : text.index("## Shipping submitted reference entries")]
    table, init, loader = re.findall(r"```\w+\n(.*?)```", section, flags=re.DOTALL)
    rng = random.Random(0)
    edges = "source,target\n" + "".join(f"n{rng.randrange(60)},n{rng.randrange(60)}\n" for _ in range(300))
    served, package = tmp_path / "mirror", tmp_path / "site" / "my_plugin"
    servers.publish(served, "https://example.org/data/edges.csv", edges.encode())
    package.mkdir(parents=True)
    (package / "datasets.csv").write_text(table.replace("<sha256 of the served bytes>", hashlib.sha256(edges.encode()).hexdigest()))
    (package / "__init__.py").write_text(init)
    (package / "loader.py").write_text(loader)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    try:
        import my_plugin
        from my_plugin.loader import load

        root = str(tmp_path / "data")
        (component,) = my_plugin.harness_datasets()
        (message,) = component.load_preflight()("my-graph", root, {})
        assert "edges.csv not found" in message and "download: true" in message
        with servers.mirror(served, monkeypatch):
            assert component.load_preflight()("my-graph", root, {"download": True}) == []
        task = load(root, "my-graph", split_seed=1)
        assert task.data.num_nodes == 60 and task.labels["valid"].mean() == 0.5
    finally:
        for name in [m for m in sys.modules if m == "my_plugin" or m.startswith("my_plugin.")]:
            del sys.modules[name]
