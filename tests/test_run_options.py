"""``harness run`` refuses bad options before anything runs: a time limit that is not a finite
positive number, thread and worker counts out of range, a device that is no device or that this
machine lacks, and output folders (records, cache, tables) that are files or cannot be written.
Each gives exit code 2, a message naming the option and what is valid, no traceback, and
nothing written."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from harness import run_checks
from harness.exit_codes import InvalidInput

GRID = "seeds: [0]\ndatasets: [{name: synthetic-node, params: {num_nodes: 120}}]\nbackbones: [{name: gcn, params: {hidden: 4}}]\nmethods: [{name: supervised, params: {epochs: 1}}]\n"


def run_cli(workdir: Path, *options: str) -> subprocess.CompletedProcess:
    grid = workdir / "input" / "grid.yaml"
    grid.parent.mkdir(exist_ok=True)
    grid.write_text(GRID)
    command = [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--results-dir", str(workdir / "results"), "--cache-dir", str(workdir / "cache"), *options]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def assert_refused(process: subprocess.CompletedProcess, workdir: Path, *fragments: str, left: tuple[str, ...] = ()) -> None:
    output = process.stdout + process.stderr
    assert "Traceback" not in output, output
    assert process.returncode == 2, output
    assert process.stdout == "", process.stdout
    for fragment in fragments:
        assert fragment in process.stderr, f"{fragment!r} not in {process.stderr!r}"
    written = sorted(str(p.relative_to(workdir)) for p in workdir.rglob("*") if not p.is_relative_to(workdir / "input"))
    assert written == sorted(left), f"the refused run wrote {written}"


@pytest.mark.parametrize(
    "options, fragments",
    [
        (["--timeout", "nan"], ["--timeout must be a finite number of seconds above 0, got nan"]),
        (["--timeout", "inf"], ["--timeout must be a finite number of seconds above 0, got inf"]),
        (["--timeout", "-1"], ["--timeout must be a finite number of seconds above 0, got -1"]),
        (["--timeout", "0"], ["--timeout must be a finite number of seconds above 0, got 0"]),
        (["--threads", "0"], ["--threads must be at least 1, got 0"]),
        (["--workers", "-1"], ["--workers must be at least 0, got -1"]),
        (["--device", "banana"], ["--device 'banana' is not a device", "valid: auto, cpu, cuda, cuda:N"]),
        (["--device", "cuda:x"], ["--device 'cuda:x' is not a device"]),
        (["--device", ""], ["--device '' is not a device"]),
        (["--allocator", "jemalloc"], ["--allocator: invalid choice: 'jemalloc'", "'tuned', 'default'"]),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, list) and value[0].startswith("--") else None,
)
def test_bad_option_is_refused(tmp_path: Path, options: list[str], fragments: list[str]):
    assert_refused(run_cli(tmp_path, *options), tmp_path, *fragments)


def test_a_cuda_device_without_cuda_is_refused(tmp_path: Path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert_refused(run_cli(tmp_path, "--device", "cuda"), tmp_path, "--device cuda: this machine has no CUDA device")


@pytest.mark.parametrize("device", ["auto", "cpu", "cpu:0", "cuda", "cuda:1", "mps"])
def test_device_forms_are_known(device: str):
    assert run_checks.DEVICE_PATTERN.fullmatch(device)


def test_results_folder_that_is_a_file_is_refused(tmp_path: Path):
    (tmp_path / "results").write_text("not a folder")
    assert_refused(run_cli(tmp_path), tmp_path, f"--results-dir {tmp_path / 'results'}: is a file, not a folder", left=("results",))


def test_cache_folder_below_a_file_is_refused(tmp_path: Path):
    (tmp_path / "cache").write_text("not a folder")
    process = run_cli(tmp_path, "--cache-dir", str(tmp_path / "cache" / "inner"))
    assert_refused(process, tmp_path, f"--cache-dir {tmp_path / 'cache' / 'inner'}: lies below {tmp_path / 'cache'}, which is a file", left=("cache",))


def test_leaderboard_folder_that_is_a_file_is_refused(tmp_path: Path):
    (tmp_path / "tables").write_text("not a folder")
    process = run_cli(tmp_path, "--leaderboard-dir", str(tmp_path / "tables"))
    assert_refused(process, tmp_path, f"--leaderboard-dir {tmp_path / 'tables'}: is a file, not a folder", left=("tables",))


@pytest.mark.parametrize("option", ["--results-dir", "--cache-dir", "--leaderboard-dir"])
def test_a_dry_run_refuses_the_output_folders_a_run_would_refuse(tmp_path: Path, option: str):
    """A dry run answers whether a run would start: it checks the output folders exactly as a
    run does, instead of listing cells a run would refuse to start."""
    (tmp_path / "blocked").write_text("not a folder")
    process = run_cli(tmp_path, "--dry-run", option, str(tmp_path / "blocked"))
    assert_refused(process, tmp_path, f"{option} {tmp_path / 'blocked'}: is a file, not a folder", left=("blocked",))


def test_folder_that_cannot_be_written_is_refused(tmp_path: Path):
    probe = Path("/sys") / "harness-write-check"
    try:
        probe.touch()
    except OSError:
        pass
    else:
        probe.unlink()
        pytest.skip("/sys can be written here")
    process = run_cli(tmp_path, "--results-dir", "/sys/harness-results")
    assert_refused(process, tmp_path, "--results-dir /sys/harness-results (its nearest existing folder /sys) cannot be written")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes folders without write permission")
def test_folder_without_write_permission_is_refused(tmp_path: Path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InvalidInput, match="cannot be written: Permission denied"):
            run_checks.check_output_folder("--results-dir", locked / "results")
    finally:
        locked.chmod(0o700)


def test_read_only_file_system_is_refused(tmp_path: Path, monkeypatch):
    """A read-only mount cannot be made in a test; the probe's error is what the check reads."""

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", read_only)
    with pytest.raises(InvalidInput, match=r"--cache-dir .* cannot be written: Read-only file system"):
        run_checks.check_output_folder("--cache-dir", tmp_path / "cache")


def test_the_write_check_leaves_nothing_behind(tmp_path: Path):
    run_checks.check_output_folder("--results-dir", tmp_path / "a" / "b")
    run_checks.check_output_folder("--results-dir", tmp_path)
    assert list(tmp_path.iterdir()) == []
