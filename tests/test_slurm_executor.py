"""The slurm executor: the job script submitit writes for a grid (checked against an expected
file, submitted to a stand-in ``sbatch``), and real runs through submitit's LocalExecutor:
submit, run in other processes, record once, resume, ``--no-wait`` with ``harness status``, and
a requeued cell that finished is not run twice; a cell whose job gets Slurm's requeue signal
(sent to the local job as Slurm would) is requeued, and given up after ``max_requeues``
time-outs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytest.importorskip("submitit", reason="the slurm executor's tests need submitit (installed by tools/setup.sh)")

from harness.settings import RunSettings  # noqa: E402
from helpers.processes import descendants  # noqa: E402
from harness.worker_records import RecordingCellJob, shared_paths  # noqa: E402
from harness_slurm.executor import CheckpointedCell  # noqa: E402
from test_store import make_cell, make_record  # noqa: E402

BEHAVIOUR = Path(__file__).parent / "helpers" / "behaviour_plugin.py"
EXPECTED_SCRIPT = Path(__file__).parent / "expected" / "slurm_job_array.sh"
LOCAL = ["--executor", "slurm", "--executor-option", "cluster=local", "--executor-option", "poll_s=0.3"]
#: a stand-in for Slurm's sbatch: keeps the job script it was given, answers as sbatch does
FAKE_SBATCH = """#!/bin/sh
cp "$1" "$SBATCH_KEEP"
echo "Submitted batch job 4242"
"""


def _grid(tmp_path: Path, seeds: int, seconds: float = 0.0) -> Path:
    grid = {
        "seeds": list(range(seeds)),
        "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
        "backbones": ["mlp"],
        "methods": [{"name": "misbehave", "params": {"mode": "nap", "seconds": seconds}}],
    }
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(grid))
    return path


def _harness(tmp_path: Path, *arguments: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "harness", *arguments, "--plugin", str(BEHAVIOUR)]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)


def _run(tmp_path: Path, seeds: int, *options: str, seconds: float = 0.0, env: dict | None = None) -> subprocess.CompletedProcess:
    return _harness(tmp_path, "run", "--grid", str(_grid(tmp_path, seeds, seconds)), "--results-dir", "results", "--cache-dir", "cache",
                    "--leaderboard-dir", "boards", *options, env=env)


def _records(tmp_path: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*/*.json") if p.parent.name != "runs"]


def _status(tmp_path: Path) -> dict[str, int]:
    done = _harness(tmp_path, "status", "--grid", "grid.yaml", "--results-dir", "results")
    assert done.returncode == 0, done.stdout + done.stderr
    return {line.split()[0]: int(line.split()[1]) for line in done.stdout.splitlines()[1:]}


def test_the_job_script_names_the_partition_array_resources_and_command(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("sbatch", FAKE_SBATCH), ("srun", "#!/bin/sh\nexit 1\n")):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    kept = tmp_path / "submitted.sh"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "SBATCH_KEEP": str(kept)}
    options = ["partition=gpu", "time_min=90", "mem_gb=16", "cpus_per_cell=4", "gpus_per_cell=1", "array_parallelism=2",
               "sbatch_options=[account=lab, qos=high]", "setup=[source .venv/bin/activate]", "folder=jobs"]
    done = _run(tmp_path, 3, "--executor", "slurm", "--no-wait", *[a for o in options for a in ("--executor-option", o)], env=env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "submitted 3 cell(s) as Slurm job array 4242" in done.stdout
    assert "3 cell(s) submitted, not waited for (--no-wait)" in done.stdout
    expected = EXPECTED_SCRIPT.read_text().format(jobs=tmp_path / "jobs", python=sys.executable)
    assert kept.read_text() == expected
    assert _status(tmp_path) == {"complete": 0, "failed": 0, "running": 0, "pending": 3}


def test_cells_run_in_other_processes_are_recorded_once_and_a_rerun_runs_none_again(tmp_path):
    done = _run(tmp_path, 3, *LOCAL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[3/3] complete" in done.stderr, "the usual progress display"
    records = _records(tmp_path)
    assert sorted(r["seed"] for r in records) == [0, 1, 2]
    assert all(r["status"] == "complete" and r["isolated"] for r in records)

    rerun = _run(tmp_path, 3, *LOCAL)
    assert rerun.returncode == 0
    assert "skipping 3 cell(s) with a complete record" in rerun.stdout
    assert len(_records(tmp_path)) == 3


def test_no_wait_returns_at_once_and_status_follows_the_cells_to_complete(tmp_path):
    # Output to a file: the submitted processes inherit it, and a pipe would be read to its end.
    with open(tmp_path / "out.txt", "w") as out:
        command = [sys.executable, "-m", "harness", "run", "--grid", str(_grid(tmp_path, 2, 3.0)), "--plugin", str(BEHAVIOUR),
                   "--results-dir", "results", "--cache-dir", "cache", *LOCAL, "--no-wait"]
        assert subprocess.run(command, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, timeout=120).returncode == 0
    assert "2 cell(s) submitted, not waited for" in (tmp_path / "out.txt").read_text()
    seen = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        counts = _status(tmp_path)
        seen |= {state for state in ("running", "pending") if counts[state]}
        if counts["complete"] == 2:
            break
        time.sleep(0.3)
    assert counts == {"complete": 2, "failed": 0, "running": 0, "pending": 0}
    assert "running" in seen, "status showed the cells running while they napped"
    assert len(_records(tmp_path)) == 2


def test_a_failing_cell_is_recorded_failed_by_its_worker(tmp_path):
    grid = {"seeds": [0], "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}], "backbones": ["mlp"],
            "methods": [{"name": "misbehave", "params": {"mode": "raise"}}]}
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(grid))
    done = _harness(tmp_path, "run", "--grid", "grid.yaml", "--results-dir", "results", "--cache-dir", "cache", "--leaderboard-dir", "boards", *LOCAL)
    assert done.returncode == 1, done.stdout + done.stderr
    [record] = _records(tmp_path)
    assert record["status"] == "failed" and "misbehaving on purpose" in record["error"]
    assert _status(tmp_path)["failed"] == 1


class _CountingJob:
    def __init__(self, settings, record):
        self.settings, self.record, self.calls = settings, record, 0

    def __call__(self, cell):
        self.calls += 1
        return self.record


def test_a_cell_requeued_after_it_finished_is_not_run_twice(tmp_path):
    cell = make_cell()
    settings = shared_paths(RunSettings(results_dir=str(tmp_path / "results"), cache_dir=str(tmp_path / "cache"), data_root=str(tmp_path)))
    counting = _CountingJob(settings, make_record(cell, isolated=True))
    job = CheckpointedCell(RecordingCellJob(counting))

    first = job(cell)
    requeued = job.checkpoint(cell)  # what submitit submits again when Slurm preempts the job
    assert requeued.result() == first
    assert counting.calls == 1


def test_a_malformed_sbatch_option_is_refused_before_anything_runs(tmp_path):
    done = _run(tmp_path, 1, *LOCAL, "--executor-option", "sbatch_options=[account]")
    assert done.returncode == 2
    assert "sbatch option 'account' is not KEY=VALUE" in done.stderr
    assert not (tmp_path / "results").exists()


def test_a_machine_without_slurm_is_told_so_and_shown_the_local_cluster(tmp_path):
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    done = _run(tmp_path, 1, "--executor", "slurm", env=env)
    assert done.returncode == 2
    assert "sbatch and srun are not both on PATH" in done.stderr and "cluster=local" in done.stderr
    assert not (tmp_path / "results").exists()


def _announce_grid(tmp_path: Path, seconds: float) -> Path:
    """One cell whose method leaves a file named by its process id in ``announced/``, then naps."""
    (tmp_path / "announced").mkdir()
    grid = {"seeds": [0], "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}], "backbones": ["mlp"],
            "methods": [{"name": "misbehave", "params": {"mode": "announce", "seconds": seconds, "flag_file": str(tmp_path / "announced")}}]}
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(grid))
    return path


def _signal_the_cell_once_running(tmp_path: Path, harness: subprocess.Popen, attempt: int) -> None:
    """Once the cell's ``attempt``-th run has started, send submitit's requeue signal (USR2) to the
    job's task process, as Slurm does to a job it preempts or that nears its time limit."""
    deadline = time.monotonic() + 120
    while len(list((tmp_path / "announced").iterdir())) < attempt:
        assert harness.poll() is None and time.monotonic() < deadline, "the cell never started"
        time.sleep(0.05)
    [task] = [pid for pid in descendants(harness.pid) if b"submitit.core._submit" in _cmdline(pid)]
    os.kill(task, signal.SIGUSR2)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _run_signalled(tmp_path: Path, signals: int, *options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "harness", "run", "--grid", str(_announce_grid(tmp_path, 5.0)), "--plugin", str(BEHAVIOUR),
               "--results-dir", "results", "--cache-dir", "cache", "--leaderboard-dir", "boards", *LOCAL, *options]
    harness = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for attempt in range(1, signals + 1):
            _signal_the_cell_once_running(tmp_path, harness, attempt)
        output = harness.communicate(timeout=180)[0]
    finally:
        harness.kill()
    return subprocess.CompletedProcess(command, harness.returncode, output, "")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("isolate", [True, False], ids=["isolated", "no-isolate"])
def test_a_preempted_cell_is_requeued_and_recorded_once_when_it_completes(tmp_path, isolate):
    done = _run_signalled(tmp_path, 1, *([] if isolate else ["--no-isolate"]))
    assert done.returncode == 0, done.stdout
    [record] = _records(tmp_path)
    assert record["status"] == "complete" and record["isolated"] is isolate
    assert len(list((tmp_path / "announced").iterdir())) == 2, "stopped once, then run again to the end"
    logs = "".join(path.read_text(errors="replace") for path in (tmp_path / "slurm-jobs").rglob("*.err"))
    assert "this job is preempted" in logs


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_cell_out_of_time_more_often_than_max_requeues_is_recorded_failed(tmp_path):
    # A one-minute limit: submitit takes any requeue signal for the time-out it warns of.
    done = _run_signalled(tmp_path, 2, "--executor-option", "time_min=1", "--executor-option", "max_requeues=1")
    assert done.returncode == 1, done.stdout
    [record] = _records(tmp_path)
    assert record["status"] == "failed" and "timed-out too many times" in record["error"], record["error"]
    assert len(list((tmp_path / "announced").iterdir())) == 2, "requeued once, then given up"
