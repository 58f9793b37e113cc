"""Bad submitted entries (the corpus under ``tests/bad_submissions/toy``, whose
``_dataset.yaml`` names ``acc``): each is refused with the file, the field and what is valid, and
one bad file does not hide the others."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.submissions import SubmissionError, load_submission, load_submissions

CORPUS = Path(__file__).parent / "bad_submissions"

#: file -> (the field its message names, what the message says)
EXPECTED = {
    "negative-std": ("test.std", "must not be negative"),
    "std-without-seeds": ("test.std", "without the number of runs it is over: add seeds: N"),
    "nan-mean": ("test.mean", "must be a finite number"),
    "nan-std": ("test.std", "must be a finite number"),
    "infinite-test": ("test", "must be a finite number"),
    "nan-in-per-seed-list": ("test[1]", "must be a finite number"),
    "percent-accuracy": ("test", "85.3 is outside the range of metric 'acc', [0, 1] (a percentage? give it as a fraction)"),
    "own-metric-out-of-range": ("test", "1.2 is outside the range of metric 'rocauc', [0, 1]"),
    "valid-out-of-range": ("valid", "-0.1 is outside the range of metric 'acc'"),
    "stdev-misspelt": ("test.stdev", "unknown key; valid: mean, std; did you mean 'std'?"),
    "references-misspelt": ("refrences", "did you mean 'references'?"),
    "match-is-a-name": ("match", "must be a mapping of axis to component name"),
    "match-unknown-axis": ("match.backbon", "did you mean 'backbone'?"),
    "match-value-list": ("match.backbone", "must be a component name (a string)"),
    "references-number": ("references", "must be a list of strings"),
    "references-numbers": ("references", "must be a list of strings"),
    "seeds-zero": ("seeds", "must be a positive integer"),
    "seeds-fraction": ("seeds", "must be a positive integer"),
    "ext-data-text": ("ext_data", "must be true or false"),
    "method-list": ("method", "must be a non-empty string"),
    "source-empty": ("source", "must be a non-empty string"),
    "unknown-metric": ("metric", "did you mean 'acc'?"),
    "test-boolean": ("test", "must be {mean, std}, a number, or a list of per-seed scores"),
    "mean-missing": ("test", "lacks 'mean'"),
    "mean-text": ("test.mean", "must be a number, got 'high'"),
    "a-list": ("file", "must be a mapping with keys method, test, source"),
    "syntax-error": ("file", "YAML syntax error"),
    "source-missing": ("keys", "missing ['source']"),
    "hardware-number": ("hardware", "must be a string"),
    "test-empty-list": ("test", "must be {mean, std}, a number, or a list of per-seed scores"),
    "dataset-of-another-folder": ("dataset", "names 'cora', but the entry lies in the folder of dataset 'toy'"),
}


def _corpus(tmp_path) -> Path:
    """The corpus plus what git cannot hold well: a binary file and a folder named ``*.yaml``."""
    folder = tmp_path / "subs"
    shutil.copytree(CORPUS, folder)
    (folder / "toy" / "binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    (folder / "toy" / "folder.yaml").mkdir()
    (folder / "toy" / "folder.yaml" / "entry.yaml").write_text("method: X\n")
    return folder


EXPECTED_BUILT = {
    "binary": ("file", "is not a UTF-8 text file (binary?)"),
    "folder": ("file", "is a folder, not an entry file"),
}
ALL = {**EXPECTED, **EXPECTED_BUILT}


def test_the_corpus_has_a_case_for_every_file():
    assert {p.stem for p in (CORPUS / "toy").glob("*.yaml") if not p.name.startswith("_")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_bad_entry_is_refused_naming_the_file_and_the_field(tmp_path, name):
    path = _corpus(tmp_path) / "toy" / f"{name}.yaml"
    field, message = ALL[name]
    with pytest.raises(SubmissionError) as error:
        load_submission(path, "toy", folder_metric="acc")
    assert f"{path}: {field}: " in str(error.value)
    assert message in str(error.value)


def test_one_bad_file_does_not_hide_the_others(tmp_path):
    folder = _corpus(tmp_path)
    (folder / "toy" / "good.yaml").write_text("method: Good\ntest: {mean: 0.8, std: 0.01}\nseeds: 10\nsource: a test\n")
    with pytest.raises(SubmissionError) as error:
        load_submissions(folder, "toy")
    text = str(error.value)
    assert text.startswith(f"{len(error.value.problems)} problems in submitted entries:")
    for name, (field, message) in ALL.items():
        assert f"{folder / 'toy' / name}.yaml: {field}: " in text, name
    assert "good.yaml" not in text
    assert len(error.value.problems) == len(ALL)  # one problem per file: each holds one mistake


def test_every_problem_of_one_file_is_listed(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text("method: X\nsource: s\ntest: {mean: 0.8, std: -1, stdev: 2}\nseeds: 10\nmatch: gcn\nreferences: 5\n")
    with pytest.raises(SubmissionError) as error:
        load_submission(path, "toy")
    fields = [problem.split(": ")[1] for problem in error.value.problems]
    assert fields == ["test.stdev", "test.std", "references", "match"]


def test_an_error_metric_has_no_range(tmp_path):
    path = tmp_path / "rmse.yaml"
    path.write_text("method: X\nsource: s\ntest: 85.3\nmetric: rmse\n")
    assert load_submission(path, "toy").test.mean == 85.3


def test_a_bad_dataset_file_is_listed_with_the_entries(tmp_path):
    folder = tmp_path / "subs"
    (folder / "toy").mkdir(parents=True)
    (folder / "toy" / "_dataset.yaml").write_bytes(b"\xff\xfe\x00")
    (folder / "toy" / "a.yaml").write_text("method: A\ntest: 0.5\nsource: s\nstdev: 1\n")
    with pytest.raises(SubmissionError) as error:
        load_submissions(folder, "toy")
    assert [p.split(": ")[:2] for p in error.value.problems] == [[str(folder / "toy" / "_dataset.yaml"), "file"], [str(folder / "toy" / "a.yaml"), "stdev"]]


def test_the_cli_refuses_the_corpus_naming_every_file(tmp_path):
    from leaderboard_records import make_record, write_records

    folder = _corpus(tmp_path)
    results = write_records(tmp_path / "results", [make_record(dataset="toy")])
    done = subprocess.run([sys.executable, "-m", "harness", "leaderboard", "--results-dir", str(results), "--out", str(tmp_path / "boards"),
                           "--submissions", str(folder)], capture_output=True, text=True, cwd=tmp_path, timeout=180)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    for name in ALL:
        assert f"{name}.yaml: " in done.stderr, name
