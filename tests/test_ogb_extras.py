"""OGB beyond the node datasets' defaults: the metadata table, ogbn-arxiv's raw text,
ogbn-proteins' sequences, ogbg-molhiv and ogbl-ddi/collab through OGB's loaders and Evaluators,
and bounded, staged downloads. Every dataset here is a tiny one in OGB's exact layout
(tests/ogb_files.py); servers run on 127.0.0.1 in threads that stop by themselves."""

from __future__ import annotations

import os
import stat
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import ogb_files as F
from helpers import servers


# -- the metadata table ---------------------------------------------------------------------------


def test_table_agrees_with_ogb_master_files():
    import pandas as pd
    import ogb

    from harness_ogb.files import TABLE

    base = Path(ogb.__file__).parent
    masters = {level: pd.read_csv(base / f"{level}/master.csv", index_col=0, keep_default_na=False) for level in ("nodeproppred", "graphproppred", "linkproppred")}
    expected = {"ogbn-proteins", "ogbn-arxiv", "ogbn-products", "ogbg-molhiv", "ogbg-molpcba", "ogbl-ddi", "ogbl-collab"}
    assert set(TABLE) == expected
    for name, row in TABLE.items():
        master = next(m[name] for m in masters.values() if name in m)
        assert row["url"] == master["url"] and row["download_name"] == master["download_name"], name
        assert row["split"] == master["split"] and row["metric"] == master["eval metric"], name
        if "num tasks" in master and master["num tasks"]:
            assert int(row["tasks"]) == int(master["num tasks"]), name
    assert TABLE["ogbn-arxiv"]["nodes"] == "169343" and TABLE["ogbg-molhiv"]["graphs"] == "41127"
    assert TABLE["ogbl-ddi"]["edges"] == "1334889" and TABLE["ogbl-collab"]["nodes"] == "235868"


def test_components_come_from_the_table(harness_registry):
    molhiv = harness_registry.get("dataset", "ogbg-molhiv")
    assert molhiv.task_type == "graph-classification" and molhiv.provides == {"molecule-features", "edge-features"}
    assert molhiv.metadata["graphs"] == 41127 and molhiv.metadata["metric"] == "rocauc"
    assert "raw" not in molhiv.metadata and "download_name" not in molhiv.metadata
    assert harness_registry.get("dataset", "ogbl-ddi").metadata["metric"] == "hits@20"
    assert harness_registry.get("dataset", "ogbl-collab").metadata["metric"] == "hits@50"
    assert harness_registry.get("dataset", "ogbn-arxiv").provides == {"text"}
    assert "sequence" in harness_registry.get("dataset", "ogbn-proteins").provides
    products = harness_registry.get("dataset", "ogbn-products")
    assert "text" in products.provides and products.defaults()["text"] == "auto"
    for name in ("ogbn-proteins", "ogbn-arxiv", "ogbn-products", "ogbg-molhiv", "ogbg-molpcba", "ogbl-ddi", "ogbl-collab"):
        assert harness_registry.get("dataset", name).defaults()["download"] is False


# -- ogbn-arxiv: title + abstract -----------------------------------------------------------------


@pytest.mark.parametrize("where", ["dataset folder", "data root"])
def test_arxiv_text_joins_titleabs_by_paper_id(tmp_path, where):
    from harness_ogb.loader import arxiv

    folder = F.write_tiny_arxiv(tmp_path)
    F.write_titleabs((folder if where == "dataset folder" else tmp_path) / "titleabs.tsv.gz", skip=(3,))
    task = arxiv(str(tmp_path))
    texts = task.raw["text"]
    assert len(texts) == task.data.num_nodes == 50
    title, abstract = F.paper_text(7)
    assert texts[7] == f"{title}\n{abstract}"
    assert texts[3] == "" and task.info["text_missing"] == 1  # paper 3 has no line
    assert task.info["titleabs_lines_skipped"] == 2  # the malformed first and last lines
    assert task.info["external_data"] is True and task.info["text"] is True
    assert task.method_view().raw["text"][7] == texts[7]


def test_arxiv_without_text_files_or_with_text_none_has_no_text(tmp_path):
    from harness_ogb.loader import arxiv

    folder = F.write_tiny_arxiv(tmp_path)
    auto = arxiv(str(tmp_path))
    assert "text" not in auto.raw and auto.info["text"] is False and "titleabs.tsv.gz" in auto.info["text_unavailable"]
    assert not auto.info.get("external_data")
    F.write_titleabs(folder / "titleabs.tsv.gz")
    none = arxiv(str(tmp_path), text="none")
    assert "text" not in none.raw and not none.info.get("external_data")
    assert none.task_type == "node-classification" and none.num_outputs == 40


def test_arxiv_titleabs_is_fetched_with_download_true(tmp_path, monkeypatch):
    from harness_ogb.files import TITLEABS_URL
    from harness_ogb.loader import arxiv

    folder = F.write_tiny_arxiv(tmp_path / "data")
    F.write_titleabs(tmp_path / "made" / "titleabs.tsv.gz")
    served = tmp_path / "mirror"
    servers.publish(served, TITLEABS_URL, (tmp_path / "made" / "titleabs.tsv.gz").read_bytes())
    with servers.mirror(served, monkeypatch):
        task = arxiv(str(tmp_path / "data"), text="require", download=True)
    assert (folder / "titleabs.tsv.gz").is_file() and task.raw["text"][7] == "\n".join(F.paper_text(7))


def test_products_text_joins_amazon_texts_by_asin(tmp_path):
    from harness_ogb.files import check
    from harness_ogb.loader import products

    folder = F.write_tiny_products(tmp_path)
    plain = products(str(tmp_path))
    assert "text" not in plain.raw and "trn.json.gz" in plain.info["text_unavailable"]
    (message,) = check("ogbn-products", str(tmp_path), {"text": "require", "download": False})
    assert "trn.json.gz and tst.json.gz" in message and "Extreme Classification Repository" in message
    F.write_amazon_texts(folder, skip=(4,))
    task = products(str(tmp_path), text="require")
    texts = task.raw["text"]
    assert len(texts) == task.data.num_nodes == 50 and texts[7] == "\n".join(F.product_text(7))
    assert texts[4] == "" and task.info["text_missing"] == 1 and task.info["amazon_lines_skipped"] == 1
    assert task.info["external_data"] is True and check("ogbn-products", str(tmp_path), {"text": "require"}) == []
    assert "text" not in products(str(tmp_path), text="none").raw


def test_arxiv_require_text_is_checked_before_anything_runs(tmp_path):
    from harness_ogb.files import check
    from harness_ogb.loader import arxiv

    folder = F.write_tiny_arxiv(tmp_path, mapping=False)
    assert check("ogbn-arxiv", str(tmp_path), {"text": "auto", "download": False}) == []
    (message,) = check("ogbn-arxiv", str(tmp_path), {"text": "require", "download": False})
    for fragment in ("mapping/nodeidx2paperid.csv.gz", "titleabs.tsv.gz", str(folder), "text: auto", "download: true"):
        assert fragment in message
    with pytest.raises(FileNotFoundError, match="titleabs"):
        arxiv(str(tmp_path), text="require")


# -- ogbn-proteins: sequences ---------------------------------------------------------------------


def test_proteins_sequences_follow_the_mapping_and_the_missing_id_policy(tmp_path):
    from harness_ogb.loader import proteins
    from harness_ogb.raw import MissingSequences

    folder = F.write_tiny_proteins(tmp_path)
    F.write_protein_mapping(folder)
    F.write_fasta(folder / "protein.sequences.v11.5.fa.gz", skip=(5,))
    task = proteins(str(tmp_path), sequences="require")
    sequences = task.raw["sequence"]
    assert len(sequences) == 60
    assert sequences[2] == F.protein_sequence(2)  # wrapped FASTA lines joined, mapping order honoured
    assert sequences[1] == F.protein_sequence(1).replace("J", "X").replace("*", "")  # LD's cleaning
    assert sequences[5] == "" and task.info["sequences_missing"] == 1 and task.info["missing_sequences"] == "empty"
    assert task.info["external_data"] is True
    raw = proteins(str(tmp_path), sequences="require", clean_sequences=False)
    assert raw.raw["sequence"][1] == F.protein_sequence(1)
    with pytest.raises(MissingSequences, match=F.protein_ids()[5]):
        proteins(str(tmp_path), sequences="require", missing_sequences="fail")
    plain = proteins(str(tmp_path))
    assert "sequence" not in plain.raw and not plain.info.get("external_data")


def test_proteins_fasta_name_and_place_are_parameters(tmp_path):
    from harness_ogb.files import check
    from harness_ogb.loader import proteins

    folder = F.write_tiny_proteins(tmp_path)
    (message,) = check("ogbn-proteins", str(tmp_path), {"sequences": "require", "fasta": "string.fa"})
    assert "mapping/nodeidx2proteinid.csv.gz" in message and "string.fa" in message and str(folder) in message
    F.write_protein_mapping(folder)
    F.write_fasta(tmp_path / "string.fa")  # plain text, in the data root
    assert check("ogbn-proteins", str(tmp_path), {"sequences": "require", "fasta": "string.fa"}) == []
    assert check("ogbn-proteins", str(tmp_path), {"sequences": "none"}) == []
    task = proteins(str(tmp_path), sequences="require", fasta="string.fa", missing_sequences="fail")
    assert task.info["sequences_missing"] == 0 and task.raw["sequence"][59] == F.protein_sequence(59)


# -- ogbg-molhiv ----------------------------------------------------------------------------------


def test_molhiv_through_ogb_with_one_hot_features_and_ogbs_evaluator(tmp_path):
    from ogb.graphproppred import Evaluator

    from harness.evaluator import Evaluator as HarnessEvaluator
    from harness_ogb.graph import molhiv

    F.write_tiny_molhiv(tmp_path)
    task = molhiv(str(tmp_path))
    integer = molhiv(str(tmp_path), features="integer")
    assert task.task_type == "graph-classification" and task.metric == "rocauc" and task.num_outputs == 1
    assert len(task.graphs) == 40 and sum(len(task.items[s]) for s in ("train", "valid", "test")) == 40
    first = task.graphs[0]  # ethanol: 3 atoms, 2 bonds stored both ways
    assert first.x.shape == (3, sum(task.info["atom_feature_dims"])) and first.edge_attr.shape == (4, 13)
    assert getattr(first, "y", None) is None
    ints = integer.graphs[0]
    assert ints.x.dtype == torch.long and ints.x.shape == (3, 9) and ints.edge_attr.shape == (4, 3)
    offsets = np.cumsum([0, *task.info["atom_feature_dims"][:-1]])
    assert torch.equal(first.x.nonzero()[:, 1].view(3, 9), ints.x + torch.tensor(offsets))
    labels = task.labels["test"]
    assert labels.dtype == torch.float32 and labels.shape == (len(task.items["test"]), 1)
    assert torch.equal(labels.view(-1), (task.items["test"] % 2).float())  # the fixture's labels
    scores = torch.randn(len(labels), 1)
    expected = Evaluator("ogbg-molhiv").eval({"y_true": labels.numpy(), "y_pred": scores.numpy()})["rocauc"]
    assert task.score("test", scores) == pytest.approx(expected)
    assert HarnessEvaluator("rocauc")(labels, scores) == pytest.approx(expected)


def test_molpcba_labels_keep_ogbs_missing_values_and_ap_is_ogbs(tmp_path):
    from ogb.graphproppred import Evaluator

    from harness.evaluator import Evaluator as HarnessEvaluator
    from harness_ogb.graph import molpcba

    F.write_tiny_molpcba(tmp_path)
    task = molpcba(str(tmp_path), features="integer")
    assert task.metric == "ap" and task.num_outputs == 128 and task.graphs[0].x.dtype == torch.long
    labels = task.labels["valid"]
    assert labels.dtype == torch.float32 and labels.shape == (len(task.items["valid"]), 128)
    assert 0.2 < float(labels.isnan().float().mean()) < 0.4
    scores = torch.randn(labels.shape, generator=torch.Generator().manual_seed(0))
    expected = Evaluator("ogbg-molpcba").eval({"y_true": labels.numpy(), "y_pred": scores.numpy()})["ap"]
    assert task.score("valid", scores) == pytest.approx(expected)
    assert HarnessEvaluator("ap")(labels, scores) == pytest.approx(expected)


def test_one_hot_refuses_values_outside_ogbs_ranges():
    from harness_ogb.graph import one_hot

    assert one_hot(torch.tensor([[1, 0], [0, 2]]), [2, 3]).tolist() == [[0, 1, 1, 0, 0], [1, 0, 0, 0, 1]]
    with pytest.raises(ValueError, match="ranges"):
        one_hot(torch.tensor([[2, 0]]), [2, 3])


# -- ogbl-ddi and ogbl-collab ---------------------------------------------------------------------


def _ogb_split(folder: Path, split: str) -> dict:
    return {part: torch.load(folder / "split" / split / f"{part}.pt", weights_only=False) for part in ("train", "valid", "test")}


def test_ddi_task_keeps_ogbs_positives_and_negatives(tmp_path):
    from harness_ogb.link import ddi

    folder = F.write_tiny_link(tmp_path, "ogbl-ddi")
    split = _ogb_split(folder, "target")
    task = ddi(str(tmp_path))
    assert task.task_type == "link-prediction" and task.metric == "hits@20" and task.num_outputs == 1
    assert torch.equal(task.items["train"], split["train"]["edge"].t()) and bool((task.labels["train"] == 1).all())
    for part in ("valid", "test"):
        positive, negative = split[part]["edge"].t(), split[part]["edge_neg"].t()
        assert torch.equal(task.items[part], torch.cat([positive, negative], dim=1))
        assert task.labels[part].tolist() == [1.0] * positive.size(1) + [0.0] * negative.size(1)
    # messages pass over the training edges, both ways, and nothing else
    graph = {tuple(e) for e in task.data.edge_index.t().tolist()}
    train = {tuple(e) for e in split["train"]["edge"].tolist()}
    assert graph == train | {(b, a) for a, b in train}
    assert task.data.x.shape == (40, 40) and torch.equal(task.data.x, torch.eye(40))
    assert ddi(str(tmp_path), node_features="constant").data.x.shape == (40, 1)
    assert task.info["valid_negatives"] == 30 and task.info["message_passing"] == "training edges only"


def test_collab_uses_training_edges_only_and_loads_numpy_splits(tmp_path):
    from harness_ogb.link import collab

    folder = F.write_tiny_link(tmp_path, "ogbl-collab", numpy_split=True)
    split = _ogb_split(folder, "time")
    task = collab(str(tmp_path))
    assert task.metric == "hits@50" and task.data.x.shape == (40, 128)
    assert task.data.edge_weight.shape[0] == task.data.edge_index.size(1) == 2 * 120
    graph = {tuple(e) for e in task.data.edge_index.t().tolist()}
    valid = {tuple(e) for e in split["valid"]["edge"].tolist()}
    assert not graph & valid  # validation edges are not added to the graph
    assert task.items["test"].size(1) == 15 + 30


@pytest.mark.parametrize("name,k", [("ogbl-ddi", 20), ("ogbl-collab", 50)])
def test_hits_at_k_equals_ogbs_evaluator_on_the_split(tmp_path, name, k):
    from ogb.linkproppred import Evaluator

    from harness.evaluator import Evaluator as HarnessEvaluator
    from harness_ogb import link

    F.write_tiny_link(tmp_path, name, negatives=60)
    task = link.load(str(tmp_path), name)
    ogb = Evaluator(name)
    generator = torch.Generator().manual_seed(0)
    for part in ("valid", "test"):
        labels = task.labels[part]
        for scores in (torch.randn(len(labels), generator=generator), torch.randint(0, 4, (len(labels),), generator=generator).float()):  # ties too
            expected = ogb.eval({"y_pred_pos": scores[labels == 1], "y_pred_neg": scores[labels == 0]})[f"hits@{k}"]
            assert task.score(part, scores) == pytest.approx(expected)
            assert HarnessEvaluator(f"hits@{k}")(labels, scores) == pytest.approx(expected)


def test_link_split_without_ogbs_negatives_is_refused():
    from harness_ogb.link import candidates

    split = {"train": {"edge": torch.tensor([[0, 1]])}, "valid": {"edge": torch.tensor([[1, 2]])}, "test": {"edge": torch.tensor([[2, 3]])}}
    with pytest.raises(ValueError, match="edge_neg"):
        candidates(split, "ogbl-x")


# -- end to end -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset,backbone", [("ogbg-molhiv", "gin"), ("ogbl-ddi", "gcn")])
def test_supervised_runs_end_to_end_on_tiny_ogb_sets(tmp_path, harness_run, dataset, backbone):
    if dataset == "ogbg-molhiv":
        F.write_tiny_molhiv(tmp_path / "data")
    else:
        F.write_tiny_link(tmp_path / "data", "ogbl-ddi")
    grid = {"seeds": [0], "datasets": [dataset], "backbones": [{"name": backbone, "params": {"hidden": 16}}], "methods": [{"name": "supervised", "params": {"epochs": 3, "embedding_dim": 16}}]}
    summary, records = harness_run(grid)
    (record,) = records
    assert record["status"] == "complete", record.get("traceback")
    assert record["metric"] == {"ogbg-molhiv": "rocauc", "ogbl-ddi": "hits@20"}[dataset]
    assert 0.0 <= record["test"] <= 1.0 and record["external_data"] is False


# -- downloads ------------------------------------------------------------------------------------


@pytest.fixture
def silent_server():
    """A server on 127.0.0.1 that accepts connections and never answers; it stops itself."""
    with servers.silent("/ddi.zip") as url:
        yield url


@pytest.fixture
def archive_server(tmp_path):
    """Serves OGB-style zips (``<download_name>/...``) of the tiny datasets from 127.0.0.1."""
    served = tmp_path / "served"
    served.mkdir()
    with servers.serving(served) as url:
        yield served, url


def _zip_folder(folder: Path, archive: Path, top: str) -> None:
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(folder.rglob("*")):
            handle.write(path, f"{top}/{path.relative_to(folder)}")


def test_download_stops_at_the_timeout_and_leaves_nothing(tmp_path, monkeypatch, silent_server):
    from harness_ogb import fetch

    monkeypatch.setattr(fetch, "archive_url", lambda name: silent_server)
    monkeypatch.delenv("HARNESS_OFFLINE", raising=False)
    root = tmp_path / "fresh" / "root"
    start = time.monotonic()
    with pytest.raises(fetch.FetchFailed) as caught:
        fetch.ensure_dataset("ogbl-ddi", str(root), download=True, timeout=0.5)
    assert time.monotonic() - start < 15
    message = str(caught.value)
    assert "ogbl-ddi" in message and "timed out" in message and "split/target/train.pt" in message and str(root / "ogbl_ddi") in message
    assert not (tmp_path / "fresh").exists()  # neither a staging folder nor the data root remains
    (tmp_path / "fresh").mkdir()
    with pytest.raises(fetch.FetchFailed):
        fetch.ensure_dataset("ogbl-ddi", str(tmp_path / "fresh"), download=True, timeout=0.5)
    assert list((tmp_path / "fresh").iterdir()) == []


def test_offline_run_with_download_stops_before_anything_runs(tmp_path):
    import subprocess
    import sys

    import yaml

    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({"seeds": [0], "datasets": [{"name": "ogbl-ddi", "params": {"download": True}}], "backbones": ["gcn"], "methods": ["supervised"]}))
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "harness", "run", "--grid", str(grid), "--data-root", str(tmp_path / "empty"), "--results-dir", str(tmp_path / "results")], capture_output=True, text=True, timeout=120, env={**os.environ, "HARNESS_OFFLINE": "1"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for fragment in ("ogbl-ddi", str(tmp_path / "empty" / "ogbl_ddi"), "split/target/valid.pt", "RELEASE_v1.txt", "HARNESS_OFFLINE"):
        assert fragment in result.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "empty").exists()
    assert time.monotonic() - start < 60  # a sanity bound; the preflight itself takes well under a second


def test_offline_preflight_names_the_files_and_the_folder_at_once(tmp_path, monkeypatch):
    from harness_ogb.files import check

    monkeypatch.setenv("HARNESS_OFFLINE", "1")
    start = time.monotonic()
    (message,) = check("ogbg-molhiv", str(tmp_path / "empty"), {"download": True, "features": "one-hot"})
    assert time.monotonic() - start < 5
    for fragment in ("ogbg-molhiv", str(tmp_path / "empty" / "ogbg_molhiv"), "RELEASE_v1.txt", "raw/edge.csv.gz", "split/scaffold/train.csv.gz", "HARNESS_OFFLINE", "hiv.zip"):
        assert fragment in message
    assert not (tmp_path / "empty").exists()
    (hint,) = check("ogbl-collab", str(tmp_path / "empty"), {"download": False})
    assert "download: true" in hint and "split/time/valid.pt" in hint and "collab.zip" in hint


def test_download_fetches_ogbs_archive_into_place(tmp_path, monkeypatch, archive_server):
    from harness_ogb import fetch
    from harness_ogb.files import check
    from harness_ogb.link import ddi

    served, base = archive_server
    source = F.write_tiny_link(tmp_path / "source", "ogbl-ddi")
    _zip_folder(source, served / "ddi.zip", "ddi")
    monkeypatch.setattr(fetch, "archive_url", lambda name: f"{base}/ddi.zip")
    monkeypatch.delenv("HARNESS_OFFLINE", raising=False)
    root = tmp_path / "data"
    assert check("ogbl-ddi", str(root), {"download": True, "node_features": "one-hot"}) == []
    assert (root / "ogbl_ddi" / "RELEASE_v1.txt").is_file() and (root / "ogbl_ddi" / "split" / "target" / "test.pt").is_file()
    assert sorted(p.name for p in root.iterdir()) == ["ogbl_ddi"]  # no archive, no staging folder
    assert ddi(str(root)).items["valid"].size(1) == 45


def test_a_broken_archive_leaves_no_folder(tmp_path, monkeypatch, archive_server):
    from harness_ogb import fetch

    served, base = archive_server
    (served / "broken.zip").write_bytes(b"not a zip")
    source = F.write_tiny_link(tmp_path / "source", "ogbl-ddi")
    (source / "split" / "target" / "test.pt").unlink()
    _zip_folder(source, served / "partial.zip", "ddi")
    monkeypatch.delenv("HARNESS_OFFLINE", raising=False)
    root = tmp_path / "data"
    root.mkdir()
    for archive, complaint in (("broken.zip", "not a zip archive"), ("partial.zip", "lacks split/target/test.pt")):
        monkeypatch.setattr(fetch, "archive_url", lambda name: f"{base}/{archive}")
        with pytest.raises(fetch.FetchFailed, match=complaint):
            fetch.ensure_dataset("ogbl-ddi", str(root), download=True, timeout=5)
        assert list(root.iterdir()) == []


def test_nothing_is_fetched_into_a_read_only_data_root(tmp_path, monkeypatch):
    from harness_ogb import fetch

    monkeypatch.delenv("HARNESS_OFFLINE", raising=False)
    monkeypatch.setattr(fetch, "archive_url", lambda name: "http://127.0.0.1:9/never")
    locked = tmp_path / "shared"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(fetch.FetchFailed, match="read-only"):
            fetch.ensure_dataset("ogbl-ddi", str(locked), download=True)
        monkeypatch.setenv("HARNESS_SHARED_DATA", str(tmp_path / "elsewhere"))
        assert fetch.read_only(tmp_path / "elsewhere" / "ogb") is not None
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_a_read_only_dataset_folder_is_processed_in_the_cache(tmp_path, monkeypatch):
    import harness.cache
    from harness_ogb.link import ddi

    monkeypatch.setattr(harness.cache, "_current", harness.cache.ArtifactCache(tmp_path / "cache"))
    root = tmp_path / "shared"
    folder = F.write_tiny_link(root, "ogbl-ddi")
    modes = {}
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            modes[path] = path.stat().st_mode
            path.chmod(0o555)
    try:
        task = ddi(str(root))
        assert task.items["test"].size(1) == 45
        assert not (folder / "processed").exists()
        assert list((tmp_path / "cache" / "ogb-mirrors").rglob("geometric_data_processed.pt"))
    finally:
        for path, mode in modes.items():
            path.chmod(stat.S_IMODE(mode))


def test_fasta_reading_skips_other_records_but_agrees_with_the_plain_parser(tmp_path):
    from harness_ogb.raw import fasta_records, read_fasta

    path = F.write_fasta(tmp_path / "all.fa", skip=(4,), width=7)
    wanted = F.protein_ids()[:10] + ["4932.YAL001W", "absent.id"]
    everything = dict(fasta_records(path))
    assert read_fasta(path, wanted) == {k: v for k, v in everything.items() if k in wanted}
    assert F.protein_ids()[4] not in read_fasta(path, wanted) and everything["4932.YAL001W"] == "MSTTAAEEKL"
