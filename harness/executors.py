"""The built-in execution back-ends, registered through the executor hook like any plugin's.

Each implements :class:`harness.contracts.Executor`: ``map(function, cells, started)`` calls
``started(cell)`` as each cell is handed over and yields ``(cell, record)`` as cells finish. Ray
or Slurm back-ends plug in the same way.
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context

from harness import Component, Param, hookimpl
from harness.orphans import die_with_parent


class LocalExecutor:
    """Runs the cells one after another in this process."""

    def map(self, function, cells, started):
        for cell in cells:
            started(cell)
            yield cell, function(cell)


class PoolExecutor:
    """Runs the cells in a pool of local worker processes."""

    def __init__(self, workers: int = 0):
        self.workers = workers or max(1, (os.cpu_count() or 2) // 2)

    def map(self, function, cells, started):
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"), initializer=die_with_parent, initargs=(os.getpid(),))
        try:
            pending = {}
            for cell in cells:
                started(cell)
                pending[pool.submit(function, cell)] = cell
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


@hookimpl
def harness_executors():
    return [
        Component(
            kind="executor",
            name="local",
            factory="harness.executors:LocalExecutor",
            doc="Run cells one after another in this process (the default).",
        ),
        Component(
            kind="executor",
            name="pool",
            factory="harness.executors:PoolExecutor",
            doc="Run cells in a pool of local worker processes.",
            params=(Param("workers", "int", 0, "number of worker processes; 0 means half the CPU cores", minimum=0),),
        ),
    ]
