"""Records written where the cell runs (harness.worker_records): a cell complete when its task
starts is not run again, a finished cell's record is written by the worker, and the driver
writes only the failures no worker could record, never over a complete record."""

from __future__ import annotations

from harness.settings import RunSettings
from harness.store import ResultStore
from harness.worker_records import RecordingCellJob, settle, shared_paths
from test_store import make_cell, make_record


class CountingJob:
    """A per-cell job that returns the record it was given and counts its calls."""

    def __init__(self, settings: RunSettings, record: dict):
        self.settings, self.record, self.calls = settings, record, 0

    def __call__(self, cell):
        self.calls += 1
        return self.record


def _settings(tmp_path, isolate=True) -> RunSettings:
    return shared_paths(RunSettings(results_dir=str(tmp_path / "results"), cache_dir=str(tmp_path / "cache"), data_root=str(tmp_path), isolate=isolate))


def test_a_cell_complete_when_its_task_starts_is_not_run_again(tmp_path):
    cell = make_cell()
    settings = _settings(tmp_path)
    finished = make_record(cell, isolated=True)
    ResultStore(settings.results_dir).write(finished)
    job = CountingJob(settings, make_record(cell, test=0.1, isolated=True))

    assert RecordingCellJob(job)(cell) == finished
    assert job.calls == 0


def test_the_worker_writes_the_record_of_the_cell_it_ran(tmp_path):
    cell = make_cell()
    settings = _settings(tmp_path)
    record = make_record(cell, isolated=True)
    job = CountingJob(settings, record)

    assert RecordingCellJob(job)(cell) == record
    assert job.calls == 1
    assert ResultStore(settings.results_dir).read(cell) == record


def test_a_failed_record_is_run_again_and_replaced_by_the_worker(tmp_path):
    cell = make_cell()
    settings = _settings(tmp_path)
    store = ResultStore(settings.results_dir)
    store.write(make_record(cell, status="failed", isolated=True))
    job = CountingJob(settings, make_record(cell, isolated=True))

    RecordingCellJob(job)(cell)
    assert job.calls == 1
    assert store.read(cell)["status"] == "complete"
    assert len(list((store.path(cell).parent / "attempts").iterdir())) == 1, "the failed record is kept under attempts/"


def test_an_isolated_run_reruns_a_cell_whose_complete_record_was_made_without_isolation(tmp_path):
    cell = make_cell()
    settings = _settings(tmp_path, isolate=True)
    ResultStore(settings.results_dir).write(make_record(cell, isolated=False))
    job = CountingJob(settings, make_record(cell, isolated=True))

    assert RecordingCellJob(job)(cell)["isolated"] is True
    assert job.calls == 1


def test_the_driver_keeps_a_complete_record_a_worker_wrote_over_the_executors_failure_report(tmp_path):
    cell = make_cell()
    store = ResultStore(tmp_path / "results")
    written = make_record(cell, isolated=True)
    store.write(written)

    assert settle(store, cell, make_record(cell, status="failed"), isolate=True) == written
    assert store.read(cell) == written


def test_the_driver_writes_a_failure_no_worker_could_record(tmp_path):
    cell = make_cell()
    store = ResultStore(tmp_path / "results")
    failure = make_record(cell, status="failed")

    assert settle(store, cell, failure, isolate=True) == failure
    assert store.read(cell) == failure
    assert settle(store, cell, failure, isolate=True) == failure, "settling the record a worker wrote writes nothing"
    assert not (store.path(cell).parent / "attempts").exists()


def test_shared_paths_are_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = shared_paths(RunSettings(results_dir="results", cache_dir="cache", data_root="data"))
    assert settings.results_dir == str(tmp_path / "results")
    assert settings.cache_dir == str(tmp_path / "cache")
    assert settings.data_root == str(tmp_path / "data")
