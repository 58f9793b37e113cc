"""``harness plot``: PNG learning curves (validation metric per epoch, mean over seeds), a
leaderboard chart (test mean with standard deviation) per dataset, and the traces methods keep
in their records: ``extra["traces"][name]`` is a list of vectors, one per training step (Label
Deconvolution's gamma, one weight per hop; AUX-TS's weight per auxiliary task, one per epoch),
drawn as one line per component, mean over seeds, one figure per configuration. A method may
name the components in ``extra["trace_labels"][name]`` (one name per component, AUX-TS's task
names); the legend then shows ``name[label]`` instead of ``name[index]``."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from harness.record import Record
from harness.safe_names import path_component


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(dataset: str, records: Iterable[Record | dict[str, Any]], out_dir: Path) -> Path | None:
    """The validation curve of each configuration (mean over its seeds), one figure."""
    records = [Record.of(record) for record in records]
    # one series per configuration without the seed (as a leaderboard row), not per display name
    series: dict[tuple[str, str], list[list[float]]] = defaultdict(list)
    for record in records:
        values = [point["valid"] for point in record.curve if "valid" in point]
        if values:
            series[_series_key(record)].append(values)
    if not series:
        return None
    shared = {name for name, _ in series if sum(other == name for other, _ in series) > 1}
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for (name, config), runs in sorted(series.items()):
        length = min(len(run) for run in runs)
        mean = [sum(run[i] for run in runs) / len(runs) for i in range(length)]
        label = f"{name} [config {config}]" if name in shared else name
        axes.plot(range(1, length + 1), mean, label=f"{label} (n={len(runs)})")
    axes.set_xlabel("epoch")
    axes.set_ylabel(f"validation {records[0].metric}")
    axes.set_title(f"{dataset}: learning curves")
    axes.legend(fontsize="small")
    path = out_dir / f"{path_component(dataset)}-curves.png"
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def plot_leaderboard(dataset: str, metric: str, higher_is_better: bool, rows, out_dir: Path) -> Path | None:
    from harness.leaderboard import rank

    ordered = rank(rows, higher_is_better)
    if not ordered:
        return None
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7, 0.45 * len(ordered) + 1.5))
    names = [row.method + ("" if row.submitted else " (ours)") for row in ordered][::-1]
    means = [row.test.mean for row in ordered][::-1]
    errors = [row.test.std or 0.0 for row in ordered][::-1]
    colours = ["tab:grey" if row.submitted else "tab:blue" for row in ordered][::-1]
    positions = list(range(len(names)))  # numeric: rows that share a name must not share a bar
    axes.barh(positions, means, xerr=errors, color=colours)
    axes.set_yticks(positions, names)
    low = min(m - e for m, e in zip(means, errors))
    high = max(m + e for m, e in zip(means, errors))
    margin = (high - low) * 0.1 or 0.01
    axes.set_xlim(low - margin, high + margin)
    axes.set_xlabel(f"test {metric}")
    axes.set_title(f"{dataset}: leaderboard (blue: this harness)")
    path = out_dir / f"{path_component(dataset)}-leaderboard.png"
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _series_key(record: Record) -> tuple[str, str]:
    from harness.leaderboard import config_id, method_name

    return method_name(record.entry, record.labels), config_id(record.entry)


def plot_traces(dataset: str, records: Iterable[Record | dict[str, Any]], out_dir: Path) -> list[Path]:
    """One figure per (trace, configuration): each component of the traced vector over steps."""
    runs: dict[tuple[str, str, str], list[list[list[float]]]] = defaultdict(list)
    labels: dict[tuple[str, str, str], list[str]] = {}
    for record in map(Record.of, records):
        for trace, steps in record.traces.items():
            if steps:
                key = (trace, *_series_key(record))
                runs[key].append(steps)
                labels.setdefault(key, record.trace_labels.get(trace) or [])
    written = []
    plt = _pyplot() if runs else None
    for (trace, name, config), seeds in sorted(runs.items()):
        length = min(len(steps) for steps in seeds)
        width = len(seeds[0][0])
        names = labels[(trace, name, config)]
        names = names if len(names) == width else list(range(width))  # labels that do not fit are ignored
        figure, axes = plt.subplots(figsize=(7, 4.5))
        for k in range(width):
            mean = [sum(steps[i][k] for steps in seeds) / len(seeds) for i in range(length)]
            axes.plot(range(length), mean, label=f"{trace}[{names[k]}]")
        axes.set_xlabel("step")
        axes.set_ylabel(trace)
        axes.set_title(f"{dataset}: {trace} of {name} (n={len(seeds)})")
        axes.legend(fontsize="small", ncol=2)
        path = out_dir / f"{path_component(dataset)}-{path_component(trace)}-{path_component(config)}.png"
        figure.tight_layout()
        figure.savefig(path, dpi=120)
        plt.close(figure)
        written.append(path)
    return written


def plot_all(records: Iterable[Record | dict[str, Any]], tables: dict, out_dir: str | Path, datasets=None) -> list[Path]:
    """Every figure for the records (typed, or their JSON form) and the leaderboard tables."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    by_dataset: dict[str, list[Record]] = defaultdict(list)
    for record in map(Record.of, records):
        if record.complete:
            by_dataset[record.dataset_name].append(record)
    written = []
    for dataset, (metric, higher, rows) in tables.items():
        if datasets and dataset not in datasets:
            continue
        for path in (plot_curves(dataset, by_dataset.get(dataset, []), out_dir), plot_leaderboard(dataset, metric, higher, rows, out_dir)):
            if path is not None:
                written.append(path)
        written += plot_traces(dataset, by_dataset.get(dataset, []), out_dir)
    return written
