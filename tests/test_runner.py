"""Running grids: keep-going, --fail-fast, --retry-failed, time limits, process isolation, the
pool executor, and the guarantee that a method never sees test labels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.store import ResultStore

BEHAVIOUR = Path(__file__).parent / "helpers" / "behaviour_plugin.py"
SMALL = {"num_nodes": 120}


def _grid(tmp_path, methods, datasets=None, seeds=(0,), name="grid.yaml"):
    grid = {
        "seeds": list(seeds),
        "datasets": datasets or [{"name": "synthetic-node", "params": SMALL}],
        "backbones": ["mlp"],
        "methods": methods,
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(grid))
    return path


def _run(tmp_path, grid, *extra):
    args = [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--plugin", str(BEHAVIOUR),
            "--results-dir", "results", "--cache-dir", "cache", "--leaderboard-dir", "boards", *extra]
    return subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=600)


def _records(tmp_path):
    return list(ResultStore(tmp_path / "results").records())


def _misbehave(mode, **params):
    return {"name": "misbehave", "params": {"mode": mode, **params}}


def test_keep_going_records_the_failure_and_runs_the_rest(tmp_path):
    result = _run(tmp_path, _grid(tmp_path, [_misbehave("raise"), _misbehave("ok")]))
    assert result.returncode == 1
    statuses = sorted(r["status"] for r in _records(tmp_path))
    assert statuses == ["complete", "failed"]
    failed = next(r for r in _records(tmp_path) if r["status"] == "failed")
    assert "misbehaving on purpose" in failed["error"] and "Traceback" in failed["traceback"]


def test_fail_fast_stops_at_the_first_failure(tmp_path):
    grid = _grid(tmp_path, [_misbehave("raise"), _misbehave("ok")], seeds=(0, 1))
    result = _run(tmp_path, grid, "--fail-fast")
    assert result.returncode == 1 and "--fail-fast" in result.stdout
    assert len(_records(tmp_path)) == 1


def test_failed_cells_rerun_only_when_asked_and_old_attempt_is_kept(tmp_path):
    flag = tmp_path / "fail-now"
    flag.touch()
    grid = _grid(tmp_path, [_misbehave("fail-if-file", flag_file=str(flag))])
    assert _run(tmp_path, grid).returncode == 1
    flag.unlink()
    again = _run(tmp_path, grid)
    assert again.returncode == 0 and "--retry-failed" in again.stdout
    assert [r["status"] for r in _records(tmp_path)] == ["failed"]
    retried = _run(tmp_path, grid, "--retry-failed")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert [r["status"] for r in _records(tmp_path)] == ["complete"]
    attempts = list((tmp_path / "results" / "synthetic-node" / "attempts").glob("*.json"))
    assert len(attempts) == 1 and '"failed"' in attempts[0].read_text()


def test_time_limit_ends_a_slow_cell_and_the_grid_goes_on(tmp_path):
    grid = _grid(tmp_path, [_misbehave("slow-epochs"), _misbehave("sleep"), _misbehave("ok")])
    result = _run(tmp_path, grid, "--timeout", "1")
    assert result.returncode == 1
    statuses = sorted(r["status"] for r in _records(tmp_path))
    assert statuses == ["complete", "timeout", "timeout"]


def test_isolation_confines_a_crash_to_its_cell(tmp_path):
    grid = _grid(tmp_path, [_misbehave("sigkill"), _misbehave("ok")])
    result = _run(tmp_path, grid, "--isolate")
    assert result.returncode == 1, result.stdout + result.stderr
    records = {r["cell"]["method"]["params"]["mode"]: r for r in _records(tmp_path)}
    assert records["sigkill"]["status"] == "failed" and "SIGKILL" in records["sigkill"]["error"]
    assert records["ok"]["status"] == "complete"


def test_a_method_that_defeats_the_time_limit_or_exits_is_contained_by_default(tmp_path):
    """Isolation is the default: a method that swallows the time limit's exception, one that
    blocks SIGALRM (both killed GRACE_S after the limit) and one that calls os._exit(0) each
    get a record saying so, and the grid goes on."""
    from harness.isolation import GRACE_S

    grid = _grid(tmp_path, [_misbehave("swallow-timeout"), _misbehave("block-sigalrm"), _misbehave("os-exit"), _misbehave("ok")])
    result = _run(tmp_path, grid, "--timeout", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ran 4 cell(s): 1 complete, 3 failed" in result.stdout
    records = {r["cell"]["method"]["params"]["mode"]: r for r in _records(tmp_path)}
    for mode in ("swallow-timeout", "block-sigalrm"):
        assert records[mode]["status"] == "timeout", records[mode]
        assert f"killed {GRACE_S:g} s after the time limit" in records[mode]["error"]
    assert records["os-exit"]["status"] == "failed" and "exited with code 0 before sending its result" in records["os-exit"]["error"]
    assert records["ok"]["status"] == "complete" and records["ok"]["isolated"] is True


def test_predictions_that_would_run_code_when_unpickled_fail_their_cell(tmp_path):
    """What a method returns crosses to the evaluator as tensors read with weights_only: a
    tensor whose pickle calls os.system is refused there, and the command never runs."""
    marker = tmp_path / "smuggled"
    result = _run(tmp_path, _grid(tmp_path, [_misbehave("smuggle", flag_file=str(marker)), _misbehave("ok")]))
    assert result.returncode == 1, result.stdout + result.stderr
    records = {r["cell"]["method"]["params"]["mode"]: r for r in _records(tmp_path)}
    assert records["smuggle"]["status"] == "failed" and "test" not in records["smuggle"], records["smuggle"]
    assert "weights_only" in records["smuggle"]["error"] or "Unsupported global" in records["smuggle"]["error"], records["smuggle"]["error"]
    assert not marker.exists()
    assert records["ok"]["status"] == "complete"


def test_pool_executor_runs_every_cell(tmp_path):
    grid = _grid(tmp_path, [_misbehave("ok"), "supervised"], seeds=(0, 1))
    result = _run(tmp_path, grid, "--executor", "pool", "--workers", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(r["status"] for r in _records(tmp_path)) == ["complete"] * 4


def test_unknown_executor_is_invalid_input(tmp_path):
    result = _run(tmp_path, _grid(tmp_path, ["supervised"]), "--executor", "poool")
    assert result.returncode == 2 and "did you mean 'pool'" in result.stderr
    assert not (tmp_path / "results").exists() or not _records(tmp_path)


@pytest.mark.parametrize("dataset", ["synthetic-node", "synthetic-multilabel", "synthetic-graph", "synthetic-graph-regression", "synthetic-link"])
def test_a_method_never_sees_test_labels(harness_run, dataset):
    small = {"synthetic-graph": {"num_graphs": 40}, "synthetic-graph-regression": {"num_graphs": 40}}.get(dataset, SMALL)
    grid = {"seeds": [0], "datasets": [{"name": dataset, "params": small}], "backbones": ["mlp"], "methods": ["spy"]}
    summary, records = harness_run(grid, plugin_files=[BEHAVIOUR])
    (record,) = records
    assert record["status"] == "complete", record.get("traceback")
    seen = record["extra"]["seen"]
    assert seen["label_splits"] == ["train", "valid"]
    assert seen["test_labels_readable"] is False
    assert not seen["data_has_y"] and not seen["graphs_have_y"]


def test_the_harness_scores_the_returned_predictions(harness_run, tiny_task):
    grid = {"seeds": [0], "datasets": [{"name": "synthetic-node", "params": SMALL}], "backbones": ["mlp"], "methods": ["spy"]}
    _, (record,) = harness_run(grid, plugin_files=[BEHAVIOUR])
    task = tiny_task("node-classification")
    # The spy predicts all-zero scores, so arg-max is class 0 everywhere.
    expected = float((task.labels["test"] == 0).float().mean())
    assert record["test"] == pytest.approx(expected)


def test_records_carry_provenance(harness_run):
    grid = {"seeds": [3], "datasets": [{"name": "synthetic-node", "params": SMALL}], "backbones": ["gcn"], "methods": [{"name": "supervised", "params": {"epochs": 5}}]}
    _, (record,) = harness_run(grid)
    for key in ("config", "status", "valid", "test", "curve", "best_epoch", "wall_time_s", "peak_memory_bytes", "num_params", "hardware", "versions", "git", "external_data", "seed"):
        assert key in record, key
    assert record["seed"] == 3 and len(record["curve"]) == 5 and record["num_params"] > 0
    assert {"python", "torch", "torch_geometric", "harness"} <= set(record["versions"])
    assert set(record["git"]) == {"commit", "dirty"}


def test_a_stage_shared_by_seeds_is_built_once_and_reused(harness_run, tmp_path):
    counter = tmp_path / "builds.txt"
    grid = {"seeds": 3, "datasets": [{"name": "synthetic-node", "params": SMALL}], "backbones": ["mlp"], "methods": [{"name": "staged", "params": {"counter_file": str(counter)}}]}
    _, records = harness_run(grid, plugin_files=[BEHAVIOUR])
    assert [r["status"] for r in records] == ["complete"] * 3
    assert counter.read_text().count("built") == 1
    assert {r["extra"]["checkpoint_sum"] for r in records} == {15.0}  # served from the cache intact


def test_progress_display_plain_and_live():
    import io

    from harness.cell import Cell, ComponentRef
    from harness.progress import Progress

    cell = Cell(*(ComponentRef(n) for n in ("d", "identity", "gcn", "supervised")), seed=0)
    plain = io.StringIO()
    progress = Progress(total=2, stream=plain, live=False)
    progress.harness_run_started(cell)
    progress.harness_epoch_finished(cell, 0, 10, {"valid": 0.5})
    progress.harness_run_finished(cell, {"status": "complete", "valid": 0.5, "test": 0.4, "wall_time_s": 1.0})
    lines = plain.getvalue().splitlines()
    assert lines[0].startswith("[1/2] start") and lines[1].startswith("[1/2] complete") and "\r" not in plain.getvalue()
    live = io.StringIO()
    progress = Progress(total=2, stream=live, live=True)
    progress.harness_run_started(cell)
    progress.harness_epoch_finished(cell, 4, 10, {"valid": 0.5})
    assert "epoch 5/10" in live.getvalue() and "ETA" in live.getvalue() and "\r" in live.getvalue()


def test_external_data_counts_raw_attributes_only_when_the_encoder_reads_them():
    from types import SimpleNamespace

    from harness import Component
    from harness.worker import uses_external_data

    identity = Component(kind="encoder", name="identity", factory="m:f", doc="d")
    bag_of_words = Component(kind="encoder", name="bow", factory="m:f", doc="d", needs={"text"})
    pretrained = Component(kind="encoder", name="lm", factory="m:f", doc="d", needs={"text"}, external_data=True)
    context = SimpleNamespace(external_data=False)
    with_text = SimpleNamespace(info={"external_data": True})
    plain = SimpleNamespace(info={})
    assert not uses_external_data(identity, context, with_text)
    assert uses_external_data(bag_of_words, context, with_text)
    assert not uses_external_data(bag_of_words, context, plain)
    assert uses_external_data(pretrained, context, plain)


def test_a_failed_cells_error_is_on_its_own_line_in_order_with_the_run_messages(tmp_path):
    """Progress (stderr) and the command's messages (stdout) share one log without a buffered
    stdout landing in the middle, and the error never follows the cell's description."""
    import os

    grid = _grid(tmp_path, [_misbehave("raise")])
    args = [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--plugin", str(BEHAVIOUR),
            "--results-dir", "results", "--cache-dir", "cache", "--leaderboard-dir", "boards"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    log = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path, env=env, timeout=600).stdout
    lines = log.splitlines()
    order = [next(i for i, line in enumerate(lines) if line.startswith(prefix)) for prefix in ("grid ", "[1/1] start", "[1/1] failed", "ran 1 cell")]
    assert order == sorted(order), log
    failed = lines[order[2]]
    assert failed.endswith("| grid ETA 0s") and "Error" not in failed, log
    assert lines[order[2] + 1].startswith("    RuntimeError: misbehaving on purpose"), log


def test_progress_numbers_cells_started_before_any_ended():
    import io

    from harness.cell import Cell, ComponentRef
    from harness.progress import Progress

    cells = [Cell(*(ComponentRef(n) for n in ("d", "identity", "gcn", "supervised")), seed=s) for s in (0, 1)]
    stream = io.StringIO()
    progress = Progress(total=2, stream=stream, live=False)
    for cell in cells:  # a pool hands both cells over before either ends
        progress.harness_run_started(cell)
    assert [line.split()[0] for line in stream.getvalue().splitlines()] == ["[1/2]", "[2/2]"]


def test_tables_are_rendered_beside_the_results_not_over_the_checkouts(tmp_path):
    committed = tmp_path / "leaderboards" / "synthetic-node.md"
    committed.parent.mkdir()
    committed.write_text("the committed table\n")
    grid = _grid(tmp_path, [_misbehave("ok")])
    args = [sys.executable, "-m", "harness", "run", "--grid", str(grid), "--plugin", str(BEHAVIOUR),
            "--results-dir", "elsewhere", "--cache-dir", "cache"]
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert committed.read_text() == "the committed table\n"
    assert (tmp_path / "elsewhere" / "leaderboards" / "synthetic-node.md").is_file()
    board = subprocess.run([sys.executable, "-m", "harness", "leaderboard", "--results-dir", "elsewhere"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert board.returncode == 0 and committed.read_text() == "the committed table\n"


@pytest.mark.parametrize("command", ["run", "leaderboard", "compare", "plot"])
def test_help_shows_every_path_default(command):
    from harness.cli import build_parser

    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    for action in subparsers.choices[command]._actions:
        if action.metavar == "DIR":
            assert "default:" in (action.help or ""), f"{command} {action.option_strings} has no default in its help"


def test_an_observer_that_raises_is_reported_and_the_grid_goes_on(tmp_path):
    observer = tmp_path / "raising_observer.py"
    observer.write_text(
        '"""An observer that fails on purpose."""\n'
        "from harness import hookimpl\n\n"
        "@hookimpl\n"
        "def harness_run_started(cell):\n"
        "    raise RuntimeError('observer broken on purpose')\n\n"
        "@hookimpl\n"
        "def harness_run_finished(cell, record):\n"
        "    raise RuntimeError('observer broken on purpose')\n"
    )
    result = _run(tmp_path, _grid(tmp_path, [_misbehave("ok")], seeds=(0, 1)), "--plugin", str(observer))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ran 2 cell(s): 2 complete, 0 failed" in result.stdout
    for hook in ("harness_run_started", "harness_run_finished"):
        assert result.stderr.count(f"raised in {hook}: RuntimeError: observer broken on purpose; ignored") == 1
    assert "[2/2] complete" in result.stderr  # the progress display, another observer, still ran


def test_an_isolated_cells_epochs_reach_the_observers_of_the_harness(tmp_path):
    """The method runs in another process; its training curve still reaches the observers
    registered in the harness's (the live progress line is one), epoch by epoch, and an
    observer that raises there is reported once and the grid goes on."""
    log = tmp_path / "epochs.txt"
    observer = tmp_path / "epoch_observer.py"
    observer.write_text(
        '"""Writes every epoch it is told of; fails on the first."""\n'
        "import os\n"
        "from harness import hookimpl\n\n"
        "@hookimpl\n"
        "def harness_epoch_finished(cell, epoch, max_epochs, metrics):\n"
        f"    with open({str(log)!r}, 'a') as handle:\n"
        "        handle.write(f'{os.getpid()} {epoch} {max_epochs} {sorted(metrics)}\\n')\n"
        "    if epoch == 0:\n"
        "        raise RuntimeError('observer broken on purpose')\n"
    )
    grid = _grid(tmp_path, [{"name": "supervised", "params": {"epochs": 4, "patience": 0}}])
    result = _run(tmp_path, grid, "--plugin", str(observer))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = log.read_text().splitlines()
    assert [line.split()[1:3] for line in lines] == [[str(epoch), "4"] for epoch in range(4)]
    [manifest] = (tmp_path / "results" / "runs").glob("*.json")  # named <time>-<harness pid>-<grid>
    assert {line.split()[0] for line in lines} == {manifest.name.split("-")[1]}  # told in the harness, not in the cell's process
    assert result.stderr.count("raised in harness_epoch_finished: RuntimeError: observer broken on purpose; ignored") == 1


def test_a_method_calling_sys_exit_fails_its_cell_and_the_grid_goes_on(tmp_path):
    result = _run(tmp_path, _grid(tmp_path, [_misbehave("sys-exit"), _misbehave("ok")]))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ran 2 cell(s): 1 complete, 1 failed" in result.stdout
    (failed,) = [r for r in _records(tmp_path) if r["status"] == "failed"]
    assert "called sys.exit(0)" in failed["error"]
