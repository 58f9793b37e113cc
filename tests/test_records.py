"""Records have a schema: one Record type, described by docs/record.schema.json, that the worker
writes through, the store checks before writing, and every reader reads through. Each record says
which plugin distribution provided each component; older records stay readable."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from harness.cell import AXES
from harness.leaderboard import build_tables
from harness.pytest_plugin import TINY_DATASETS
from harness.record import RESULT_REQUIRED, SPLIT_PROTOCOLS, STAGE_STATUSES, STATUSES, Provider, Record, RecordError, SplitUse, StageUse
from harness.store import RESERVED, InvalidRecord, ResultStore
from leaderboard_records import make_record, write_records

REPO = Path(__file__).resolve().parent.parent
QUICKSTART = REPO / "grids" / "quickstart.yaml"
BEHAVIOUR = Path(__file__).parent / "helpers" / "behaviour_plugin.py"


def _schema() -> dict:
    return json.loads((REPO / "docs" / "record.schema.json").read_text())


def _schema_problems(validator, data) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in validator.iter_errors(data)]


def _record_files(results: Path) -> list[Path]:
    return [p for p in sorted(results.glob("*/*.json")) if p.parent.name not in RESERVED]


# -- every record of a quickstart-sized run follows the schema ---------------------------------


def _tiny(dataset):
    """A dataset entry of the quickstart at the size the plugin fixtures use."""
    sizes = {name: params for name, params in TINY_DATASETS.values()}
    return {"name": dataset, "params": sizes[dataset]}


@pytest.fixture(scope="module")
def quickstart_run(tmp_path_factory):
    """The quickstart grid (every task family) with one seed, few epochs and tiny data, plus one
    failing cell, run once."""
    from harness.executors import LocalExecutor
    from harness.grid import load_grid
    from harness.registry import load_registry
    from harness.runner import run_grid
    from harness.settings import RunSettings

    folder = tmp_path_factory.mktemp("quickstart")
    grid = yaml.safe_load(QUICKSTART.read_text())
    grid["seeds"] = [0]
    grid["defaults"]["methods"] = {"epochs": 4, "patience": 0}
    # Tiny data, and without the language-model cell (minutes on a shared CPU): the records of
    # the node-encoder methods are checked where their tests write them (see conftest.py).
    grid["datasets"] = [_tiny(name) for name in grid["datasets"]]
    grid["include"] = [dict(entry, dataset=_tiny(entry["dataset"])) for entry in grid["include"] if entry.get("encoder") != {"name": "lm", "params": {"max_length": 16}}]
    assert len(grid["include"]) == 4
    grid["include"].append({"dataset": "synthetic-node", "backbone": "mlp", "method": {"name": "misbehave", "params": {"mode": "raise"}}})
    path = folder / "grid.yaml"
    path.write_text(yaml.safe_dump(grid))
    plugins, registry = load_registry([BEHAVIOUR])
    settings = RunSettings(results_dir=str(folder / "results"), cache_dir=str(folder / "cache"), data_root=str(folder / "data"),
                           plugin_files=(str(BEHAVIOUR),))
    summary = run_grid(load_grid(path, registry), settings, plugins, registry, LocalExecutor())
    return folder / "results", plugins, registry, summary


def test_every_record_of_a_quickstart_run_follows_the_schema(quickstart_run, record_schema_validator):
    results, _, _, summary = quickstart_run
    files = _record_files(results)
    assert len(files) == summary.ran == 9
    statuses = set()
    for path in files:
        data = json.loads(path.read_text())
        assert not _schema_problems(record_schema_validator, data), (path, _schema_problems(record_schema_validator, data))
        record = Record.from_dict(data)
        assert record.to_dict() == data  # written through Record: reading it back loses nothing
        statuses.add(record.status)
    assert statuses == {"complete", "failed"}


def test_each_record_names_the_plugin_distribution_of_each_component(quickstart_run):
    results, plugins, registry, _ = quickstart_run
    for record in ResultStore(results).load():
        assert set(record.components) == set(AXES)
        for axis in AXES:
            info = plugins.info(registry.owners[(axis, getattr(record.cell, axis).name)])
            assert record.components[axis] == Provider(info.distribution, info.version)
    method = {r.cell.method.name: r.components["method"] for r in ResultStore(results).load()}
    assert method["supervised"].distribution == "harness-supervised"
    assert method["misbehave"].distribution == "(local file)"


# -- the store refuses malformed records -------------------------------------------------------


def _valid() -> dict:
    return make_record()


@pytest.mark.parametrize(
    "break_it, expected",
    [
        (lambda r: r.pop("status"), "lacks the field(s) 'status'"),
        (lambda r: r.update(test="0.8"), "record field 'test' must be a number or null, got '0.8'"),
        (lambda r: r.update(status="done"), "record field 'status' must be one of 'complete', 'failed', 'timeout'"),
        (lambda r: r.update(tset=0.8), "unknown record field 'tset'"),
        (lambda r: r.pop("metric"), "lacks the field(s) 'metric'"),
        (lambda r: r.update(seed=True), "record field 'seed' must be an integer, got True"),
        (lambda r: r["cell"]["method"].pop("name"), "record field 'cell.method' lacks 'name'"),
        (lambda r: r.update(components={"method": {"distribution": "x"}}), "record field 'components.method' lacks 'version'"),
        (lambda r: r.update(components={"metod": {"distribution": "x", "version": "1"}}), "did you mean 'method'?"),
        (lambda r: r.update(stages=[{"name": "pretrain", "key": "ab12", "status": "cached"}]), "record field 'stages[0].status' must be one of 'built', 'reused'"),
        (lambda r: r.update(split={"protocol": "folds", "index": "3", "count": 10}), "record field 'split.index' must be an integer or null"),
        (lambda r: r.update(status="failed"), "lacks the field(s) 'error'"),
    ],
)
def test_the_store_refuses_a_malformed_record_and_says_why(tmp_path, break_it, expected):
    store = ResultStore(tmp_path)
    record = _valid()
    break_it(record)
    with pytest.raises(InvalidRecord) as caught:
        store.write(record)
    message = str(caught.value)
    assert "refusing to write the record of cell" in message and expected in message, message
    assert _record_files(tmp_path) == []


def test_every_malformed_case_is_also_refused_by_the_schema(record_schema_validator):
    """The store's check and the JSON Schema agree on what is malformed."""
    broken = _valid()
    broken["stages"] = [{"name": "pretrain", "key": "ab12", "status": "cached"}]
    assert _schema_problems(record_schema_validator, broken)
    broken = _valid()
    broken["tset"] = 0.8
    assert _schema_problems(record_schema_validator, broken)
    broken = _valid()
    broken["status"] = "failed"
    assert _schema_problems(record_schema_validator, broken)


def test_the_optional_parts_other_features_add_are_accepted_with_their_shapes(tmp_path, record_schema_validator):
    record = _valid()
    record["components"] = {axis: {"distribution": f"harness-{axis}", "version": "1.0"} for axis in AXES}
    record["stages"] = [{"name": "pretrain", "key": "ab12", "status": "built"}, {"name": "teacher", "key": "cd34", "status": "reused"}]
    record["split"] = {"protocol": "folds", "index": 3, "count": 10}
    assert not _schema_problems(record_schema_validator, record)
    path = ResultStore(tmp_path).write(record)
    typed = next(ResultStore(tmp_path).load())
    assert json.loads(path.read_text()) == record
    assert typed.stages == [StageUse("pretrain", "ab12", "built"), StageUse("teacher", "cd34", "reused")]
    assert typed.split == SplitUse("folds", 3, 10)
    assert typed.components["encoder"] == Provider("harness-encoder", "1.0")


def test_a_typed_record_is_written_as_its_json_form(tmp_path):
    record = Record.from_dict(_valid())
    record.update(split=SplitUse("per-seed", 4, None))
    path = ResultStore(tmp_path).write(record)
    assert json.loads(path.read_text())["split"] == {"protocol": "per-seed", "index": 4, "count": None}
    with pytest.raises(RecordError, match="no record field 'splt'"):
        record.update(splt=None)


# -- old records stay readable ------------------------------------------------------------------


def test_records_written_before_the_schema_stay_readable(tmp_path, record_schema_validator):
    """The shape the worker wrote before components, stages and split existed."""
    old = make_record(seed=0, test=0.7)
    for field_name in ("components", "stages", "split"):
        assert field_name not in old
    assert not _schema_problems(record_schema_validator, old)
    record = Record.from_dict(old)
    assert record.components == {} and record.stages == [] and record.split is None
    results = write_records(tmp_path / "results", [old, make_record(seed=1, test=0.9)])
    tables = build_tables(ResultStore(results).load(), tmp_path / "no-submissions")
    (metric, higher, rows), = tables.values()
    assert rows[0].test.n == 2 and rows[0].test.mean == pytest.approx(0.8)


def test_a_failed_record_has_no_results_in_its_json_form():
    failed = make_record(status="failed")
    record = Record.from_dict(failed)
    assert record.to_dict() == {**failed, "stages": []}  # an old record used no declared stage
    old = {key: value for key, value in failed.items() if key != "isolated"}
    assert Record.from_dict(old).to_dict() == {**old, "stages": [], "isolated": False}  # made before isolation was the default
    assert not record.complete and record.test is None


def test_a_results_file_that_is_not_a_record_is_named_by_the_leaderboard_which_goes_on(tmp_path):
    """A reading command reports each bad file in one line, quarantines it, and builds the
    leaderboard from the good records (it used to stop with exit code 2)."""
    results = write_records(tmp_path / "results", [make_record()])
    bad = copy.deepcopy(make_record(seed=5))
    bad["test"] = "high"
    (results / "cora" / "bad.json").write_text(json.dumps(bad))
    done = subprocess.run([sys.executable, "-m", "harness", "leaderboard", "--results-dir", str(results), "--out", str(tmp_path / "boards"),
                           "--submissions", str(tmp_path / "none")], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    warning, = [line for line in done.stderr.splitlines() if "bad.json" in line]
    assert "record field 'test' must be a number" in warning
    assert "leaderboard:" in done.stdout
    assert [p.name.startswith("bad.") for p in (results / "cora" / "corrupt").iterdir()] == [True]


# -- the type and the schema describe the same record ---------------------------------------------


def test_the_schema_and_the_record_type_have_the_same_fields():
    schema = _schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    names = [f.name for f in fields(Record)]
    assert set(schema["properties"]) == set(names)
    assert set(schema["required"]) == {f.name for f in fields(Record) if f.metadata["required"]}
    complete, failed = schema["allOf"]
    assert complete["if"]["properties"]["status"] == {"const": "complete"}
    assert set(complete["then"]["required"]) == set(RESULT_REQUIRED)
    assert failed["then"]["required"] == ["error"]
    properties = schema["properties"]
    assert tuple(properties["status"]["enum"]) == STATUSES
    assert tuple(properties["stages"]["items"]["properties"]["status"]["enum"]) == STAGE_STATUSES
    assert properties["split"] == properties["cell"]["properties"]["split"] == {"$ref": "#/$defs/split"}
    assert tuple(schema["$defs"]["split"]["properties"]["protocol"]["enum"]) == SPLIT_PROTOCOLS
    assert set(properties["components"]["properties"]) == set(AXES)
    assert set(properties["cell"]["required"]) == {*AXES, "seed"}
    assert set(properties["cell"]["properties"]) == {*AXES, "seed", "split"}


@pytest.mark.parametrize("field_name", [f.name for f in fields(Record) if f.metadata["check"] is not None])
def test_the_schema_type_of_each_plain_field_is_the_one_the_record_checks(field_name, record_schema_validator):
    """For each field, a value of every JSON type: the store's check and the schema agree."""
    check = next(f for f in fields(Record) if f.name == field_name).metadata["check"][1]
    base = _valid()
    for value in ("text", 3, 2.5, True, None, {}, [], "complete"):
        record = dict(base, **{field_name: value})
        schema_ok = not [p for p in _schema_problems(record_schema_validator, record) if p.startswith(f"{field_name}:")]
        assert check(value) == schema_ok, (field_name, value)
