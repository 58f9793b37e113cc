"""Records written where the cell runs, for executors whose workers outlive or never talk back
to the process that drives the grid (a Ray task retried on another node, a Slurm array task
that runs after ``harness run --no-wait`` returned).

An executor says so with a true ``writes_records`` attribute (see
:class:`harness.contracts.Executor`). The runner then hands it a :class:`RecordingCellJob`
instead of the bare per-cell job, and settles what the executor yields with
:func:`settle`:

- the worker holds the cell's lock (in the results folder) while it runs the cell, so that
  ``harness status`` sees it running and a second worker given the cell waits for the first;
- the worker reads the cell's record first: a cell complete when its task starts (a Slurm task
  requeued after it finished, a Ray task retried after its record was written) is not run
  again, its record is returned as it is;
- otherwise it runs the cell and writes the record atomically through the results store (on
  storage every node sees), then returns it;
- the driver holds no cell's lock while the executor runs (it checks that none is held when it
  chooses the cells to run) and writes only what no worker wrote: a failure the executor itself
  reports (the worker was killed more often than the retry limit allows), never over a complete
  record.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.cell import Cell
from harness.record import COMPLETE
from harness.settings import RunSettings


def shared_paths(settings: RunSettings) -> RunSettings:
    """``settings`` with its folders made absolute: a worker on another node, or started in
    another folder, must read and write the same results, cache and data."""
    return replace(
        settings,
        results_dir=str(Path(settings.results_dir).resolve()),
        cache_dir=str(Path(settings.cache_dir).resolve()),
        data_root=str(Path(settings.data_root).resolve()),
    )


class RecordingCellJob:
    """The picklable per-cell callable that runs ``job`` (a :class:`harness.worker.CellJob`
    whose settings hold absolute folders, :func:`shared_paths`) unless the cell is already
    complete, and writes the record where the cell ran."""

    def __init__(self, job):
        self.job = job

    def __call__(self, cell: Cell) -> dict[str, Any]:
        from harness.store import ResultStore

        store = ResultStore(self.job.settings.results_dir)
        # Held while the cell runs: `harness status` shows it running, and a second worker
        # given the same cell (a rerun while this one was queued) waits, then finds it done.
        lock = store.lock(cell, wait=True)
        try:
            if _final(existing := store.read(cell), self.job.settings.isolate):
                return existing
            record = self.job(cell)
            # A failed record here is one the driver chose to run again (--retry-failed), or
            # this task's own from an attempt killed just after writing it.
            store.write(record, replace_failed=True)
            return record
        finally:
            lock.release()


def settle(store, cell: Cell, record: dict[str, Any], isolate: bool) -> dict[str, Any]:
    """The cell's record once the executor has yielded ``record``: the stored one when a worker
    wrote a final record (the executor's own failure report loses to a record a worker managed
    to write before it died); else ``record``, written now."""
    stored = store.read(cell)
    if stored == record or _final(stored, isolate):
        return stored
    store.write(record, replace_failed=True)
    return record


def _final(record: dict[str, Any] | None, isolate: bool) -> bool:
    """Whether ``record`` ends its cell for a run with or without isolation: complete, and not
    a record made without isolation that an isolated run replaces."""
    from harness.store import runs_again

    return record is not None and record.get("status") == COMPLETE and not runs_again(record, isolate)
