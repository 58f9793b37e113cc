"""ResultStore: layout, atomic writes, no silent overwrites, corrupt files kept aside,
stale temporaries swept, and per-cell locks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from filelock import FileLock, Timeout

import harness.atomic
from harness.atomic import TEMP_PREFIX, write_json_atomic
from harness.cell import Cell, ComponentRef
from harness.store import RecordExists, ResultStore
from helpers.processes import dead_pid


def make_cell(dataset: str = "cora", seed: int = 0, hidden: int = 64) -> Cell:
    return Cell(
        dataset=ComponentRef(dataset),
        encoder=ComponentRef("identity"),
        backbone=ComponentRef("gcn", {"hidden": hidden, "layers": 2}, version="2"),
        method=ComponentRef("erm", {"lr": 0.01}),
        seed=seed,
    )


def make_record(cell: Cell, status: str = "complete", test: float = 0.8, **extra) -> dict:
    """A record that follows the schema: scores when complete, an error otherwise."""
    record = {"cell": cell.to_dict(), "status": status, "cell_id": cell.id, "config": cell.config(), "seed": cell.seed,
              "started": "2024-05-01T10:00:00+00:00"}
    if status == "complete":
        record.update(dataset=cell.dataset.name, task_type="node-classification", metric="acc", higher_is_better=True, valid=test, test=test)
    else:
        record["error"] = "RuntimeError: on purpose"
    record.update(extra)
    return record




def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(f"{TEMP_PREFIX}*")]


# --- layout -------------------------------------------------------------------------------


def test_record_path_layout(tmp_path):
    store = ResultStore(tmp_path / "results")
    cell = make_cell("cora")
    record = make_record(cell)
    path = store.write(record)

    assert path == tmp_path / "results" / "cora" / f"{cell.id}.json"
    assert store.path(cell) == path
    assert json.loads(path.read_text()) == record
    assert store.read(cell) == record
    assert files_under(tmp_path / "results") == [f"cora/{cell.id}.json"]


def test_dataset_name_is_made_safe_for_a_folder(tmp_path):
    store = ResultStore(tmp_path)
    cell = make_cell("ogbn arxiv/v2:x")
    path = store.write(make_record(cell))
    assert path.parent.name.startswith("ogbn_arxiv_v2_x~") and path.name == f"{cell.id}.json"  # a digest: "ogbn_arxiv_v2_x" is another name
    assert path.parent.parent == tmp_path


def test_distinct_cells_get_distinct_records(tmp_path):
    store = ResultStore(tmp_path)
    cells = [make_cell(seed=0), make_cell(seed=1), make_cell(hidden=128)]
    assert len({c.id for c in cells}) == 3
    for i, cell in enumerate(cells):
        store.write(make_record(cell, test=i))
    for i, cell in enumerate(cells):
        assert store.read(cell)["test"] == i


def test_read_of_a_missing_record_is_none(tmp_path):
    assert ResultStore(tmp_path).read(make_cell()) is None


# --- atomic writes ------------------------------------------------------------------------


def _failing_replace(monkeypatch):
    """Make the rename of a temporary file into place fail (a crash right before it);
    other renames (archiving into attempts/) still work."""
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(src).name.startswith(TEMP_PREFIX):
            raise OSError(28, "No space left on device (simulated)")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def _failing_fsync(monkeypatch):
    """Fail after the bytes went into the temporary file but before it was renamed."""

    def fsync(fd):
        raise OSError(5, "Input/output error (simulated)")

    monkeypatch.setattr(harness.atomic.os, "fsync", fsync)


@pytest.mark.parametrize("fail", [_failing_replace, _failing_fsync])
def test_failed_write_of_a_new_record_leaves_nothing(tmp_path, monkeypatch, fail):
    store = ResultStore(tmp_path)
    cell = make_cell()
    fail(monkeypatch)
    with pytest.raises(OSError, match="simulated"):
        store.write(make_record(cell))
    monkeypatch.undo()

    assert store.read(cell) is None
    assert not store.path(cell).exists()
    assert temp_files(tmp_path) == []
    assert list(store.records()) == []


@pytest.mark.parametrize("fail", [_failing_replace, _failing_fsync])
def test_failed_overwrite_keeps_the_old_content(tmp_path, monkeypatch, fail):
    store = ResultStore(tmp_path)
    cell = make_cell()
    old = make_record(cell)
    path = store.write(old)
    old_bytes = path.read_bytes()

    fail(monkeypatch)
    with pytest.raises(OSError, match="simulated"):
        write_json_atomic(path, {"cell": cell.to_dict(), "status": "complete", "metrics": {"test": 0.1}, "pad": "x" * 100_000})
    monkeypatch.undo()

    assert path.read_bytes() == old_bytes
    assert store.read(cell) == old
    assert temp_files(tmp_path) == []


def test_failed_write_mid_json_dump_keeps_the_old_content(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    cell = make_cell()
    old = make_record(cell)
    path = store.write(old)

    def dumps(*args, **kwargs):
        raise RuntimeError("serialisation failed (simulated)")

    monkeypatch.setattr(harness.atomic.json, "dumps", dumps)
    with pytest.raises(RuntimeError, match="simulated"):
        write_json_atomic(path, {"anything": 1})
    monkeypatch.undo()
    assert store.read(cell) == old
    assert temp_files(tmp_path) == []


def test_failed_replacement_of_a_failed_record_keeps_it_in_attempts(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    cell = make_cell()
    old = make_record(cell, status="failed", error="boom")
    store.write(old)

    _failing_replace(monkeypatch)
    with pytest.raises(OSError, match="simulated"):
        store.write(make_record(cell), replace_failed=True)
    monkeypatch.undo()

    # The old record was archived before the new write, and the new write left no torn file.
    archived = list((store.path(cell).parent / "attempts").glob("*.json"))
    assert [json.loads(p.read_text()) for p in archived] == [old]
    assert temp_files(tmp_path) == []
    assert not store.path(cell).exists() or store.read(cell) == old


# --- no silent overwrites -----------------------------------------------------------------


@pytest.mark.parametrize("new_status", ["complete", "failed", "timeout"])
@pytest.mark.parametrize("replace_failed", [False, True])
def test_complete_record_is_never_overwritten(tmp_path, new_status, replace_failed):
    store = ResultStore(tmp_path)
    cell = make_cell()
    first = make_record(cell)
    path = store.write(first)
    before = path.read_bytes()

    with pytest.raises(RecordExists):
        store.write(make_record(cell, status=new_status, test=0.99), replace_failed=replace_failed)

    assert path.read_bytes() == before
    assert not (path.parent / "attempts").exists()
    assert files_under(tmp_path) == [f"cora/{cell.id}.json"]


@pytest.mark.parametrize("old_status", ["failed", "timeout"])
def test_failed_record_is_replaced_only_on_request(tmp_path, old_status):
    store = ResultStore(tmp_path)
    cell = make_cell()
    failed = make_record(cell, status=old_status, error="out of memory")
    path = store.write(failed)

    with pytest.raises(RecordExists):
        store.write(make_record(cell))
    assert store.read(cell) == failed
    assert not (path.parent / "attempts").exists()

    done = make_record(cell, test=0.9)
    assert store.write(done, replace_failed=True) == path
    assert store.read(cell) == done

    archived = sorted((path.parent / "attempts").iterdir())
    assert len(archived) == 1
    assert archived[0].name.startswith(cell.id)
    assert json.loads(archived[0].read_text()) == failed
    # The archive is not a current record.
    assert list(store.records()) == [done]


def test_every_replaced_attempt_is_kept(tmp_path):
    """Several retries in a row (as fast as a cell that fails at once) each archive the
    attempt they replace; none overwrites an earlier archive."""
    store = ResultStore(tmp_path)
    cell = make_cell()
    attempts = [make_record(cell, status="failed", error=f"attempt {i}") for i in range(4)]
    store.write(attempts[0])
    for attempt in attempts[1:]:
        store.write(attempt, replace_failed=True)
    final = make_record(cell)
    store.write(final, replace_failed=True)

    archived = [json.loads(p.read_text()) for p in (store.path(cell).parent / "attempts").iterdir()]
    assert sorted(r["error"] for r in archived) == [f"attempt {i}" for i in range(4)]
    assert store.read(cell) == final


# --- corrupt files ------------------------------------------------------------------------


@pytest.mark.parametrize("garbage", [b'{"cell": {"dataset": ', b"", b"\xff\xfe\x00garbage\x80", b"not json at all"])
def test_unparseable_record_is_moved_to_corrupt(tmp_path, garbage):
    store = ResultStore(tmp_path)
    cell = make_cell()
    path = store.path(cell)
    path.parent.mkdir(parents=True)
    path.write_bytes(garbage)

    assert store.read(cell) is None
    assert not path.exists()
    moved = list((path.parent / "corrupt").iterdir())
    assert len(moved) == 1
    assert moved[0].read_bytes() == garbage  # kept, not deleted
    assert moved[0].name.startswith(cell.id)

    # The cell can be written again, and the corrupt copy stays.
    record = make_record(cell)
    store.write(record)
    assert store.read(cell) == record
    assert [p.read_bytes() for p in (path.parent / "corrupt").iterdir()] == [garbage]


def test_every_corrupt_copy_is_kept(tmp_path):
    store = ResultStore(tmp_path)
    cell = make_cell()
    path = store.path(cell)
    path.parent.mkdir(parents=True)
    for i in range(3):
        path.write_text(f"torn {i}")
        assert store.read(cell) is None
    assert sorted(p.read_text() for p in (path.parent / "corrupt").iterdir()) == ["torn 0", "torn 1", "torn 2"]


def test_write_over_a_corrupt_record_moves_it_aside(tmp_path):
    store = ResultStore(tmp_path)
    cell = make_cell()
    path = store.path(cell)
    path.parent.mkdir(parents=True)
    path.write_text('{"status": "compl')

    record = make_record(cell)
    store.write(record)
    assert store.read(cell) == record
    assert [p.read_text() for p in (path.parent / "corrupt").iterdir()] == ['{"status": "compl']


def test_records_moves_corrupt_files_aside_and_skips_them(tmp_path):
    store = ResultStore(tmp_path)
    good = make_record(make_cell(seed=0))
    store.write(good)
    broken = store.path(make_cell(seed=1))
    broken.write_text("{")
    assert list(store.records()) == [good]
    assert not broken.exists()
    assert len(list((broken.parent / "corrupt").iterdir())) == 1


# --- records() ----------------------------------------------------------------------------


def test_records_lists_only_current_records(tmp_path):
    store = ResultStore(tmp_path)
    cells = [make_cell("cora", 0), make_cell("cora", 1), make_cell("citeseer", 0)]
    current = [make_record(c, test=i) for i, c in enumerate(cells)]

    # A failed record replaced by a complete one: the failed one goes to attempts/.
    store.write(make_record(cells[0], status="failed", error="x"))
    store.write(current[0], replace_failed=True)
    for record in current[1:]:
        store.write(record)

    other = make_record(make_cell("cora", 9))  # valid record JSON placed where no record lives
    cora = tmp_path / "cora"
    (cora / "corrupt").mkdir()
    (cora / "corrupt" / "x.json").write_text(json.dumps(other))
    store.write_manifest("grid one", {"cells": 3})
    (tmp_path / "runs" / "extra.json").write_text(json.dumps(other))
    (tmp_path / "attempts").mkdir()
    (tmp_path / "attempts" / "y.json").write_text(json.dumps(other))
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "z.json").write_text(json.dumps(other))
    lock = store.lock(cells[0])
    assert lock is not None
    (tmp_path / "locks" / "w.json").write_text(json.dumps(other))
    # A write in progress by a live process: a temporary file that happens to end in .json.
    (cora / f"{TEMP_PREFIX}{os.getpid()}-abc.json").write_text(json.dumps(other))
    (cora / f"{TEMP_PREFIX}{os.getpid()}-def").write_text(json.dumps(other))
    try:
        found = list(store.records())
        assert sorted(found, key=lambda r: r["test"]) == current
        assert len(found) == 3
        # A stable order: two listings agree.
        assert list(store.records()) == found
        # Nothing that was skipped was moved or removed.
        assert (cora / f"{TEMP_PREFIX}{os.getpid()}-abc.json").exists()
        assert (cora / "corrupt" / "x.json").exists()
        assert len(list((cora / "attempts").iterdir())) == 1
    finally:
        lock.release()


# --- stale temporaries --------------------------------------------------------------------


def test_opening_a_store_sweeps_temporaries_of_dead_writers_only(tmp_path):
    ResultStore(tmp_path)
    folder = tmp_path / "cora"
    folder.mkdir()
    pid = dead_pid()
    stale = [folder / f"{TEMP_PREFIX}{pid}-k2j3h4", tmp_path / f"{TEMP_PREFIX}{pid}-aaaa", folder / f"{TEMP_PREFIX}{pid}-x.json"]
    live = folder / f"{TEMP_PREFIX}{os.getpid()}-q9w8e7"
    record = folder / "abcdef.json"
    not_a_temp = folder / f"{TEMP_PREFIX}notapid"
    for path in [*stale, live, record, not_a_temp]:
        path.write_text("{}")
    stale_dir = folder / f"{TEMP_PREFIX}{pid}-dir"
    stale_dir.mkdir()
    (stale_dir / "payload").write_text("x")

    ResultStore(tmp_path)

    for path in [*stale, stale_dir]:
        assert not path.exists(), path
    assert live.exists()
    assert record.exists()
    assert not_a_temp.exists()


def test_temporary_file_of_a_live_writer_is_kept(tmp_path):
    folder = tmp_path / "cora"
    folder.mkdir(parents=True)
    live = folder / f"{TEMP_PREFIX}{os.getpid()}-inflight"
    live.write_text("partial")
    ResultStore(tmp_path)
    assert live.read_text() == "partial"


# --- locks --------------------------------------------------------------------------------


def test_lock_is_held_and_refused_to_another_holder(tmp_path):
    store = ResultStore(tmp_path)
    cell, other_cell = make_cell(seed=0), make_cell(seed=1)

    lock = store.lock(cell)
    assert lock is not None and lock.is_locked
    # A second, independent lock object on the same cell cannot take it ...
    rival = FileLock(str(tmp_path / "locks" / f"{cell.id}.lock"))
    with pytest.raises(Timeout):
        rival.acquire(timeout=0)
    # ... a different cell is free ...
    other = store.lock(other_cell)
    assert other is not None
    other.release()
    # ... and once released, the cell can be locked again.
    lock.release()
    again = store.lock(cell)
    assert again is not None
    again.release()


def test_lock_is_none_while_another_filelock_holds_it(tmp_path):
    store = ResultStore(tmp_path)
    cell = make_cell()
    (tmp_path / "locks").mkdir(exist_ok=True)
    holder = FileLock(str(tmp_path / "locks" / f"{cell.id}.lock"))
    holder.acquire()
    try:
        assert store.lock(cell) is None
        assert ResultStore(tmp_path).lock(cell) is None
    finally:
        holder.release()
    lock = store.lock(cell)
    assert lock is not None
    lock.release()


def test_lock_is_none_while_another_process_holds_it(tmp_path):
    store = ResultStore(tmp_path)
    cell = make_cell()
    (tmp_path / "locks").mkdir(exist_ok=True)
    script = textwrap.dedent(
        """
        import sys
        from filelock import FileLock, Timeout
        lock = FileLock(sys.argv[1])
        lock.acquire()
        print("held", flush=True)
        sys.stdin.readline()
        lock.release()
        print("released", flush=True)
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "locks" / f"{cell.id}.lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert store.lock(cell) is None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        lock = store.lock(cell)
        assert lock is not None
        lock.release()
    finally:
        holder.kill()
        holder.wait()
