"""``harness plot``: PNG learning curves and leaderboard charts from a results folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.leaderboard import build_tables
from harness.plot import plot_all
from leaderboard_records import make_record, write_records

REPO = Path(__file__).resolve().parent.parent
SUBMISSIONS = REPO / "leaderboards" / "submissions"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def curve(start: float, epochs: int = 6) -> list[dict]:
    return [{"epoch": e, "train_loss": 1.0 / (e + 1), "valid": start + 0.01 * e} for e in range(epochs)]


def is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 1000 and path.read_bytes()[:8] == PNG_SIGNATURE


def results_with_curves(root: Path) -> Path:
    records = []
    for backbone, base in (("gcn", 0.70), ("mlp", 0.50)):
        for seed in range(3):
            records.append(make_record(dataset="cora", backbone=backbone, seed=seed, test=base + 0.01 * seed, curve=curve(base + 0.005 * seed)))
    records.append(make_record(dataset="cora", backbone="sage", seed=0, status="failed", curve=curve(0.3, 2)))
    for seed in range(2):  # a dataset whose records carry no curve
        records.append(make_record(dataset="synthetic-graph-regression", metric="rmse", backbone="gin", seed=seed, test=0.4 + 0.02 * seed))
    return write_records(root / "results", records)


def test_cli_plot_writes_pngs(tmp_path):
    results = results_with_curves(tmp_path)
    out = tmp_path / "plots"
    done = harness("plot", "--results-dir", str(results), "--out", str(out), "--submissions", str(SUBMISSIONS), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = {path.name for path in out.iterdir()}
    assert {"cora-curves.png", "cora-leaderboard.png", "synthetic-graph-regression-leaderboard.png"} <= written
    assert "synthetic-graph-regression-curves.png" not in written  # no curve in its records
    # datasets with submitted entries only get a leaderboard chart, no curves
    assert {"ogbn-arxiv-leaderboard.png", "ogbn-proteins-leaderboard.png", "citeseer-leaderboard.png"} <= written
    assert "ogbn-arxiv-curves.png" not in written
    for name in written:
        assert is_png(out / name), name
        assert f"plot: {out / name}" in done.stdout


def test_cli_plot_one_dataset(tmp_path):
    results = results_with_curves(tmp_path)
    out = tmp_path / "plots"
    done = harness("plot", "--results-dir", str(results), "--out", str(out), "--dataset", "cora", "--submissions", str(SUBMISSIONS), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in out.iterdir()) == ["cora-curves.png", "cora-leaderboard.png"]
    assert all(is_png(path) for path in out.iterdir())


def test_cli_plot_without_submissions(tmp_path):
    results = results_with_curves(tmp_path)
    out = tmp_path / "plots"
    done = harness("plot", "--results-dir", str(results), "--out", str(out), "--submissions", str(tmp_path / "none"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in out.iterdir()) == ["cora-curves.png", "cora-leaderboard.png", "synthetic-graph-regression-leaderboard.png"]


def test_plot_all_skips_failed_records_and_empty_results(tmp_path):
    only_failed = [make_record(dataset="cora", seed=0, status="failed", curve=curve(0.3))]
    tables = build_tables(only_failed, tmp_path / "no-submissions")
    assert tables == {}
    assert plot_all(only_failed, tables, tmp_path / "plots") == []
    assert list((tmp_path / "plots").iterdir()) == []


def test_plot_all_single_row_without_std(tmp_path):
    records = [make_record(dataset="cora", seed=0, test=0.8, curve=curve(0.7, 1))]
    tables = build_tables(records, tmp_path / "no-submissions")
    paths = plot_all(records, tables, tmp_path / "plots")
    assert sorted(path.name for path in paths) == ["cora-curves.png", "cora-leaderboard.png"]
    assert all(is_png(path) for path in paths)


@pytest.fixture
def figures(monkeypatch):
    """The (figure, axes) pairs the plot module draws, kept open for inspection."""
    import harness.plot as plot_module

    real = plot_module._pyplot()
    kept = []

    class KeepFigures:
        def __getattr__(self, name):
            return getattr(real, name)

        def subplots(self, *args, **kwargs):
            figure, axes = real.subplots(*args, **kwargs)
            kept.append((figure, axes))
            return figure, axes

        def close(self, figure):
            pass

    monkeypatch.setattr(plot_module, "_pyplot", lambda: KeepFigures())
    yield kept
    for figure, _ in kept:
        real.close(figure)


def test_leaderboard_chart_keeps_rows_with_the_same_name_apart(tmp_path, figures):
    """Two of our rows differ only in a parameter (same display name): both bars must show."""
    import harness.plot as plot_module

    records = [make_record(dataset="cora", seed=s, test=0.80 + 0.01 * s) for s in range(2)]
    records += [make_record(dataset="cora", seed=s, test=0.70 + 0.01 * s, backbone_params={"hidden": 64}) for s in range(2)]
    metric, higher, rows = build_tables(records, tmp_path / "no-submissions")["cora"]
    assert [row.method for row in rows] == ["supervised + gcn", "supervised + gcn"]
    path = plot_module.plot_leaderboard("cora", metric, higher, rows, tmp_path)
    assert is_png(path)
    (figure, axes), = figures
    bars = axes.patches
    assert len(bars) == 2
    assert len({round(bar.get_y(), 6) for bar in bars}) == 2, "the two rows were drawn on top of each other"
    assert sorted(round(bar.get_width(), 4) for bar in bars) == [0.705, 0.805]
    assert [tick.get_text() for tick in axes.get_yticklabels()] == ["supervised + gcn (ours)"] * 2


def test_curves_are_per_configuration(tmp_path, figures):
    """Curves of two configurations with the same display name are not averaged together."""
    import harness.plot as plot_module
    from harness.leaderboard import config_id

    narrow = [make_record(seed=s, curve=curve(0.5 + 0.1 * s, 4)) for s in range(2)]
    wide = [make_record(seed=s, curve=curve(0.2, 3 + s), backbone_params={"hidden": 64}) for s in range(2)]
    mlp = [make_record(seed=0, backbone="mlp", curve=curve(0.1, 2))]
    path = plot_module.plot_curves("cora", narrow + wide + mlp, tmp_path)
    assert is_png(path)
    (figure, axes), = figures
    lines = {line.get_label(): list(line.get_ydata()) for line in axes.get_lines()}
    entry = lambda r: {axis: r["config"][axis] for axis in ("dataset", "encoder", "backbone", "method")}
    assert set(lines) == {
        f"supervised + gcn [config {config_id(entry(narrow[0]))}] (n=2)",
        f"supervised + gcn [config {config_id(entry(wide[0]))}] (n=2)",
        "supervised + mlp (n=1)",
    }
    narrow_line = lines[f"supervised + gcn [config {config_id(entry(narrow[0]))}] (n=2)"]
    assert [round(v, 6) for v in narrow_line] == [0.55, 0.56, 0.57, 0.58]  # mean of the two seeds per epoch
    assert len(lines[f"supervised + gcn [config {config_id(entry(wide[0]))}] (n=2)"]) == 3  # shortest run


def test_traces_are_drawn_per_component_as_the_mean_over_seeds(tmp_path, figures):
    """Label Deconvolution keeps gamma after every step in extra.traces; one line per hop."""
    import harness.plot as plot_module

    records = []
    for seed, shift in ((0, 0.0), (1, 0.2)):
        record = make_record(dataset="cora", method="ld", seed=seed)
        record["extra"] = {"traces": {"gamma": [[0.5 - shift, 0.5 + shift], [0.4, 0.6], [0.2 - shift, 0.8 + shift]]}}
        records.append(record)
    records.append(make_record(dataset="cora", seed=0))  # no trace: no figure
    (path,) = plot_module.plot_traces("cora", records, tmp_path)
    assert is_png(path) and path.name.startswith("cora-gamma-")
    (figure, axes), = figures
    lines = axes.get_lines()
    assert [line.get_label() for line in lines] == ["gamma[0]", "gamma[1]"]
    assert list(lines[0].get_ydata()) == pytest.approx([0.4, 0.4, 0.1])
    assert list(lines[1].get_ydata()) == pytest.approx([0.6, 0.6, 0.9])


def test_a_trace_s_components_are_named_in_the_legend_when_the_method_names_them(tmp_path, figures):
    """AUX-TS keeps one weight per auxiliary task and names them in extra.trace_labels; labels
    that do not fit the vectors are ignored."""
    import harness.plot as plot_module

    named = make_record(dataset="cora", method="aux-ts", seed=0)
    named["extra"] = {"traces": {"task_weights": [[0.5, 0.5], [0.9, 0.1]]}, "trace_labels": {"task_weights": ["link", "random-labels"]}}
    misnamed = make_record(dataset="cora", method="ld", seed=0)
    misnamed["extra"] = {"traces": {"gamma": [[0.5, 0.5]]}, "trace_labels": {"gamma": ["only one"]}}
    plot_module.plot_traces("cora", [named, misnamed], tmp_path)
    legends = [[line.get_label() for line in axes.get_lines()] for _, axes in figures]
    assert sorted(legends) == [["gamma[0]", "gamma[1]"], ["task_weights[link]", "task_weights[random-labels]"]]
