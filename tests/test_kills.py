"""SIGKILL the harness mid-grid, with every executor it ships and with and without isolation:
repeated kills lose no record and duplicate none, the re-run finishes the grid, and no process
the harness started (pool worker, fork server, cell process) outlives it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from helpers.processes import alive, descendants

BEHAVIOUR = Path(__file__).parent / "helpers" / "behaviour_plugin.py"
SEEDS = 6
KILLS = 2
#: how long each cell's method sleeps: a process the harness started is still busy when it is
#: killed, so only the parent-death signal can end it within ``DEATH_S``
NAP_S = 4.0
DEATH_S = 2.0
#: what each executor needs to run here: two workers; Ray's smallest object store; the Slurm
#: executor's cells as local processes (submitit's LocalExecutor), no cluster being at hand
EXECUTOR_OPTIONS = {
    "pool": ["--workers", "2"],
    "ray": ["--executor-option", "workers=2", "--executor-option", "object_store_mb=80"],
    "slurm": ["--executor-option", "cluster=local", "--executor-option", "poll_s=0.3", "--executor-option", "array_parallelism=2"],
}


def _executors() -> list[str]:
    from harness.registry import load_registry

    return sorted(load_registry()[1].names("executor"))


def _grid(tmp_path: Path) -> Path:
    grid = {
        "seeds": list(range(SEEDS)),
        "datasets": [{"name": "synthetic-node", "params": {"num_nodes": 120}}],
        "backbones": ["mlp"],
        "methods": [{"name": "misbehave", "params": {"mode": "nap", "seconds": NAP_S}}],
    }
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(grid))
    return path


def _command(tmp_path: Path, executor: str, isolate: bool) -> list[str]:
    return [sys.executable, "-m", "harness", "run", "--grid", str(_grid(tmp_path)), "--plugin", str(BEHAVIOUR),
            "--results-dir", "results", "--cache-dir", "cache", "--leaderboard-dir", "boards",
            "--executor", executor, *EXECUTOR_OPTIONS.get(executor, []), *([] if isolate else ["--no-isolate"])]


def _commands(pids: list[int]) -> list[str]:
    """Each process's command line, for the failure message."""
    found = []
    for pid in pids:
        try:
            found.append(f"{pid}: {Path(f'/proc/{pid}/cmdline').read_bytes().replace(bytes(1), b' ').decode(errors='replace').strip()[:160]}")
        except OSError:
            found.append(f"{pid}: gone")
    return found


def _records(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "results").glob("*/*.json") if p.parent.name not in ("runs",)]


def _kill_after_one_more_record(tmp_path: Path, command: list[str]) -> set[int]:
    """Start the harness, SIGKILL it a second after a record more than before is written (the
    next cells are under way by then); the processes it had started."""
    before = len(_records(tmp_path))
    harness = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[int] = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(_records(tmp_path)) <= before and harness.poll() is None:
        seen |= descendants(harness.pid)
        time.sleep(0.05)
    settle = time.monotonic() + 1.0
    while time.monotonic() < settle:
        seen |= descendants(harness.pid)
        time.sleep(0.05)
    harness.send_signal(signal.SIGKILL)
    harness.wait()
    return seen


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("isolate", [True, False], ids=["isolated", "no-isolate"])
@pytest.mark.parametrize("executor", _executors())
def test_killing_the_harness_loses_nothing_duplicates_nothing_and_leaves_no_process(tmp_path, executor, isolate):
    command = _command(tmp_path, executor, isolate)
    for _ in range(KILLS):
        started = _kill_after_one_more_record(tmp_path, command)
        if executor == "pool" or isolate:
            assert started, "the harness started no process to check"
        time.sleep(DEATH_S)  # the killed harness's processes are gone by now, their cell not done
        outlived = [pid for pid in started if alive(pid)]
        assert not outlived, f"processes outlived the killed harness: {_commands(outlived)}"

    killed_at = len(_records(tmp_path))
    assert 0 < killed_at < SEEDS
    rerun = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"skipping {killed_at} cell(s) with a complete record" in rerun.stdout
    records = [json.loads(path.read_text()) for path in _records(tmp_path)]
    ids = [record["cell_id"] for record in records]
    assert len(ids) == SEEDS and len(set(ids)) == SEEDS, ids
    assert all(record["status"] == "complete" and record["isolated"] is isolate for record in records)
    leftovers = [p for p in (tmp_path / "results").rglob("*") if p.name.startswith(".tmp-") or p.parent.name in ("corrupt", "attempts")]
    assert not leftovers, leftovers
