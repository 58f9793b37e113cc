"""Untrusted files and names stay harmless: a pickle in the data root that names anything but
the numpy/scipy types Planetoid's files hold is refused before anything it names runs, and a
dataset name never becomes a path outside the folder it is written in."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch

from dataset_files import write_tiny_planetoid
from harness.data import safe_pickle
from harness.data.safe_pickle import UnsafePickle
from harness.leaderboard import build_tables, render
from harness.plot import plot_all
from harness.safe_names import path_component
from harness.store import ResultStore
from harness_planetoid.loader import load
from leaderboard_records import make_record as leaderboard_record
from test_store import make_cell, make_record


class _RunsCode:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _crafted_root(tmp_path, file: str = "ind.cora.x"):
    raw = tmp_path / "data" / "Cora" / "raw"
    write_tiny_planetoid(raw, "cora")
    marker = tmp_path / "ran"
    (raw / file).write_bytes(pickle.dumps(_RunsCode(marker), protocol=2))
    return tmp_path / "data", raw / file, marker


@pytest.mark.parametrize("file", ["ind.cora.x", "ind.cora.ally", "ind.cora.graph"])
def test_a_planetoid_file_that_would_run_code_is_refused_and_nothing_runs(tmp_path, file):
    root, crafted, marker = _crafted_root(tmp_path, file)
    with pytest.raises(UnsafePickle) as error:
        load(str(root), name="cora")
    message = str(error.value)
    assert str(crafted) in message and "system" in message and "replace it with the published copy" in message
    assert not marker.exists()


def test_a_refused_name_is_not_even_imported(tmp_path):
    """Resolving a name imports its module, which may run code: the check comes first."""
    path = tmp_path / "ind.cora.y"
    path.write_bytes(b"\x80\x02cnot_a_module_anyone_has\nthing\nq\x00.")
    with pytest.raises(UnsafePickle, match="not_a_module_anyone_has.thing"):
        safe_pickle.load(path)


def test_tiny_files_pickled_by_current_numpy_and_scipy_still_load(tmp_path):
    truth = write_tiny_planetoid(tmp_path / "Cora" / "raw", "cora")
    task = load(str(tmp_path), name="cora", normalize_features=False)
    assert torch.equal(task.data.x, torch.from_numpy(truth["features"]))


# --- names as paths --------------------------------------------------------------------------

UNSAFE_NAMES = ["..", ".", "../../x", "/abs", "a/b", "a\\b", "", "nul\x00byte", "tab\tand\nnewline", ".hidden", "runs", "x" * 300]


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().parent == folder.resolve()


@pytest.mark.parametrize("name", UNSAFE_NAMES, ids=repr)
def test_a_name_becomes_one_plain_component(name):
    component = path_component(name, reserved={"runs"})
    assert component not in ("", ".", "..") and not component.startswith(".")
    assert "/" not in component and "\\" not in component and component.isprintable() and len(component) <= 100
    assert component != name and "~" in component


def test_plain_names_are_kept_and_different_unsafe_names_never_share_a_component():
    assert [path_component(n) for n in ("cora", "ogbn-arxiv", "tu_MUTAG", "v1.2")] == ["cora", "ogbn-arxiv", "tu_MUTAG", "v1.2"]
    unsafe = ["a/b", "a_b~", "a\\b", "a:b", "a b", "..", "._", "_."] + UNSAFE_NAMES
    components = [path_component(n) for n in unsafe]
    assert len(set(components)) == len(set(unsafe))
    assert path_component("a/b") != "a_b"  # the cleaned form of one name is never another name


@pytest.mark.parametrize("name", ["..", "../../x", "/abs", "a/b", "runs"])
def test_records_of_unsafe_dataset_names_stay_inside_the_results_folder(tmp_path, name):
    results = tmp_path / "deep" / "results"
    store = ResultStore(results)
    cell = make_cell(name)
    path = store.write(make_record(cell))
    assert path.resolve().parent.parent == results.resolve() and path.parent.name not in ("runs", "corrupt", "attempts", "locks")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [path]
    assert store.read(cell)["cell_id"] == cell.id  # found again where it was written


def test_two_unsafe_dataset_names_get_separate_record_folders(tmp_path):
    store = ResultStore(tmp_path)
    first, second = store.write(make_record(make_cell("a/b"))), store.write(make_record(make_cell("a:b")))
    assert first.parent != second.parent


@pytest.mark.parametrize("name", ["..", "../../x", "/abs", "a/b"])
def test_tables_and_plots_of_unsafe_dataset_names_stay_inside_their_folder(tmp_path, name):
    records = [leaderboard_record(dataset=name, seed=seed, test=0.7 + seed / 100, curve=[{"epoch": 1, "valid": 0.5}, {"epoch": 2, "valid": 0.6}]) for seed in range(2)]
    tables = build_tables(records, tmp_path / "no-submissions")
    boards, plots = tmp_path / "a" / "boards", tmp_path / "a" / "plots"
    for table, (metric, higher, rows) in tables.items():
        assert all(_inside(path, boards) for path in render(table, metric, higher, rows, boards))
    written = plot_all(records, tables, plots)
    assert written and all(_inside(path, plots) for path in written)
    assert {p.parent for p in tmp_path.rglob("*") if p.is_file()} == {boards, plots}


# --- submitted entries: a dataset name picks a folder inside the submissions folder ------------

ENTRY = "method: Outside\ntest: 0.9\nsource: not a submitted entry\n"


def _submissions_beside_other_entries(tmp_path: Path) -> Path:
    """A submissions folder with entries for ``cora``, and entry-shaped YAML files outside it:
    in its parent and in a sibling folder."""
    submissions = tmp_path / "boards" / "submissions"
    (submissions / "cora").mkdir(parents=True)
    (submissions / "cora" / "gcn.yaml").write_text(ENTRY.replace("Outside", "GCN"))
    (submissions / "_dataset.yaml").write_text("metric: rocauc\n")
    (submissions.parent / "stray.yaml").write_text(ENTRY)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "entry.yaml").write_text(ENTRY)
    (tmp_path / "elsewhere" / "_dataset.yaml").write_text("metric: rocauc\n")
    return submissions


@pytest.mark.parametrize("name", ["..", ".", "../../elsewhere", "/abs"], ids=repr)
def test_a_dataset_name_never_reads_entries_outside_the_submissions_folder(tmp_path, name):
    from harness.submissions import dataset_file, folder_metric, load_submissions

    submissions = _submissions_beside_other_entries(tmp_path)
    name = str(tmp_path / "elsewhere") if name == "/abs" else name
    assert load_submissions(submissions, name) == []
    assert dataset_file(submissions, name) is None and folder_metric(submissions, name) is None


def test_tables_of_an_unsafe_dataset_name_hold_no_entries_from_elsewhere(tmp_path):
    submissions = _submissions_beside_other_entries(tmp_path)
    records = [leaderboard_record(dataset="..", seed=seed, test=0.7) for seed in range(2)]
    tables = build_tables(records, submissions)
    assert sorted(tables) == ["..", "cora"]
    assert [row.method for row in tables[".."][2] if row.submitted] == []


def test_the_entries_of_an_unsafe_dataset_name_lie_in_its_cleaned_folder(tmp_path):
    from harness.submissions import dataset_folder, load_submissions, submitted_datasets

    submissions = tmp_path / "submissions"
    folder = dataset_folder(submissions, "a/b")
    assert folder.parent == submissions and folder.name == path_component("a/b")
    folder.mkdir(parents=True)
    (folder / "entry.yaml").write_text(ENTRY.replace("Outside", "AB") + "dataset: a/b\n")
    (submissions / ".git").mkdir()
    assert [entry.method for entry in load_submissions(submissions, "a/b")] == ["AB"]
    assert submitted_datasets(submissions) == []  # found through its name, never listed as its folder's


def test_a_folder_whose_name_is_no_plain_name_is_refused_with_the_folder_it_belongs_in(tmp_path):
    from harness.submissions import SubmissionError, submitted_datasets

    submissions = tmp_path / "submissions"
    (submissions / "my data").mkdir(parents=True)
    (submissions / "cora").mkdir()
    with pytest.raises(SubmissionError) as error:
        submitted_datasets(submissions)
    assert str(error.value) == (
        f"{submissions / 'my data'}: folder name: 'my data' is not a plain file name (ASCII letters, digits, '-', '_' and '.',"
        f" not starting with '.'); the entries of dataset 'my data' belong in {submissions / path_component('my data')}"
    )
