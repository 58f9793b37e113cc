"""The ray executor on a Ray instance of two CPUs on this machine: cells run as Ray tasks,
records are written once, a worker killed mid-cell (by its process id) is retried up to the
limit and then recorded as failed, torch threads follow the CPUs per cell, and a driver killed
mid-grid leaves a cluster it joined with no task of its grid."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml

from helpers.processes import alive
from helpers.ray_processes import ray_environment, ray_worker_of

pytest.importorskip("ray", reason="the ray executor's tests need Ray (installed by tools/setup.sh)")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="processes are found through /proc")]

BEHAVIOUR = Path(__file__).parent / "helpers" / "behaviour_plugin.py"
CLUSTER = Path(__file__).parent / "helpers" / "ray_cluster.py"
#: the smallest object store Ray accepts is 75 MiB
#: how long each cell of the driver-kill grid naps: it is still running when the driver is killed
NAP_S = 6.0
SMALL_STORE = ["--executor-option", "object_store_mb=80", "--executor-option", "workers=2"]


def _grid(tmp_path: Path, seeds: int, seconds: float) -> Path:
    announce = tmp_path / "announce"
    announce.mkdir(exist_ok=True)
    grid = {
        "seeds": list(range(seeds)),
        "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
        "backbones": ["mlp"],
        "methods": [{"name": "misbehave", "params": {"mode": "announce", "flag_file": str(announce), "seconds": seconds}}],
    }
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(grid))
    return path


def _command(tmp_path: Path, seeds: int, seconds: float, *options: str) -> list[str]:
    return [sys.executable, "-m", "harness", "run", "--grid", str(_grid(tmp_path, seeds, seconds)), "--plugin", str(BEHAVIOUR),
            "--results-dir", "results", "--cache-dir", "cache", "--leaderboard-dir", "boards", "--executor", "ray", *options]


def _records(tmp_path: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*/*.json") if p.parent.name != "runs"]


def _announced(tmp_path: Path) -> list[Path]:
    return sorted((p for p in (tmp_path / "announce").iterdir() if not p.name.startswith(".")), key=lambda p: p.stat().st_mtime_ns)


class WorkerKiller(threading.Thread):
    """SIGKILLs the Ray worker of each cell process that announces itself, for the first
    ``kills`` announcements."""

    def __init__(self, tmp_path: Path, kills: int):
        super().__init__(daemon=True)
        self.tmp_path, self.kills = tmp_path, kills
        self.killed: list[int] = []
        self.done = threading.Event()

    def run(self):
        seen = set()
        while not self.done.is_set():
            for path in _announced(self.tmp_path):
                if path.name in seen or len(self.killed) >= self.kills:
                    continue
                seen.add(path.name)
                worker = ray_worker_of(int(path.name))
                assert worker is not None, f"cell process {path.name} runs in no Ray worker"
                os.kill(worker, signal.SIGKILL)
                self.killed.append(worker)
            time.sleep(0.05)


@pytest.fixture
def ray_env():
    """The test's Ray environment, its temporary folder short and its own (pytest's per-test
    folders are too deep for the Unix sockets made in it)."""
    folder = Path(tempfile.mkdtemp(prefix="rayt-", dir="/tmp"))
    yield ray_environment(folder)
    shutil.rmtree(folder, ignore_errors=True)


def _run_with_killer(tmp_path: Path, command: list[str], kills: int, env: dict) -> tuple[subprocess.CompletedProcess, WorkerKiller]:
    killer = WorkerKiller(tmp_path, kills)
    killer.start()
    try:
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    finally:
        killer.done.set()
        killer.join()
    return done, killer


def test_a_worker_killed_mid_cell_is_retried_and_every_cell_is_recorded_once(tmp_path, ray_env):
    done, killer = _run_with_killer(tmp_path, _command(tmp_path, 2, 3.0, *SMALL_STORE, "--executor-option", "max_retries=2"), 1, ray_env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(killer.killed) == 1
    records = _records(tmp_path)
    assert sorted(r["seed"] for r in records) == [0, 1]
    assert all(r["status"] == "complete" and r["isolated"] for r in records)
    assert len(_announced(tmp_path)) == 3, "the killed cell ran once more, the other once"
    leftovers = [p for p in (tmp_path / "results").rglob("*") if p.name.startswith(".tmp-") or p.parent.name in ("corrupt", "attempts")]
    assert not leftovers


def test_a_cell_whose_worker_is_killed_past_the_retry_limit_gets_a_failed_record_with_the_reason(tmp_path, ray_env):
    done, killer = _run_with_killer(tmp_path, _command(tmp_path, 1, 30.0, *SMALL_STORE, "--executor-option", "max_retries=1"), 2, ray_env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(killer.killed) == 2, "the first attempt and its one retry"
    [record] = _records(tmp_path)
    assert record["status"] == "failed"
    assert "Ray gave up on the cell's task" in record["error"] and "died" in record["error"].lower()

    rerun = subprocess.run(_command(tmp_path, 1, 30.0, *SMALL_STORE), cwd=tmp_path, env=ray_env, capture_output=True, text=True, timeout=300)
    assert "skipping 1 cell(s) that failed before" in rerun.stdout, rerun.stdout + rerun.stderr


def test_torch_threads_follow_the_cpus_per_cell(tmp_path, ray_env):
    command = _command(tmp_path, 1, 0.0, *SMALL_STORE, "--executor-option", "cpus_per_cell=2")
    done = subprocess.run(command, cwd=tmp_path, env=ray_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 torch thread(s) per cell (the CPUs the executor reserves per cell)" in done.stdout
    [announcement] = _announced(tmp_path)
    assert announcement.read_text() == "2"


def test_an_unknown_executor_option_is_refused_naming_the_valid_ones(tmp_path, ray_env):
    done = subprocess.run(_command(tmp_path, 1, 0.0, "--executor-option", "max_retry=3"), cwd=tmp_path, env=ray_env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "has no parameter 'max_retry'" in done.stderr and "did you mean 'max_retries'" in done.stderr
    assert not (tmp_path / "results").exists() or not _records(tmp_path)


def test_a_driver_killed_mid_grid_leaves_the_cluster_it_joined_idle_and_a_rerun_finishes(tmp_path, ray_env):
    env = ray_env
    cluster = subprocess.Popen([sys.executable, str(CLUSTER)], cwd=tmp_path, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        address = cluster.stdout.readline().strip()
        assert address, "the cluster did not start"
        command = _command(tmp_path, 4, NAP_S, "--address", address)
        driver = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while len(_announced(tmp_path)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        cells = [int(p.name) for p in _announced(tmp_path)]
        assert len(cells) == 2, "two cells were running when the driver was killed"
        driver.send_signal(signal.SIGKILL)
        driver.wait()

        cluster.stdin.write("idle?\n")
        cluster.stdin.flush()
        assert cluster.stdout.readline().strip() == "idle", "the killed driver's tasks still hold the cluster's CPUs"
        assert not [pid for pid in cells if alive(pid)], "cell processes outlived the driver's job"
        assert not _records(tmp_path)

        finish = _command(tmp_path, 4, NAP_S, "--address", address)
        rerun = subprocess.run(finish, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        records = _records(tmp_path)
        assert sorted(r["seed"] for r in records) == [0, 1, 2, 3]
        assert all(r["status"] == "complete" for r in records)
    finally:
        cluster.stdin.close()
        cluster.wait(timeout=60)


def test_ray_stopping_a_worker_mid_cell_is_no_failure_of_the_cell():
    """Ray stops the workers of a job whose driver died with SIGTERM, and its handler raises
    SystemExit, which a cell run in the worker's process (--no-isolate) records as the cell's
    failure: the rerun would then skip the cell instead of running it."""
    from harness_ray.executor import WorkerStopped, _run_cell

    def cell_that_records_system_exit(cell):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except (Exception, SystemExit):
            return {"status": "failed"}
        return {"status": "complete"}

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(WorkerStopped):
        _run_cell(cell_that_records_system_exit, None)
    assert signal.getsignal(signal.SIGTERM) is before


def test_rays_folder_leaves_room_for_its_socket_paths_under_a_long_temporary_folder(tmp_path, monkeypatch):
    import tempfile

    from harness_ray.executor import short_temp_dir

    deep = tmp_path / ("x" * 40)
    deep.mkdir()
    monkeypatch.setenv("TMPDIR", str(deep))
    monkeypatch.setattr(tempfile, "tempdir", None)
    folder = Path(short_temp_dir())
    try:
        socket = folder / "session_2026-12-01_11-42-30_003868_4194304" / "sockets" / "plasma_store"
        assert len(str(socket)) <= 107, socket
    finally:
        folder.rmdir()
