"""Bad record files: every read checks a record (schema, its own cell id, its place, finite
scores); a bad one is quarantined under ``corrupt/`` with a one-line warning naming the file and
why, the good ones are read on, a run re-runs the cell and lists the file in its manifest; a
NaN score fails the cell."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.store import ResultStore
from leaderboard_records import make_record, write_records

BEHAVIOUR = Path(__file__).parent / "helpers" / "behaviour_plugin.py"


def _edit(**changes):
    def edit(record):
        record.update(changes)
        return record

    return edit


def _drop(*names):
    def edit(record):
        for name in names:
            record.pop(name)
        return record

    return edit


def _foreign_id(record):
    record["cell_id"] = make_record(seed=7)["cell_id"]
    return record


def _nested(path, value):
    def edit(record):
        target = record
        *parents, last = path
        for key in parents:
            target = target[key]
        target[last] = value
        return record

    return edit


#: (case, the bytes of the file or an edit of a valid record's JSON form, what the warning says)
BAD_CONTENTS = [
    ("truncated", b'{"cell": {"dataset": ', "not JSON"),
    ("empty", b"", "empty file"),
    ("binary", b"\xff\xfe\x00garbage\x80", "not JSON"),
    ("list", b"[1, 2, 3]", "a record must be a JSON object, got list"),
    ("string", b'"complete"', "a record must be a JSON object, got str"),
    ("number", b"0.8", "a record must be a JSON object, got float"),
    ("status only", b'{"status": "complete"}', "lacks the field(s) 'cell'"),
    ("empty object", b"{}", "lacks the field(s) 'cell'"),
    ("test is text", _edit(test="high"), "record field 'test' must be a number"),
    ("seed is text", _edit(seed="0"), "record field 'seed' must be an integer"),
    ("unknown status", _edit(status="done"), "record field 'status' must be one of"),
    ("unknown field", _edit(tset=0.8), "unknown record field 'tset'"),
    ("complete without test", _drop("test"), "lacks the field(s) 'test'"),
    ("failed without error", _edit(status="failed"), "lacks the field(s) 'error'"),
    ("cell is a list", _edit(cell=[]), "record field 'cell' must be an object"),
    ("cell seed is text", _nested(("cell", "seed"), "0"), "record field 'cell.seed' must be an integer"),
    ("foreign cell id", _foreign_id, "foreign record: its cell_id"),
    ("NaN test", _edit(test=math.nan), "non-finite score (test = nan)"),
    ("infinite valid", _edit(valid=math.inf), "non-finite score (valid = inf)"),
    ("NaN extra metric", _edit(metrics={"test": {"acc": math.nan}}), "non-finite score (metrics.test.acc = nan)"),
]


def _write_bad(results: Path, content) -> Path:
    """A bad file where the record of seed 1 belongs (beside the good record of seed 0)."""
    record = make_record(seed=1)
    path = ResultStore(results).path(_cell(record))
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(json.dumps(content(copy.deepcopy(record))))
    return path


def _cell(record):
    from harness.cell import Cell

    return Cell.from_dict(record["cell"])


@pytest.mark.parametrize("case, content, reason", BAD_CONTENTS, ids=[c[0] for c in BAD_CONTENTS])
def test_a_bad_record_is_quarantined_named_and_the_good_ones_read_on(tmp_path, case, content, reason):
    results = write_records(tmp_path / "results", [make_record(seed=0)])
    path = _write_bad(results, content)
    before = path.read_bytes()
    warnings: list[str] = []
    store = ResultStore(results, warn=warnings.append)

    assert [r.seed for r in store.load()] == [0]
    warning, = warnings
    assert str(path) in warning and reason in warning and "\n" not in warning
    assert not path.exists()
    moved, = (path.parent / "corrupt").iterdir()
    assert moved.read_bytes() == before  # kept, never deleted
    assert store.quarantined[0].path == path and reason in store.quarantined[0].reason
    # The cell counts as not run: its record can be written afresh.
    store.write(make_record(seed=1))
    assert store.read(_cell(make_record(seed=1)))["status"] == "complete"


@pytest.mark.parametrize("case, content, reason", BAD_CONTENTS[:8], ids=[c[0] for c in BAD_CONTENTS[:8]])
def test_reading_one_cell_quarantines_its_bad_record(tmp_path, case, content, reason):
    """The runner's skip decision (``read``) applies the same checks as listing."""
    path = _write_bad(tmp_path, content)
    warnings: list[str] = []
    assert ResultStore(tmp_path, warn=warnings.append).read(_cell(make_record(seed=1))) is None
    assert len(warnings) == 1 and str(path) in warnings[0] and reason in warnings[0]


def test_a_record_in_another_datasets_folder_is_foreign(tmp_path):
    record = make_record(dataset="citeseer", seed=0)
    wrong = tmp_path / "cora" / f"{record['cell_id']}.json"
    wrong.parent.mkdir()
    wrong.write_text(json.dumps(record))
    warnings: list[str] = []
    assert list(ResultStore(tmp_path, warn=warnings.append).load()) == []
    assert str(wrong) in warnings[0] and "foreign record" in warnings[0] and "citeseer" in warnings[0]


def test_a_record_under_another_file_name_is_foreign(tmp_path):
    results = write_records(tmp_path / "results", [make_record(seed=0)])
    copied = results / "cora" / "copy.json"
    copied.write_text(json.dumps(make_record(seed=0)))
    warnings: list[str] = []
    assert len(list(ResultStore(results, warn=warnings.append).load())) == 1
    assert len(warnings) == 1 and str(copied) in warnings[0] and "foreign record" in warnings[0]


def test_a_folder_named_like_a_record_is_quarantined(tmp_path):
    results = write_records(tmp_path / "results", [make_record(seed=0)])
    folder = results / "cora" / "folder.json"
    folder.mkdir()
    warnings: list[str] = []
    assert len(list(ResultStore(results, warn=warnings.append).records())) == 1
    assert str(folder) in warnings[0] and "a folder" in warnings[0]


def test_the_warning_goes_to_stderr_by_default(tmp_path, capsys):
    path = _write_bad(tmp_path, b"{")
    assert list(ResultStore(tmp_path).records()) == []
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and err.startswith("warning: quarantined")


@pytest.mark.parametrize("command", ["leaderboard", "compare", "plot"])
def test_reading_commands_report_bad_records_and_go_on(tmp_path, command):
    results = write_records(tmp_path / "results", [make_record(seed=0), make_record(seed=2)])
    nan = _write_bad(results, _edit(test=math.nan))
    garbled = results / "cora" / "garbled.json"
    garbled.write_text('{"status": "complete"}')
    extra = {"leaderboard": ["--out", str(tmp_path / "boards")], "compare": ["--dataset", "cora"], "plot": ["--out", str(tmp_path / "plots")]}
    done = subprocess.run([sys.executable, "-m", "harness", command, "--results-dir", str(results), "--submissions", str(tmp_path / "none"),
                           *extra[command]], capture_output=True, text=True, cwd=tmp_path, timeout=180)
    if command == "compare":  # no submitted entries to compare with: exit 2, but after reading on
        assert "Traceback" not in done.stderr
    else:
        assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert any(str(nan) in line and "non-finite score" in line for line in lines)
    assert any(str(garbled) in line and "lacks the field(s)" in line for line in lines)


def test_a_run_quarantines_a_bad_record_reruns_the_cell_and_lists_it_in_the_manifest(tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({"seeds": [0], "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
                                    "backbones": ["mlp"], "methods": [{"name": "misbehave", "params": {"mode": "ok"}}]}))
    args = [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--plugin", str(BEHAVIOUR),
            "--results-dir", "results", "--cache-dir", "cache", "--leaderboard-dir", "boards"]
    assert subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=600).returncode == 0
    path, = (tmp_path / "results" / "synthetic-node").glob("*.json")
    path.write_text('{"status": "complete"}')

    again = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr
    warning, = [line for line in again.stderr.splitlines() if "quarantined" in line]
    assert str(Path("results") / "synthetic-node" / path.name) in warning and "lacks the field(s)" in warning
    assert json.loads(path.read_text())["status"] == "complete"  # the cell ran again
    manifests = sorted((tmp_path / "results" / "runs").glob("*.json"))
    listed = json.loads(manifests[-1].read_text())["quarantined"]
    assert len(listed) == 1 and listed[0]["path"].endswith(path.name) and "lacks the field(s)" in listed[0]["reason"]
    assert json.loads(manifests[0].read_text())["quarantined"] == []


def test_a_nan_score_fails_the_cell_with_a_clear_error(tmp_path, monkeypatch):
    from harness import worker
    from harness.grid import load_grid
    from harness.registry import load_registry
    from harness.settings import RunSettings
    from harness.task import Task

    real_scores = Task.scores

    def nan_on_test(task, split, predictions):
        scores = real_scores(task, split, predictions)
        return {name: math.nan for name in scores} if split == "test" else scores

    monkeypatch.setattr(Task, "scores", nan_on_test)
    grid = tmp_path / "grid.yaml"
    grid.write_text("name: nan\nseeds: [0]\ndatasets: [synthetic-node]\nencoders: [identity]\nbackbones: [mlp]\nmethods: [{name: supervised, params: {epochs: 2}}]\n")
    [cell] = load_grid(grid, load_registry()[1]).cells
    record = worker.run_cell(cell, RunSettings(results_dir=str(tmp_path / "r"), cache_dir=str(tmp_path / "c"), isolate=False))
    assert record["status"] == "failed"
    assert "non-finite metric (test = nan)" in record["error"] and "test" not in record


@pytest.mark.parametrize("isolate", [False, True], ids=["in-process", "isolated"])
def test_a_cache_entry_a_cell_quarantines_is_reported_and_listed_in_the_manifest(tmp_path, isolate):
    """The cell that finds the bad entry may run in another process: the manifest still lists it."""
    counter = tmp_path / "builds"

    def run(seeds):
        grid = tmp_path / "grid.yaml"
        grid.write_text(yaml.safe_dump({"seeds": seeds, "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
                                        "backbones": ["mlp"], "methods": [{"name": "staged", "params": {"counter_file": str(counter)}}]}))
        args = [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--plugin", str(BEHAVIOUR), "--results-dir", "results",
                "--cache-dir", "cache", "--leaderboard-dir", "boards", *(["--isolate"] if isolate else [])]
        done = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=600)
        assert done.returncode == 0, done.stderr
        return done

    run([0])
    payload, = (tmp_path / "cache").glob("*/*/payload.pt")
    payload.write_bytes(payload.read_bytes()[:-8] + b"corrupt!")
    done = run([0, 1])  # seed 1 reads the stage seed 0 built

    warning, = [line for line in done.stderr.splitlines() if "quarantined cache entry" in line]
    assert payload.parent.name in warning and "sha256" in warning
    assert counter.read_text().count("built") == 2  # rebuilt
    manifest = json.loads(sorted((tmp_path / "results" / "runs").glob("*.json"))[-1].read_text())
    listed, = manifest["quarantined"]
    assert listed["kind"] == "cache entry" and listed["path"].endswith(payload.parent.name) and "sha256" in listed["reason"]


@pytest.mark.parametrize("case, content, reason", BAD_CONTENTS, ids=[c[0] for c in BAD_CONTENTS])
def test_dry_run_counts_a_bad_record_as_none_and_moves_nothing(tmp_path, case, content, reason):
    """``--dry-run`` plans what a run would do: run the cell whose record it would quarantine."""
    from harness.store import check_record_file, peek_status

    path = _write_bad(tmp_path, content)
    cell = _cell(make_record(seed=1))
    assert peek_status(tmp_path, cell) is None
    assert reason in check_record_file(tmp_path, path)
    assert path.exists() and not (path.parent / "corrupt").exists()
    write_records(tmp_path / "good", [make_record(seed=1)])
    assert peek_status(tmp_path / "good", cell) == "complete"
