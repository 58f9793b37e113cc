"""The grid's cells as one Slurm job array, through submitit.

submitit writes the job script (partition, time, memory, CPUs and GPUs per cell, the array with
its concurrency limit ``%N``, extra sbatch options), pickles the per-cell job and each cell
into ``folder``, submits with ``sbatch`` and reads the jobs' states and results. The workers
write the records themselves (``writes_records``, :mod:`harness.worker_records`) on the results
folder every node sees, so the driver may wait and show progress or return at once
(``wait=False``, ``harness run --no-wait``; ``harness status`` shows the cells' progress).

Preemption and time-outs: the job is :class:`CheckpointedCell`, whose ``checkpoint`` asks
submitit to requeue the same cell when Slurm signals the job before it ends; submitit requeues
a preempted job every time and one that ran out of time up to ``max_requeues`` times, then
gives up (the cell's failed record says so). The signal stops the cell first, unrecorded
(isolated parts are killed), with or without isolation. A requeued task whose cell was recorded
complete meanwhile returns that record without running it again.

``cluster="local"`` hands the array to submitit's LocalExecutor instead: each cell a process on
this machine, started from the same pickles by the same ``submitit`` entry point, so the whole
path (submit, run elsewhere, record, resume) runs without a cluster. Those processes end with
the ``harness run`` that waits for them, as a local pool's do (submitted with ``wait=False``,
they run on). On Slurm, jobs outlive the submitting process by design, and a rerun skips cells
whose worker still holds their lock.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import submitit
from submitit.helpers import DelayedSubmission

from harness.orphans import alive


class CheckpointedCell:
    """The per-cell job submitit runs: ``job(cell)``; requeued as it is when preempted."""

    def __init__(self, job, driver_pid: int | None = None):
        self.job = job
        #: for local runs: the ``harness run`` whose death ends this cell's process
        self.driver_pid = driver_pid

    def __call__(self, cell):
        if self.driver_pid is not None:
            _end_with(self.driver_pid)
        with _requeue_signal_stops_the_cell():
            return self.job(cell)

    def checkpoint(self, cell) -> DelayedSubmission:
        # Nothing to save: a cell restarts from its beginning (its cached stages are reused).
        return DelayedSubmission(CheckpointedCell(self.job, self.driver_pid), cell)


class _Signalled(BaseException):
    """Slurm signalled the job (preempted, or near its time limit) while the cell ran. Not an
    ``Exception`` nor a ``SystemExit``, so no part of the harness takes it for the cell's own
    failure: the cell stops unrecorded, and its job is requeued."""

    def __init__(self, signum: int):
        super().__init__(f"the cell's job was signalled ({signal.Signals(signum).name}): preempted or out of time")


@contextmanager
def _requeue_signal_stops_the_cell():
    """While the cell runs, submitit's requeue signal (USR2 unless ``SUBMITIT_PREEMPT_SIGNAL``
    says otherwise) raises :class:`_Signalled` instead of running submitit's handler in the middle
    of the cell: that handler ends the process with ``sys.exit``, which a cell run without
    isolation would record as its failure. Once the cell has unwound, submitit's handler runs:
    it checkpoints and requeues the job, or gives up, and ends the process."""
    signum = getattr(signal, "SIG" + submitit.JobEnvironment.USR_SIG, None)
    handler = signal.getsignal(signum) if signum is not None else None
    if not callable(handler) or threading.current_thread() is not threading.main_thread():
        yield  # not a submitit job: no handler to defer
        return

    def stop(signum, frame):
        raise _Signalled(signum)

    signal.signal(signum, stop)
    try:
        yield
    except _Signalled:
        signal.signal(signum, handler)
        handler(signum, None)
        raise
    finally:
        signal.signal(signum, handler)


class SlurmExecutor:
    """Submits cells as a job array; yields their records as the jobs finish (``wait``)."""

    writes_records = True

    def __init__(self, partition: str | None = None, time_min: int = 60, mem_gb: float | None = None, cpus_per_cell: int = 1,
                 gpus_per_cell: int = 0, array_parallelism: int = 16, sbatch_options: list[str] | None = None,
                 setup: list[str] | None = None, max_requeues: int = 3, folder: str = "slurm-jobs", wait: bool = True,
                 poll_s: float = 10.0, cluster: str = "slurm"):
        self.partition = partition
        self.time_min = time_min
        self.mem_gb = mem_gb
        self.cpus_per_cell = cpus_per_cell
        self.gpus_per_cell = gpus_per_cell
        self.array_parallelism = array_parallelism
        self.sbatch_options = sbatch_options_dict(sbatch_options or [])
        self.setup = list(setup or [])
        self.max_requeues = max_requeues
        self.folder = str(Path(folder).resolve())
        self.wait = wait
        self.poll_s = poll_s
        self.cluster = cluster
        if cluster == "slurm" and not (shutil.which("sbatch") and shutil.which("srun")):
            raise ValueError("sbatch and srun are not both on PATH: this machine cannot submit to Slurm"
                             " (cluster=local runs the cells as processes on this machine through submitit)")

    @property
    def cell_threads(self) -> int:
        """torch threads per cell: the CPUs Slurm allocates to it."""
        return self.cpus_per_cell

    def map(self, function, cells, started):
        cells = list(cells)
        if not cells:
            return
        submitter = self.submitter()
        if self.cluster == "local" and self.wait:
            # Local processes end with the run that waits for them; array_parallelism at a time,
            # as Slurm's %N would run them.
            yield from self._watch(submitter, CheckpointedCell(function, os.getpid()), cells, started)
            return
        jobs = submitter.map_array(CheckpointedCell(function), cells)
        for cell in cells:
            started(cell)
        if not self.wait:
            where = "local processes" if self.cluster == "local" else f"Slurm job array {jobs[0].job_id.split('_')[0]}"
            print(f"submitted {len(cells)} cell(s) as {where}; job files under {self.folder}")
            return
        yield from self._watch(submitter, None, [], started, dict(zip(jobs, cells)))

    def _watch(self, submitter, job, queue, started, pending=None):
        """Yield each cell's record as its job finishes; submit the cells of ``queue`` one by
        one (``job``) as fewer than ``array_parallelism`` jobs run."""
        pending, queue = dict(pending or {}), list(queue)
        try:
            while pending or queue:
                while queue and len(pending) < self.array_parallelism:
                    cell = queue.pop(0)
                    started(cell)
                    pending[submitter.submit(job, cell)] = cell
                finished = [job for job in pending if job.done()]
                for done in finished:
                    cell = pending.pop(done)
                    yield cell, _outcome(done, cell)
                if pending and not finished:
                    time.sleep(self.poll_s)
        finally:
            for left in pending:  # --fail-fast or an interrupted driver: cancel what is left
                left.cancel(check=False)

    def submitter(self) -> submitit.Executor:
        """The submitit executor with this executor's parameters."""
        if self.cluster == "local":
            submitter = submitit.LocalExecutor(folder=self.folder, max_num_timeout=self.max_requeues)
            submitter.update_parameters(timeout_min=self.time_min, gpus_per_node=self.gpus_per_cell, setup=self.setup)
            return submitter
        submitter = submitit.SlurmExecutor(folder=self.folder, max_num_timeout=self.max_requeues)
        parameters = {
            "job_name": "harness",
            "time": self.time_min,
            "cpus_per_task": self.cpus_per_cell,
            "ntasks_per_node": 1,
            "nodes": 1,
            "array_parallelism": self.array_parallelism,
            "setup": self.setup,
            "additional_parameters": self.sbatch_options,
        }
        if self.partition:
            parameters["partition"] = self.partition
        if self.mem_gb:
            parameters["mem"] = _memory(self.mem_gb)
        if self.gpus_per_cell:
            parameters["gpus_per_node"] = self.gpus_per_cell
        submitter.update_parameters(**parameters)
        return submitter


def _outcome(job, cell) -> dict:
    """The record the job returned, or a failed record with submitit's reason."""
    try:
        return job.result()
    except Exception as error:  # noqa: BLE001 - any failure of the job is the cell's failure
        from harness.record import FAILED, Record

        reason = " ".join(str(error).split())[-2000:]
        record = Record.begin(cell).update(status=FAILED, error=f"the cell's job {job.job_id} failed: {type(error).__name__}: {reason}")
        return record.to_dict()


def sbatch_options_dict(options: list[str]) -> dict[str, str]:
    """``["account=abc", "qos=high"]`` as submitit's additional sbatch parameters."""
    found = {}
    for option in options:
        key, equals, value = option.partition("=")
        if not equals or not key.strip():
            raise ValueError(f"sbatch option {option!r} is not KEY=VALUE (account=abc, qos=high, constraint=a100)")
        found[key.strip().lstrip("-")] = value.strip()
    return found


def _memory(gigabytes: float) -> str:
    return f"{int(gigabytes)}G" if gigabytes == int(gigabytes) else f"{int(gigabytes * 1024)}M"


def _end_with(driver_pid: int) -> None:
    """End this process (and, by the parent-death signal, the cell's own processes) as soon as
    the ``harness run`` ``driver_pid`` is gone."""

    def watch():
        while alive(driver_pid):
            time.sleep(0.2)
        # The parent is submitit's local job controller, started by the driver: it goes too.
        os.kill(os.getppid(), signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-driver", daemon=True).start()

