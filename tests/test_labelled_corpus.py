"""The labelled pre-training corpus (:mod:`harness_pretraining.labelled_corpus`): held-out
molecules never enter it, labels land in their source's columns, duplicates merge, only training
items are read, uninformative columns go, ``size`` samples; then through the MoleculeNet loader
(respelled SMILES on tiny files) and on the shared data."""

from __future__ import annotations

import math

import pytest
import torch
from torch_geometric.data import Data

import harness.cache
from harness.cache import ArtifactCache
from harness.task import Task
from harness_moleculenet import featurize, loader
from harness_pretraining.labelled_corpus import CLASSIFICATION_SETS, held_out, labelled_corpus, sources_for
from helpers.molecule_files import TINY_SMILES, write_csv, write_tiny_bbbp

NAN = math.nan


def _graph(smiles: str) -> Data:
    """A stand-in graph with as many nodes as the molecule has atoms."""
    atoms = featurize.parse(smiles).GetNumAtoms()
    return Data(x=torch.zeros(atoms, 2, dtype=torch.long), edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=atoms)


def _view(name: str, tasks: list[str], splits: dict[str, list[tuple[str, list[float]]]], task_type: str = "graph-classification"):
    """A method's view of a task whose graphs are the molecules of ``splits`` (train, then valid,
    then test), each with its canonical SMILES and labels."""
    smiles, items, labels, start = [], {}, {}, 0
    for split in ("train", "valid", "test"):
        rows = splits.get(split, [])
        smiles += [text for text, _ in rows]
        items[split] = torch.arange(start, start + len(rows))
        labels[split] = torch.tensor([values for _, values in rows], dtype=torch.float32).reshape(len(rows), len(tasks))
        start += len(rows)
    metric = "rocauc" if task_type == "graph-classification" else "rmse"
    task = Task(
        name=name, task_type=task_type, metric=metric, num_outputs=len(tasks), items=items, labels=labels,
        graphs=[_graph(text) for text in smiles], raw={"smiles": smiles}, info={"tasks": tasks, "featurization": "hu"},
    )
    return task.method_view()


DOWNSTREAM = _view("down", ["y"], {
    "train": [("CCO", [1]), ("CCN", [0])],
    "valid": [("c1ccccc1", [1])],
    "test": [("CCCl", [0])],
})
# the downstream set's validation and test molecules are planted in alpha's training split
ALPHA = _view("alpha", ["t1", "t2"], {
    "train": [("CCO", [1, 0]), ("c1ccccc1", [1, 1]), ("CC(C)O", [0, NAN]), ("CCCl", [0, 1]), ("CCOC", [NAN, 1])],
    "valid": [("CCCC", [1, 1])],
    "test": [("OCCO", [0, 0])],
})
# CCOC is also in alpha; CCN twice, with opposite labels
BETA = _view("beta", ["p"], {
    "train": [("CCOC", [1]), ("CCN", [0]), ("CCN", [1]), ("CCBr", [0])],
    "valid": [("CCCCC", [0])],
})


def _table(corpus) -> dict[str, list[float]]:
    return dict(zip(corpus.smiles, corpus.labels.tolist()))


def _same(left: list[float], right: list[float]) -> bool:
    return all((math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(left, right, strict=True))


def test_held_out_is_the_downstream_valid_and_test_smiles():
    assert held_out(DOWNSTREAM) == {"c1ccccc1", "CCCl"}


def test_held_out_molecules_never_enter_and_are_counted():
    corpus = labelled_corpus([ALPHA, BETA], held_out(DOWNSTREAM))
    assert not set(corpus.smiles) & held_out(DOWNSTREAM)
    assert corpus.counts["alpha"].held_out == 2 and corpus.counts["beta"].held_out == 0
    assert corpus.counts["alpha"].training == 5 and corpus.counts["alpha"].taken == 3
    assert "CCO" in corpus.smiles  # a downstream *training* molecule may stay: it is no leakage


def test_labels_land_in_their_source_columns_with_nan_elsewhere_and_duplicates_merge():
    corpus = labelled_corpus([ALPHA, BETA], held_out(DOWNSTREAM))
    assert corpus.tasks == ["alpha/t1", "alpha/t2", "beta/p"]
    assert corpus.smiles == ["CCO", "CC(C)O", "CCOC", "CCN", "CCBr"]  # first-seen order, one row each
    expected = {
        "CCO": [1, 0, NAN],
        "CC(C)O": [0, NAN, NAN],
        "CCOC": [NAN, 1, 1],  # alpha's and beta's labels on one row
        "CCN": [NAN, NAN, 0],  # the first of beta's two labels
        "CCBr": [NAN, NAN, 0],
    }
    table = _table(corpus)
    assert all(_same(table[smiles], values) for smiles, values in expected.items())
    beta = corpus.counts["beta"]
    assert (beta.training, beta.merged, beta.labelled_twice, beta.disagreeing) == (4, 2, 1, 1)
    assert corpus.labels.dtype == torch.float32 and corpus.labels.shape == (5, 3)
    # each row's graph is its molecule's (the first one met)
    assert [g.num_nodes for g in corpus.graphs] == [featurize.parse(s).GetNumAtoms() for s in corpus.smiles]
    assert corpus.graphs[2] is ALPHA.graphs[4]


def test_only_training_items_are_read():
    corpus = labelled_corpus([ALPHA, BETA], set())
    assert not {"CCCC", "OCCO", "CCCCC"} & set(corpus.smiles)  # alpha's valid and test, beta's valid
    assert len(corpus.smiles) == 7 and corpus.counts["alpha"].held_out == 0


def test_uninformative_columns_and_the_rows_they_leave_unlabelled_are_dropped():
    gamma = _view("gamma", ["both", "positives", "empty"], {
        "train": [("CCO", [1, 1, NAN]), ("CCN", [0, NAN, NAN]), ("CCCN", [NAN, 1, NAN]), ("CCCO", [NAN, NAN, NAN])],
    })
    corpus = labelled_corpus([gamma], set())
    assert corpus.tasks == ["gamma/both"] and corpus.dropped_tasks == ["gamma/positives", "gamma/empty"]
    assert corpus.smiles == ["CCO", "CCN"] and corpus.unlabelled_rows == 2 and corpus.sampled_from == 2
    summary = corpus.summary()
    assert summary["molecules"] == 2 and summary["sources"]["gamma"]["taken"] == 4


def test_size_samples_that_many_rows_with_its_seed():
    full = labelled_corpus([ALPHA, BETA], set())
    first, again, other = (labelled_corpus([ALPHA, BETA], set(), size=4, seed=seed) for seed in (0, 0, 1))
    assert len(first.graphs) == len(first.smiles) == first.labels.size(0) == 4 and first.sampled_from == 7
    assert first.smiles == again.smiles and set(first.smiles) <= set(full.smiles)
    assert first.smiles == [s for s in full.smiles if s in first.smiles]  # corpus order kept
    assert first.tasks == full.tasks  # the columns do not depend on the sample
    assert first.smiles != other.smiles  # (7 choose 4 = 35 samples; seeds 0 and 1 differ)
    table = _table(full)
    assert all(_same(table[s], row) for s, row in zip(first.smiles, first.labels.tolist()))
    assert len(labelled_corpus([ALPHA, BETA], set(), size=100).graphs) == 7


def test_sources_are_checked():
    regression = _view("reg", ["v"], {"train": [("CCO", [0.5])]}, task_type="graph-regression")
    with pytest.raises(ValueError, match="graph-regression"):
        labelled_corpus([ALPHA, regression], set())
    with pytest.raises(ValueError, match="twice"):
        labelled_corpus([ALPHA, ALPHA], set())
    with pytest.raises(ValueError, match="size"):
        labelled_corpus([ALPHA], set(), size=-1)


def test_leave_one_out_sources():
    assert sources_for("bace") == ("bbbp", "clintox", "sider", "tox21", "toxcast", "hiv", "muv")
    assert sources_for("esol") == CLASSIFICATION_SETS  # a regression downstream lends nothing itself


# -- through the MoleculeNet loader -----------------------------------------------------------

@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    cache = ArtifactCache(tmp_path / "cache")
    monkeypatch.setattr(harness.cache, "_current", cache)
    return cache


def _canonical(smiles: str) -> str:
    return featurize.canonical_smiles(featurize.parse(smiles))


def _respelled(smiles: str) -> str:
    """The same molecule written from its last atom, Kekulé form: another string, one molecule."""
    from rdkit import Chem

    mol = featurize.parse(smiles)
    Chem.Kekulize(mol, clearAromaticFlags=True)
    return Chem.MolToSmiles(mol, rootedAtAtom=mol.GetNumAtoms() - 1, kekuleSmiles=True)


def test_respelled_downstream_molecules_are_removed_through_the_loader(tmp_path, fresh_cache):
    root = write_tiny_bbbp(tmp_path)
    spellings = [_respelled(text) for text in TINY_SMILES]
    assert sum(a != _canonical(b) for a, b in zip(spellings, TINY_SMILES)) > len(TINY_SMILES) // 2
    # a ClinTox-shaped file of the same molecules respelled, randomly split so that some of the
    # downstream's validation and test molecules fall in its training split
    rows = [(text, row % 2, (row // 2) % 2) for row, text in enumerate(spellings)]
    write_csv(root / "moleculenet_chemprop" / "clintox.csv", ["smiles", "FDA_APPROVED", "CT_TOX"], rows)
    downstream = loader.load("bbbp", str(root)).method_view()
    source = loader.load("clintox", str(root), split="random").method_view()
    held = {_canonical(TINY_SMILES[i]) for split in ("valid", "test") for i in downstream.items[split].tolist()}
    planted = [i for i in source.items["train"].tolist() if _canonical(spellings[i]) in held]
    assert held_out(downstream) == held and planted
    corpus = labelled_corpus([source], held_out(downstream))
    assert corpus.counts["clintox"].held_out == len(planted)
    assert not set(corpus.smiles) & held and len(corpus.smiles) == len(source.items["train"]) - len(planted)


# -- on the shared data -----------------------------------------------------------------------

@pytest.mark.shared_data
def test_shared_corpus_for_bbbp_has_none_of_its_valid_and_test_molecules(shared_data, tmp_path, monkeypatch):
    """Downstream BBBP, sources BACE and ClinTox (whose training split holds some of BBBP's
    validation and test molecules; BACE shares none with BBBP)."""
    monkeypatch.setattr(harness.cache, "_current", ArtifactCache(tmp_path / "cache"))
    downstream = loader.load("bbbp", str(shared_data)).method_view()
    sources = [loader.load(name, str(shared_data)).method_view() for name in ("bace", "clintox")]
    held = held_out(downstream)
    corpus = labelled_corpus(sources, held)
    assert not set(corpus.smiles) & held
    for view in sources:
        planted = sum(view.raw["smiles"][i] in held for i in view.items["train"].tolist())
        assert corpus.counts[view.name].held_out == planted
    assert corpus.counts["clintox"].held_out > 0
    assert len(set(corpus.smiles)) == len(corpus.smiles) == len(corpus.graphs) == corpus.labels.size(0)
    assert corpus.tasks == ["bace/Class", "clintox/FDA_APPROVED", "clintox/CT_TOX"]
    assert bool((~torch.isnan(corpus.labels)).any(1).all())
    assert all(featurize.parse(s).GetNumAtoms() == g.num_nodes for s, g in zip(corpus.smiles, corpus.graphs))
