"""The linkpred plugin: readers on tiny files in each exact format, the seeded edge split, the
task bundles, SHS27k's sequences and interaction types, and (where ../shared/data holds them)
every real graph against the statistics in the plugin's table, plus a short supervised run."""

from __future__ import annotations

import csv
import gzip
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import SHARED_DATA
from harness.data.edge_splits import sample_non_edges, split_edges
from harness.data.readers import FormatError
from harness_linkpred import LINK_METRICS, files, loader, readers

FOLDERS = sorted({row["folder"] for row in files.table()})
ROWS = list(files.table())


@pytest.fixture
def linkpred_data() -> Path:
    absent = [f for f in FOLDERS if not (SHARED_DATA / f).is_dir()]
    if absent:
        pytest.skip(f"the shared link-prediction data is not at {SHARED_DATA} (missing {', '.join(absent)}; set HARNESS_SHARED_DATA)")
    return SHARED_DATA


def _write(path: Path, text: str, compress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def _keys(pairs) -> set[tuple[int, int]]:
    """Unordered pairs of a (2, n) tensor or array."""
    pairs = np.asarray(pairs)
    assert pairs.ndim == 2 and pairs.shape[0] == 2, pairs.shape
    return {(min(u, v), max(u, v)) for u, v in zip(pairs[0].tolist(), pairs[1].tolist())}


# --- readers, one per format --------------------------------------------------------------------


def test_plain_edge_list_one_based_with_weights_and_crlf(tmp_path):
    # USAir/NS style: padded columns, a weight column, CRLF, a reverse pair and a self-loop.
    path = _write(tmp_path / "USAir.txt", "    1    2    0.1804\r\n    2    1    0.1804\r\n    3    3    1\r\n    2    5    0.0013\r\n\r\n")
    graph = readers.read_edgelist(path, "1-based")
    assert graph.num_nodes == 5  # ids 1..5; ids 3 (self-loop only) and 4 (unused) stay as isolated nodes
    assert graph.edges.tolist() == [[0, 1], [1, 4]]
    assert graph.report == {"format": "edgelist", "pairs_read": 4, "self_loops_dropped": 1, "duplicates_merged": 1, "isolated_nodes": 2}


def test_tab_separated_zero_based_without_final_newline(tmp_path):
    path = _write(tmp_path / "Celegans.txt", "0\t1\n1\t2\n0\t1\n2\t0")
    graph = readers.read_edgelist(path, "0-based")
    assert graph.num_nodes == 3 and graph.edges.tolist() == [[0, 1], [0, 2], [1, 2]]
    assert graph.report["duplicates_merged"] == 1


def test_snap_gzip_with_comment_lines_and_sparse_ids(tmp_path):
    text = "# Directed graph (each unordered pair of nodes is saved once): Wiki-Vote.txt\n# Nodes: 4 Edges: 4\n# FromNodeId\tToNodeId\n30\t1412\n30\t3352\n1412\t30\n3352\t8297\n"
    path = _write(tmp_path / "Wiki-Vote.txt.gz", text, compress=True)
    graph = readers.read_edgelist(path, "relabel")
    assert graph.node_ids == ["30", "1412", "3352", "8297"]  # numerical order, not string order
    assert graph.edges.tolist() == [[0, 1], [0, 2], [2, 3]]
    assert graph.report["duplicates_merged"] == 1
    # The same comments are skipped with 0-based ids.
    zero = readers.read_edgelist(_write(tmp_path / "g.txt.gz", "# c\n0\t1\n# c\n1\t2\n", compress=True), "0-based")
    assert zero.edges.tolist() == [[0, 1], [1, 2]]


def test_malformed_edge_lists_name_the_line(tmp_path):
    with pytest.raises(FormatError, match=r"bad.txt:2: expected two node ids"):
        readers.read_edgelist(_write(tmp_path / "bad.txt", "0 1\n7\n"), "0-based")
    with pytest.raises(FormatError, match=r"bad2.txt:1: node ids must be non-negative integers"):
        readers.read_edgelist(_write(tmp_path / "bad2.txt", "a b\n"), "0-based")
    with pytest.raises(FormatError, match="declared 1-based but holds node id 0"):
        readers.read_edgelist(_write(tmp_path / "zero.txt", "0 1\n"), "1-based")
    with pytest.raises(FormatError, match="no edge found"):
        readers.read_edgelist(_write(tmp_path / "empty.txt", "# only a comment\n"), "0-based")


def test_mat_sparse_adjacency_under_its_key(tmp_path):
    import scipy.io
    import scipy.sparse

    dense = np.zeros((5, 5))
    for u, v in [(0, 1), (1, 2), (3, 4)]:
        dense[u, v] = dense[v, u] = 1
    scipy.io.savemat(tmp_path / "Ecoli.mat", {"net": scipy.sparse.csc_matrix(dense)})
    graph = readers.read_mat(tmp_path / "Ecoli.mat", "net")
    assert graph.num_nodes == 5 and graph.edges.tolist() == [[0, 1], [1, 2], [3, 4]]
    assert graph.report["stored_entries"] == 6 and graph.report["symmetric"]
    # minnesota.mat style: key 'A', weights 1 or 2 (binarised), only one triangle stored.
    upper = np.triu(dense * 2)
    scipy.io.savemat(tmp_path / "minnesota.mat", {"A": scipy.sparse.csc_matrix(upper), "xy": np.zeros((5, 2))})
    graph = readers.read_mat(tmp_path / "minnesota.mat", "A")
    assert graph.edges.tolist() == [[0, 1], [1, 2], [3, 4]] and not graph.report["symmetric"]
    with pytest.raises(FormatError, match=r"no variable 'net'; the file holds \['A', 'xy'\]"):
        readers.read_mat(tmp_path / "minnesota.mat", "net")
    scipy.io.savemat(tmp_path / "rect.mat", {"net": scipy.sparse.csc_matrix(np.ones((2, 3)))})
    with pytest.raises(FormatError, match="square"):
        readers.read_mat(tmp_path / "rect.mat", "net")


def test_chch_miner_tsv_with_header(tmp_path):
    path = _write(tmp_path / "ChCh-Miner_durgbank-chem-chem.tsv", "Drug1\tDrug2\nDB00862\tDB00966\nDB00575\tDB00806\nDB00966\tDB00862\n")
    graph = readers.read_tsv_pairs(path)
    assert graph.node_ids == ["DB00575", "DB00806", "DB00862", "DB00966"]
    assert graph.edges.tolist() == [[0, 1], [2, 3]] and graph.report["duplicates_merged"] == 1
    assert graph.report["header"] == "Drug1\tDrug2"
    with pytest.raises(FormatError, match=r":3: expected two tab-separated names"):
        readers.read_tsv_pairs(_write(tmp_path / "bad.tsv", "Drug1\tDrug2\nDB1\tDB2\nDB3\n"))


SHS_HEADER = "item_id_a\titem_id_b\tmode\taction\tis_directional\ta_is_acting\tscore\n"


def _shs27k_files(folder: Path, actions: list[str], sequences: str | None = None) -> tuple[Path, Path]:
    sequences = sequences if sequences is not None else "9606.ENSP1\tMKVL\n9606.ENSP2\tMALW\n9606.ENSP3\tMGLT\n9606.ENSP4\tMSTA\n"
    seq = _write(folder / "protein.SHS27k.sequences.dictionary.tsv.gz", sequences, compress=True)
    act = _write(folder / "protein.actions.SHS27k.STRING.txt.gz", SHS_HEADER + "".join(actions), compress=True)
    return act, seq


SHS_ROWS = [
    "9606.ENSP1\t9606.ENSP2\treaction\t\tt\tt\t900\n",
    "9606.ENSP2\t9606.ENSP1\treaction\t\tt\tf\t900\n",
    "9606.ENSP1\t9606.ENSP2\tbinding\t\tf\tf\t500\n",
    "9606.ENSP3\t9606.ENSP2\tactivation\tactivation\tt\tt\t175\n",
    "9606.ENSP2\t9606.ENSP3\tinhibition\tinhibition\tt\tf\t300\n",
]


def test_shs27k_actions_grouped_by_unordered_pair(tmp_path):
    protein = readers.read_string_actions(*_shs27k_files(tmp_path, SHS_ROWS))
    graph = protein.graph
    assert graph.node_ids == ["9606.ENSP1", "9606.ENSP2", "9606.ENSP3", "9606.ENSP4"]
    assert protein.sequences == ["MKVL", "MALW", "MGLT", "MSTA"]
    assert graph.edges.tolist() == [[0, 1], [1, 2]] and graph.report["isolated_nodes"] == 1
    types = dict(zip(readers.INTERACTION_TYPES, protein.types.T.tolist()))
    assert types["reaction"] == [1, 0] and types["binding"] == [1, 0]
    assert types["activation"] == [0, 1] and types["inhibition"] == [0, 1]
    assert protein.types.sum() == 4


@pytest.mark.parametrize(
    "rows, sequences, message",
    [
        (["9606.ENSP1\t9606.ENSP9\treaction\t\tt\tt\t900\n"], None, "protein '9606.ENSP9' has no sequence"),
        (["9606.ENSP1\t9606.ENSP2\thugging\t\tt\tt\t900\n"], None, "unknown interaction type 'hugging'"),
        (["9606.ENSP1\t9606.ENSP2\treaction\n"], None, "expected 7 tab-separated fields"),
        (SHS_ROWS, "9606.ENSP1\tMKVL\n9606.ENSP1\tMKVL\n", "occurs twice"),
        (SHS_ROWS, "9606.ENSP1 MKVL\n", "expected 'protein_id<TAB>sequence'"),
    ],
)
def test_shs27k_refuses_inconsistent_files(tmp_path, rows, sequences, message):
    with pytest.raises(FormatError, match=message):
        readers.read_string_actions(*_shs27k_files(tmp_path, rows, sequences))


# --- split and task on a small graph written in a real layout ----------------------------------


def _random_graph(num_nodes=60, num_edges=240, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pairs = set()
    while len(pairs) < num_edges:
        u, v = sorted(rng.integers(0, num_nodes, 2).tolist())
        if u != v:
            pairs.add((u, v))
    return np.array(sorted(pairs))


@pytest.fixture
def usair_root(tmp_path) -> Path:
    """A data root holding a small random graph as linkpred_seal_classic/USAir.txt (1-based)."""
    edges = _random_graph()
    _write(tmp_path / "linkpred_seal_classic" / "USAir.txt", "".join(f"    {u + 1}    {v + 1}    0.5\r\n" for u, v in edges))
    return tmp_path


def _check_link_task(task, edges: np.ndarray, num_nodes: int, valid_fraction=0.05, test_fraction=0.10):
    m = len(edges)
    n_valid, n_test = int(valid_fraction * m), int(test_fraction * m)
    assert task.task_type == "link-prediction" and task.num_outputs == 1
    assert task.items["train"].shape == (2, m - n_valid - n_test) and bool((task.labels["train"] == 1).all())
    for split, count in (("valid", n_valid), ("test", n_test)):
        assert task.items[split].shape == (2, 2 * count) and task.items[split].dtype == torch.long
        assert task.labels[split].sum().item() == count  # as many negatives as positives
    everything = {tuple(e) for e in edges.tolist()}
    train = _keys(task.items["train"])
    positives = {s: _keys(task.items[s][:, task.labels[s] == 1]) for s in ("valid", "test")}
    negatives = {s: _keys(task.items[s][:, task.labels[s] == 0]) for s in ("valid", "test")}
    assert train | positives["valid"] | positives["test"] == everything
    assert not (train & positives["valid"]) and not (train & positives["test"]) and not (positives["valid"] & positives["test"])
    # Messages pass over the training edges only, in both directions.
    graph = task.data.edge_index
    assert graph.size(1) == 2 * len(train) and _keys(graph) == train
    assert set(map(tuple, graph.t().tolist())) == set(map(tuple, graph.flip(0).t().tolist()))
    for split in ("valid", "test"):
        assert not (positives[split] & _keys(graph)), f"a {split} positive is in the training graph"
        assert not (negatives[split] & everything), f"a {split} negative is an edge"
        assert len(negatives[split]) == task.labels[split].numel() // 2  # distinct pairs
        assert all(u != v for u, v in negatives[split])
    assert not (negatives["valid"] & negatives["test"])
    assert task.data.num_nodes == num_nodes and task.data.x.size(0) == num_nodes


def test_link_task_split_sizes_and_invariants(usair_root):
    task = loader.load_link_task("usair", str(usair_root))
    _check_link_task(task, _random_graph(), 60)
    assert task.name == "usair" and task.metric == "rocauc"
    assert task.data.x.shape == (60, 1) and bool((task.data.x == 1).all())
    assert task.info["cleaning"]["pairs_read"] == 240
    # Items are shuffled: the labels do not come positives first.
    labels = task.labels["test"]
    assert not bool((labels[: len(labels) // 2] == 1).all())


def test_split_is_determined_by_its_seed(usair_root):
    first, again = loader.load_link_task("usair", str(usair_root), split_seed=3), loader.load_link_task("usair", str(usair_root), split_seed=3)
    other = loader.load_link_task("usair", str(usair_root), split_seed=4)
    for split in ("train", "valid", "test"):
        assert torch.equal(first.items[split], again.items[split]) and torch.equal(first.labels[split], again.labels[split])
    assert not torch.equal(first.items["test"], other.items["test"])
    # The global torch and numpy random states play no part.
    torch.manual_seed(123)
    np.random.seed(123)
    assert torch.equal(loader.load_link_task("usair", str(usair_root), split_seed=3).items["valid"], first.items["valid"])


def test_split_fractions_and_refusals(usair_root):
    task = loader.load_link_task("usair", str(usair_root), valid_fraction=0.1, test_fraction=0.3)
    _check_link_task(task, _random_graph(), 60, 0.1, 0.3)
    with pytest.raises(ValueError, match="sum to less than 1"):
        loader.load_link_task("usair", str(usair_root), valid_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ValueError, match="must be in"):
        loader.load_link_task("usair", str(usair_root), valid_fraction=0.0)
    with pytest.raises(ValueError, match="too few"):
        split_edges(np.array([[0, 1], [1, 2], [2, 3]]), 4, 0.05, 0.1, 0)


def test_negatives_on_a_dense_graph_and_on_a_large_sparse_one():
    # Complete graph minus three pairs: exactly those three can be drawn, and no more.
    n = 6
    edges = np.array([(u, v) for u in range(n) for v in range(u + 1, n) if (u, v) not in {(0, 5), (1, 4), (2, 3)}])
    drawn = sample_non_edges(edges, n, 3, np.random.default_rng(0))
    assert {tuple(p) for p in drawn.tolist()} == {(0, 5), (1, 4), (2, 3)}
    with pytest.raises(ValueError, match="only 3 non-adjacent pairs"):
        sample_non_edges(edges, n, 4, np.random.default_rng(0))
    # Above the enumeration threshold negatives are drawn by rejection: still distinct non-edges.
    big = np.array([(i, i + 1) for i in range(4999)])
    drawn = sample_non_edges(big, 5000, 3000, np.random.default_rng(1))
    keys = {tuple(p) for p in drawn.tolist()}
    assert len(keys) == 3000 and not keys & {tuple(e) for e in big.tolist()} and all(u < v for u, v in keys)


def test_feature_choices(usair_root):
    task = loader.load_link_task("usair", str(usair_root), features="degree")
    degree = torch.bincount(task.data.edge_index[0], minlength=60).float()
    assert torch.allclose(task.data.x.view(-1), torch.log1p(degree))  # training degree, not full
    random_a = loader.load_link_task("usair", str(usair_root), features="random", feature_dim=8, feature_seed=1).data.x
    random_b = loader.load_link_task("usair", str(usair_root), features="random", feature_dim=8, feature_seed=1).data.x
    assert random_a.shape == (60, 8) and torch.equal(random_a, random_b)
    assert not torch.equal(random_a, loader.load_link_task("usair", str(usair_root), features="random", feature_dim=8, feature_seed=2).data.x)
    with pytest.raises(ValueError, match="features must be one of"):
        loader.load_link_task("usair", str(usair_root), features="spectral")


def test_metric_choices(usair_root, harness_registry):
    task = loader.load_link_task("usair", str(usair_root), metric="hits@20")
    scores = task.labels["valid"] + 0.0  # a perfect scorer
    assert task.metric == "hits@20" and task.score("valid", scores) == 1.0
    ap_task = loader.load_link_task("usair", str(usair_root), metric="ap")
    assert ap_task.metric == "ap" and ap_task.score("test", ap_task.labels["test"]) == 1.0
    with pytest.raises(ValueError, match="metric must be one of"):
        loader.load_link_task("usair", str(usair_root), metric="mrr")
    param = harness_registry.get("dataset", "usair").param("metric")
    assert param.problem("mrr") and "must be one of" in param.problem("mrr")
    assert all(param.problem(metric) is None for metric in LINK_METRICS)


def test_flat_layout_and_missing_files(tmp_path):
    edges = _random_graph(30, 80)
    _write(tmp_path / "Yeast.txt", "".join(f"{u}\t{v}\r\n" for u, v in edges))
    assert loader.load_link_task("yeast", str(tmp_path)).data.num_nodes == 30
    (message,) = files.check("power", str(tmp_path), {})
    assert "Power.txt" in message and "linkpred_seal_classic" in message and "HARNESS_DATA_ROOT" in message
    with pytest.raises(FileNotFoundError, match="Power.txt"):
        loader.load_link_task("power", str(tmp_path))
    (message,) = files.check("shs27k", str(tmp_path), {})
    assert "protein.SHS27k.sequences.dictionary.tsv.gz" in message


def _tiny_protein_pairs():
    rng = np.random.default_rng(5)
    pairs = _random_graph(40, 60, seed=5)
    return [(int(u), int(v), readers.INTERACTION_TYPES[int(t)]) for u, v in pairs for t in rng.choice(7, size=rng.integers(1, 4), replace=False)]


@pytest.fixture
def shs27k_root(tmp_path) -> Path:
    """A data root holding tiny SHS27k files (40 proteins, 60 pairs with 1 to 3 types each)."""
    rows = [f"9606.ENSP{a}\t9606.ENSP{b}\t{mode}\t\tf\tf\t500\n" for a, b, mode in _tiny_protein_pairs()]
    sequences = "".join(f"9606.ENSP{i}\tM{'ACDEFGHIKL'[i % 10] * (i + 1)}\n" for i in range(40))
    root = tmp_path / "data"
    _shs27k_files(root / "protein_ppi_shs27k", rows, sequences)
    return root


def test_shs27k_task_and_types_on_tiny_files(shs27k_root):
    from harness.task import Task

    task = loader.load_link_task("shs27k", str(shs27k_root))
    assert task.raw["sequence"][5] == "M" + "G" * 6 and len(task.raw["sequence"]) == task.data.num_nodes == 40
    assert task.info["node_ids"][5] == "9606.ENSP5"
    types = loader.shs27k_types(str(shs27k_root), valid_fraction=0.1, test_fraction=0.2)
    assert isinstance(types, Task) and types.task_type == "edge-multilabel" and types.name == "shs27k-types"
    assert types.metric == "rocauc" and types.num_outputs == 7 and types.info["label_names"] == readers.INTERACTION_TYPES
    assert types.raw["sequence"] == task.raw["sequence"] and types.in_dim == 1
    sizes = {s: types.items[s].size(1) for s in ("train", "valid", "test")}
    total = sum(sizes.values())
    assert total == 60 and sizes["valid"] == int(0.1 * total) and sizes["test"] == int(0.2 * total)
    for split in ("train", "valid", "test"):
        assert types.items[split].shape == (2, sizes[split]) and types.items[split].dtype == torch.long
        assert types.labels[split].shape == (sizes[split], 7) and types.labels[split].is_floating_point()
    pairs = {s: _keys(types.items[s]) for s in ("train", "valid", "test")}
    assert pairs["train"] | pairs["valid"] | pairs["test"] == {(a, b) for a, b, _ in _tiny_protein_pairs()}
    assert not (pairs["train"] & pairs["valid"]) and not (pairs["train"] & pairs["test"]) and not (pairs["valid"] & pairs["test"])
    # The message graph holds the training pairs only, both directions: no held-out pair passes messages.
    graph = types.data.edge_index
    assert _keys(graph) == pairs["train"] and graph.size(1) == 2 * sizes["train"]
    assert not (_keys(graph) & (pairs["valid"] | pairs["test"]))
    assert types.data.num_nodes == 40 and getattr(types.data, "y", None) is None
    expected = {(a, b): set() for a, b, _ in _tiny_protein_pairs()}
    for a, b, mode in _tiny_protein_pairs():
        expected[(a, b)].add(mode)
    for split in ("train", "valid", "test"):
        for (u, v), label in zip(types.items[split].t().tolist(), types.labels[split]):
            assert {readers.INTERACTION_TYPES[i] for i in label.nonzero().view(-1).tolist()} == expected[(u, v)]
    # The split is the split seed's alone.
    again, other = loader.shs27k_types(str(shs27k_root)), loader.shs27k_types(str(shs27k_root), split_seed=1)
    assert torch.equal(again.items["test"], types.items["test"]) and not torch.equal(other.items["test"], types.items["test"])


def test_shs27k_types_method_view_hides_test_labels(shs27k_root):
    from harness.task import HiddenLabelError

    task = loader.shs27k_types(str(shs27k_root))
    view = task.method_view()
    assert view.task_type == "edge-multilabel" and sorted(view.labels) == ["train", "valid"]
    with pytest.raises(HiddenLabelError):
        view.labels["test"]
    assert torch.equal(view.items["test"], task.items["test"])  # the pairs to predict, not their labels
    assert getattr(view.data, "y", None) is None and torch.equal(view.data.edge_index, task.data.edge_index)


def test_shs27k_types_preflight_uses_the_shs27k_files(tmp_path, shs27k_root):
    assert files.check("shs27k-types", str(shs27k_root), {}) == []
    assert files.source("shs27k-types").files == files.source("shs27k").files
    (message,) = files.check("shs27k-types", str(tmp_path / "elsewhere"), {})
    assert message.startswith("shs27k-types:") and "protein.SHS27k.sequences.dictionary.tsv.gz" in message
    with pytest.raises(FileNotFoundError, match="protein_ppi_shs27k"):
        loader.shs27k_types(str(tmp_path / "elsewhere"))


# --- declarations ----------------------------------------------------------------------------------


def test_every_dataset_is_declared_from_the_table(harness_registry):
    datasets = harness_registry.components["dataset"]
    with resources.files("harness_linkpred").joinpath("datasets.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == ["usair", "ns", "pb", "yeast", "celegans", "power", "router", "ecoli", "facebook", "email-eu-core", "wiki-vote", "p2p-gnutella25", "road-minnesota", "chch-miner", "shs27k", "shs27k-types"]
    split = {"features", "feature_dim", "feature_seed", "valid_fraction", "test_fraction", "split_seed", "download"}
    for row in rows:
        component = datasets[row["name"]]
        assert component.preflight == "harness_linkpred.files:check"
        assert component.metadata["nodes"] == int(row["nodes"]) and component.metadata["published_edges"] == int(row["published_edges"])
        if row["name"] == "shs27k-types":
            assert component.task_type == "edge-multilabel" and component.arguments == {}
            assert {p.name for p in component.params} == split  # no metric: ROC-AUC over the 7 types
        else:
            assert component.task_type == "link-prediction" and component.arguments == {"name": row["name"]}
            assert {p.name for p in component.params} == split | {"metric"}
        assert row["notes"].strip()
        # Where the file and the published figures differ, the notes say so.
        differs = (row["nodes"], row["edges"]) != (row["published_nodes"], row["published_edges"])
        assert differs != row["notes"].startswith("Matches"), row["name"]
    assert datasets["shs27k"].provides == datasets["shs27k-types"].provides == {"sequence"}
    types = datasets["shs27k-types"]
    assert types.metadata["metric"] == "rocauc" and "micro-F1" in types.metadata["notes"]
    assert types.defaults() == {"features": "ones", "feature_dim": 32, "feature_seed": 0, "valid_fraction": 0.1, "test_fraction": 0.2, "split_seed": 0, "download": False}
    assert types.load() is loader.shs27k_types  # no fixed arguments: no dataset name passed


def test_every_task_type_has_a_supervised_family(harness_registry):
    from harness.components import TaskType
    from harness_supervised.method import _FAMILIES

    assert set(_FAMILIES) == TaskType.ALL == set(harness_registry.get("method", "supervised").task_types)
    assert TaskType.EDGE_MULTILABEL in TaskType.EDGE_LEVEL and TaskType.NODE_LEVEL | TaskType.GRAPH_LEVEL | TaskType.EDGE_LEVEL | TaskType.RANKING_LEVEL == TaskType.ALL


NODE_ONLY_PLUGIN = """
from harness import Component, TaskType, hookimpl


@hookimpl
def harness_methods():
    return [Component(kind="method", name="node-only", factory="builtins:object",
                      doc="A method for node-level tasks only.", task_types=TaskType.NODE_LEVEL)]
"""


def test_a_node_only_method_is_dropped_for_shs27k_types(tmp_path):
    from harness.grid import load_grid
    from harness.registry import load_registry

    plugin = tmp_path / "linkpred_test_node_only.py"
    plugin.write_text(NODE_ONLY_PLUGIN)
    _, registry = load_registry([plugin], strict=True)
    grid_file = tmp_path / "grid.yaml"
    grid_file.write_text("seeds: [0]\ndatasets: [shs27k-types]\nbackbones: [gcn, gin-mol]\nmethods: [supervised, node-only]\n")
    grid = load_grid(grid_file, registry)
    assert [(c.backbone.name, c.method.name) for c in grid.cells] == [("gcn", "supervised")]
    reasons = {(d.combination["backbone"], d.combination["method"]): d.reason for d in grid.dropped}
    assert reasons[("gcn", "node-only")] == "method 'node-only' supports node-classification, node-multilabel; dataset 'shs27k-types' is edge-multilabel"
    assert "backbone 'gin-mol' supports graph-classification, graph-regression" in reasons[("gin-mol", "supervised")]


def test_supervised_gcn_on_tiny_shs27k_types_end_to_end(shs27k_root, harness_run):
    grid = {"seeds": [0], "datasets": ["shs27k-types"], "backbones": [{"name": "gcn", "params": {"hidden": 16}}],
            "methods": [{"name": "supervised", "params": {"epochs": 3, "embedding_dim": 8}}]}
    summary, (record,) = harness_run(grid, data_root=str(shs27k_root))
    assert record["status"] == "complete", record.get("traceback")
    assert record["task_type"] == "edge-multilabel" and record["metric"] == "rocauc"
    assert 0.0 <= record["valid"] <= 1.0 and 0.0 <= record["test"] <= 1.0 and len(record["curve"]) == 3


def test_a_method_never_sees_the_test_labels_of_shs27k_types(shs27k_root, harness_run):
    behaviour = Path(__file__).parent / "helpers" / "behaviour_plugin.py"
    grid = {"seeds": [0], "datasets": ["shs27k-types"], "backbones": ["mlp"], "methods": ["spy"]}
    summary, (record,) = harness_run(grid, plugin_files=[behaviour], data_root=str(shs27k_root))
    assert record["status"] == "complete", record.get("traceback")
    seen = record["extra"]["seen"]
    assert seen["label_splits"] == ["train", "valid"] and seen["test_labels_readable"] is False and not seen["data_has_y"]


# --- the shared real data ------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_real_graph_matches_the_table(linkpred_data, row):
    src = files.source(row["name"])
    graph = readers.read(files.require(str(linkpred_data), row["name"]), src.format, src.ids, src.key)
    graph = graph.graph if isinstance(graph, readers.ProteinGraph) else graph
    assert (graph.num_nodes, len(graph.edges)) == (int(row["nodes"]), int(row["edges"]))
    assert (graph.edges[:, 0] < graph.edges[:, 1]).all() and len(np.unique(graph.edges, axis=0)) == len(graph.edges)


CLEANING = {  # the counts the table's notes give
    "ns": {"isolated_nodes": 128},
    "pb": {"pairs_read": 19021, "duplicates_merged": 2307},
    "celegans": {"pairs_read": 2359, "duplicates_merged": 211},
    "email-eu-core": {"pairs_read": 25571, "self_loops_dropped": 642, "duplicates_merged": 8865, "isolated_nodes": 19},
    "wiki-vote": {"pairs_read": 103689, "duplicates_merged": 2927},
    "p2p-gnutella25": {"pairs_read": 54705, "duplicates_merged": 0},
    "road-minnesota": {"stored_entries": 6606},
    "shs27k": {"action_rows": 63408},
}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", sorted(CLEANING))
def test_real_graph_cleaning_counts(linkpred_data, name):
    src = files.source(name)
    graph = readers.read(files.require(str(linkpred_data), name), src.format, src.ids, src.key)
    graph = graph.graph if isinstance(graph, readers.ProteinGraph) else graph
    assert {key: graph.report[key] for key in CLEANING[name]} == CLEANING[name]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["usair", "celegans", "email-eu-core", "road-minnesota", "shs27k"])
def test_real_task_split(linkpred_data, name):
    src = files.source(name)
    graph = readers.read(files.require(str(linkpred_data), name), src.format, src.ids, src.key)
    graph = graph.graph if isinstance(graph, readers.ProteinGraph) else graph
    task = loader.load_link_task(name, str(linkpred_data))
    _check_link_task(task, graph.edges, graph.num_nodes)


@pytest.mark.shared_data
def test_road_minnesota_mat_and_edge_list_agree(linkpred_data):
    folder = linkpred_data / "linkpred_road_minnesota"
    assert np.array_equal(readers.read_mat(folder / "minnesota.mat", "A").edges, readers.read_edgelist(folder / "road-minnesota.txt", "1-based").edges)


@pytest.mark.shared_data
def test_real_shs27k_sequences_and_types(linkpred_data):
    task = loader.load_link_task("shs27k", str(linkpred_data))
    with gzip.open(linkpred_data / "protein_ppi_shs27k" / "protein.SHS27k.sequences.dictionary.tsv.gz", "rt") as handle:
        first_id, first_sequence = handle.readline().rstrip("\n").split("\t")
    assert task.info["node_ids"][0] == first_id and task.raw["sequence"][0] == first_sequence
    assert len(task.raw["sequence"]) == 1690 and set("".join(task.raw["sequence"])) <= set("ACDEFGHIKLMNPQRSTVWYUXBZO")
    types = loader.shs27k_types(str(linkpred_data))
    assert types.task_type == "edge-multilabel" and {s: types.items[s].size(1) for s in ("valid", "test")} == {"valid": 762, "test": 1524}
    labels = torch.cat([types.labels[s] for s in ("train", "valid", "test")])
    assert labels.shape == (7624, 7) and bool((labels.sum(1) >= 1).all())
    counts = dict(zip(readers.INTERACTION_TYPES, labels.sum(0).int().tolist()))
    assert counts == {"reaction": 3164, "binding": 4017, "ptmod": 1303, "activation": 3297, "inhibition": 1407, "catalysis": 3492, "expression": 687}


@pytest.mark.shared_data
@pytest.mark.slow
def test_supervised_gcn_on_usair_end_to_end(linkpred_data, harness_run):
    grid = {"seeds": [0], "datasets": ["usair"], "backbones": ["gcn"], "methods": [{"name": "supervised", "params": {"epochs": 3}}]}
    summary, (record,) = harness_run(grid, data_root=str(linkpred_data))
    assert record["status"] == "complete", record.get("traceback")
    assert record["metric"] == "rocauc" and 0.0 <= record["test"] <= 1.0 and len(record["curve"]) == 3
