"""Every cell a Ray task.

Ray schedules the tasks on the cluster's nodes by the resources each cell asks for, re-runs a
task whose worker process died (up to ``max_retries`` times) and reports a task it gave up on
as a :class:`ray.exceptions.RayError`, which becomes the cell's failed record with Ray's reason.
The workers write the records themselves (``writes_records``, :mod:`harness.worker_records`)
on the results folder every node sees, so a retried task finds a record its earlier attempt
finished and does not run the cell twice.

Without ``address`` the executor starts a Ray instance on this machine for the run and shuts it
down at the end; its keeper process (:mod:`harness_ray.local_cluster`) ends it, every process
of it, when ``harness run`` ends, however it ends. Joining a cluster (``address``), the run is one Ray job:
when the driver goes away, by ``--fail-fast`` or by being killed, Ray cancels the job's tasks
and kills its workers, and the cells not recorded run again on the next ``harness run``.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from harness_ray.local_cluster import LocalCluster

#: The longest folder Ray's own temporary folder may sit in: Ray puts Unix sockets about 85
#: characters below it (``<run folder>/session_<date>_<time>_<usec>_<pid>/sockets/plasma_store``)
#: and a socket path must fit in 107 bytes, which pytest's and CI's temporary folders do not.
_SOCKET_ROOM = 20


class RayExecutor:
    """Runs each cell as a Ray task with ``cpus_per_cell`` CPUs and ``gpus_per_cell`` GPUs."""

    writes_records = True

    def __init__(self, address: str | None = None, cpus_per_cell: float = 1.0, gpus_per_cell: float = 0.0,
                 max_retries: int = 2, workers: int = 0, object_store_mb: int = 0):
        self.address = address
        self.cpus_per_cell = cpus_per_cell
        self.gpus_per_cell = gpus_per_cell
        self.max_retries = max_retries
        self.workers = workers or max(1, (os.cpu_count() or 2) // 2)
        self.object_store_mb = object_store_mb

    @property
    def cell_threads(self) -> int:
        """torch threads per cell: the CPUs Ray reserves for it (at least one)."""
        return max(1, math.floor(self.cpus_per_cell))

    def map(self, function, cells, started):
        import ray

        with self._cluster(ray):
            run = ray.remote(num_cpus=self.cpus_per_cell, num_gpus=self.gpus_per_cell, max_retries=self.max_retries,
                             retry_exceptions=False)(_run_cell)
            pending = {}
            try:
                job = ray.put(function)
                for cell in cells:
                    started(cell)
                    pending[run.remote(job, cell)] = cell
                while pending:
                    done, _ = ray.wait(list(pending), num_returns=1)
                    for ref in done:
                        cell = pending.pop(ref)
                        yield cell, _outcome(ray, ref, cell)
            finally:
                for ref in pending:
                    ray.cancel(ref, force=True)

    @contextmanager
    def _cluster(self, ray):
        """Connected to the cluster at ``address``, or to a Ray instance started on this machine
        for the run (:mod:`harness_ray.local_cluster`); a connection this process already had
        is used as it is."""
        if ray.is_initialized():
            yield
            return
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if self.address:
            ray.init(address=self.address, log_to_driver=False)
            try:
                yield
            finally:
                ray.shutdown()
            return
        # A Ray instance of this run alone: no token written under the home folder.
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        temp_dir = short_temp_dir()
        store = self.object_store_mb * 2**20 if self.object_store_mb else None
        cluster = None
        try:
            cluster = LocalCluster(self.workers, store, temp_dir)
            ray.init(address=cluster.address, log_to_driver=False)
            yield
        finally:
            ray.shutdown()
            if cluster is not None:
                cluster.close()
            shutil.rmtree(temp_dir, ignore_errors=True)


class WorkerStopped(BaseException):
    """Ray is stopping this worker (SIGTERM: the run's driver is gone, or the task was
    cancelled). Not an ``Exception`` nor a ``SystemExit``, so no part of the harness takes it
    for the cell's own failure and records it: the cell is left without a record, to run again."""


def _run_cell(function, cell):
    with _stopped_by_sigterm():
        return function(cell)


@contextmanager
def _stopped_by_sigterm():
    """While the cell runs, Ray's SIGTERM raises :class:`WorkerStopped` (Ray's own handler raises
    ``SystemExit``, which a cell run in this process records as a failure of the cell)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise WorkerStopped("Ray stopped the worker (SIGTERM) while it ran the cell")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _outcome(ray, ref, cell) -> dict:
    """The record the task returned, or a failed record with Ray's reason when it gave up."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as error:
        from harness.record import FAILED, Record

        reason = " ".join(str(error).split())[:2000]
        record = Record.begin(cell).update(status=FAILED, error=f"Ray gave up on the cell's task: {type(error).__name__}: {reason}")
        return record.to_dict()


def short_temp_dir() -> str:
    """A folder for Ray's temporary files whose path leaves room for Ray's socket paths: under
    the temporary folder when that is short, else under ``/tmp``."""
    base = Path(tempfile.gettempdir())
    if len(str(base)) > _SOCKET_ROOM:
        base = Path("/tmp")
    return tempfile.mkdtemp(prefix="hray-", dir=base)
