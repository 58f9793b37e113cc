"""``harness run --dry-run``: what a run would do, without running, fetching or writing anything.

Each cell is listed with what a run would do with it (run it, or skip it for the record it
already has), and the dropped combinations are summarised by reason, with a count and the first
few combinations of each reason.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import TextIO

from harness.download import OFFLINE_ENV
from harness.grid import Grid
from harness.store import COMPLETE, FAILED_STATUSES, peek_record, runs_again

EXAMPLES_PER_REASON = 3


def _plan(record, retry_failed: bool, isolate: bool) -> str:
    status = record.status if record is not None else None
    if record is not None and runs_again(record.to_dict(), isolate):
        return "run again (complete, but made without isolation)"
    if status == COMPLETE:
        return "skip (complete record)"
    if status in FAILED_STATUSES:
        return f"run again ({status} before)" if retry_failed else f"skip ({status} before; --retry-failed runs it)"
    return "run"


def print_plan(grid: Grid, results_dir: str, retry_failed: bool, out: TextIO, isolate: bool = True) -> None:
    plans = defaultdict(int)
    print(f"grid {grid.name}: {len(grid.cells)} cell(s), {len(grid.dropped)} combination(s) dropped (dry run: nothing runs)", file=out)
    for cell in grid.cells:
        plan = _plan(peek_record(results_dir, cell), retry_failed, isolate)
        plans[plan.split(" (")[0]] += 1
        print(f"  {cell.id}  {cell.describe()}: {plan}", file=out)
    by_reason = defaultdict(list)
    for dropped in grid.dropped:
        by_reason[dropped.reason].append(" / ".join(dropped.combination.values()))
    for reason, combinations in sorted(by_reason.items(), key=lambda item: -len(item[1])):
        shown = "; ".join(combinations[:EXAMPLES_PER_REASON])
        more = f"; and {len(combinations) - EXAMPLES_PER_REASON} more" if len(combinations) > EXAMPLES_PER_REASON else ""
        print(f"dropped {len(combinations)} combination(s): {reason} ({shown}{more})", file=out)
    print("would " + ", ".join(f"{verb} {count}" for verb, count in sorted(plans.items())) if plans else "no cell to run", file=out)


def print_preflight(grid: Grid, registry, settings, out: TextIO) -> None:
    """The datasets' availability checks, with downloads switched off: a dry run fetches
    nothing, so a dataset with ``download: true`` reports what a run would fetch first."""
    from harness.runner import PreflightError, preflight

    saved = os.environ.get(OFFLINE_ENV)
    os.environ[OFFLINE_ENV] = "1"
    try:
        preflight(grid, registry, settings)
        print("preflight: every dataset is available", file=out)
    except PreflightError as error:
        print(f"preflight: a run would stop here unless these are fixed (or fetched with download: true):\n{error}", file=out)
    finally:
        if saved is None:
            del os.environ[OFFLINE_ENV]
        else:
            os.environ[OFFLINE_ENV] = saved
