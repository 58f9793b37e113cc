"""Running a grid: preflight checks, skipping complete cells, executing the rest, writing one
record per cell.

Keep-going by default: a failing cell is recorded and the grid goes on (``fail_fast`` stops at
the first failure). Complete records are never run again; failed ones only with
``retry_failed``. A record file that fails the store's checks (unparseable, not a record,
foreign, a non-finite score) is quarantined with a warning, listed in the run's manifest, and its
cell runs again. A cell that another process is running (its lock is held) is left to it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from typing import TextIO

from harness.atomic import write_json_atomic
from harness.cache import quarantined_entries
from harness.cell import AXES, Split
from harness.grid import Grid
from harness.registry import Registry
from harness.settings import RunSettings
from harness.store import COMPLETE, FAILED_STATUSES, ResultStore, runs_again


class PreflightError(Exception):
    """A dataset of the grid cannot be used here (missing files, ...); nothing was run."""


@dataclass
class RunSummary:
    ran: int = 0
    complete: int = 0
    failed: int = 0
    skipped_complete: int = 0
    skipped_failed: int = 0
    skipped_locked: int = 0
    #: complete cells run again because their record was made without isolation
    rerun_unisolated: int = 0
    #: cells handed to an executor that queues them and returns (``--no-wait``): their workers record them
    submitted: int = 0
    dropped: int = 0
    datasets: set[str] = field(default_factory=set)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def preflight(grid: Grid, registry: Registry, settings: RunSettings) -> None:
    """Run the cheap availability check of every dataset the grid uses, once each: the cells'
    datasets (with ``split_choice``, its index left out, under a non-fixed split, so that a
    dataset can refuse a protocol its parameters rule out) and the datasets their parameters
    reference. Raise listing every problem."""
    problems: list[str] = []
    seen: set[str] = set()
    for name, arguments, via in _datasets_used(grid, registry):
        key = repr((name, sorted(arguments.items())))
        if key in seen:
            continue
        seen.add(key)
        check = registry.get("dataset", name).load_preflight()
        if check is not None:
            problems += [f"dataset {name!r}{via}: {message}" for message in check(name, settings.data_root, arguments)]
    if problems:
        raise PreflightError("\n".join(problems))


def _datasets_used(grid: Grid, registry: Registry):
    """(name, factory arguments, how it is used) of each cell's dataset and of every dataset a
    cell's component parameters reference."""
    for cell in grid.cells:
        arguments = cell.dataset.arguments()
        if not cell.split.fixed:
            # the protocol (not the fold or seed, so that one check serves every cell)
            arguments["split_choice"] = Split(cell.split.protocol, None, cell.split.count)
        yield cell.dataset.name, arguments, ""
        for axis in AXES:
            ref = getattr(cell, axis)
            arguments = ref.arguments()
            for param in registry.get(axis, ref.name).references():
                value = arguments.get(param.name)
                for reference in value if isinstance(value, list) else [value] if value else []:
                    via = f" (referenced by {axis} {ref.name!r}, parameter {param.name!r})"
                    yield reference["name"], {**reference["params"], **reference.get("options", {})}, via


def run_grid(
    grid: Grid,
    settings: RunSettings,
    plugins,
    registry: Registry,
    executor,
    retry_failed: bool = False,
    fail_fast: bool = False,
    out: TextIO = sys.stdout,
) -> RunSummary:
    from harness.worker import CellJob, use_plugins
    from harness.worker_records import RecordingCellJob, settle, shared_paths

    summary = RunSummary(dropped=len(grid.dropped))
    store = ResultStore(settings.results_dir)
    for dropped in grid.dropped:
        print(dropped, file=out)

    todo, locks = [], {}
    for cell in grid.cells:
        existing = store.read(cell)
        status = existing.get("status") if existing else None
        if runs_again(existing, settings.isolate):
            summary.rerun_unisolated += 1
        elif status == COMPLETE:
            summary.skipped_complete += 1
            summary.datasets.add(cell.dataset.name)
            continue
        if status in FAILED_STATUSES and not retry_failed:
            summary.skipped_failed += 1
            continue
        lock = store.lock(cell)
        if lock is None:
            summary.skipped_locked += 1
            print(f"skip {cell.describe()}: another process is running it", file=out)
            continue
        locks[cell.id] = lock
        todo.append(cell)
    _report_skips(summary, out)
    manifest = _manifest(grid, settings, todo, store.quarantined)
    manifest_path = store.write_manifest(grid.name, manifest)
    cache_before = {item["moved_to"] for item in quarantined_entries(settings.cache_dir)}

    use_plugins(plugins, registry, tuple(settings.plugin_files))
    plugins.grid_started(grid, todo)
    job = CellJob(replace(settings, warm_modules=component_modules(todo, registry)))
    workers_write = bool(getattr(executor, "writes_records", False))
    if workers_write:  # each worker holds its cell's lock while it runs it
        job = RecordingCellJob(CellJob(shared_paths(job.settings)))
        for lock in locks.values():
            lock.release()
        locks = {}
    try:
        # Exactly as harness.contracts.Executor declares it: three positional arguments.
        for cell, record in executor.map(job, todo, plugins.run_started):
            if workers_write:
                record = settle(store, cell, record, settings.isolate)
            else:
                store.write(record, replace_failed=retry_failed)
                locks.pop(cell.id).release()
            plugins.run_finished(cell, record)
            summary.ran += 1
            summary.datasets.add(cell.dataset.name)
            if record["status"] == COMPLETE:
                summary.complete += 1
            else:
                summary.failed += 1
                if fail_fast:
                    print(f"stopping at the first failure (--fail-fast): {cell.describe()}", file=out)
                    break
        if getattr(executor, "wait", True) is False:
            summary.submitted = len(todo) - summary.ran
    finally:
        for lock in locks.values():
            lock.release()
        found = [item for item in quarantined_entries(settings.cache_dir) if item.get("moved_to") not in cache_before]
        if found:  # cache entries the cells set aside (each reported on stderr by the cell's process)
            manifest["quarantined"] += [{**item, "kind": "cache entry"} for item in found]
            write_json_atomic(manifest_path, manifest)
    return summary


def component_modules(cells, registry: Registry) -> tuple[str, ...]:
    """The modules of the factories the cells use and those their datasets' metrics import
    (for the fork server to import once)."""
    from harness.metrics import Metrics

    modules = {registry.get(axis, getattr(cell, axis).name).factory.split(":")[0] for cell in cells for axis in AXES}
    metrics = Metrics(registry)
    for name in {cell.dataset.name for cell in cells}:
        modules |= metrics.imports(registry.get("dataset", name))
    return tuple(sorted(modules))


def _report_skips(summary: RunSummary, out: TextIO) -> None:
    if summary.skipped_complete:
        print(f"skipping {summary.skipped_complete} cell(s) with a complete record (no training)", file=out)
    if summary.rerun_unisolated:
        print(f"running {summary.rerun_unisolated} complete cell(s) again: their records were made without isolation (--no-isolate, or before"
              " it was the default), so their methods shared a process with the test labels; the old records go to attempts/", file=out)
    if summary.skipped_failed:
        print(f"skipping {summary.skipped_failed} cell(s) that failed before; re-run them with --retry-failed", file=out)


def _manifest(grid: Grid, settings: RunSettings, todo, quarantined=()) -> dict:
    """What the run was asked and will do; ``quarantined``: the record files found bad while
    deciding what to skip (each was reported on stderr, moved to ``corrupt/`` and its cell
    runs again). The runner adds the cache entries its cells quarantine when they are done."""
    return {
        "grid": grid.path,
        "name": grid.name,
        "settings": {"data_root": settings.data_root, "timeout": settings.timeout, "isolate": settings.isolate},
        "cells": [cell.id for cell in grid.cells],
        "to_run": [cell.id for cell in todo],
        "dropped": [{"combination": d.combination, "reason": d.reason} for d in grid.dropped],
        "quarantined": [{**item.to_dict(), "kind": "record"} for item in quarantined],
    }
