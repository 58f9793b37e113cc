"""OGB-style leaderboards, rendered from result records plus submitted entries.

One table per dataset. This project's rows group complete records by their configuration
without the seed and the split index: the cells of one configuration over its seeds and its
splits (the folds of a k-fold protocol, the per-seed splits) form one row. Each row shows mean and
unbiased standard deviation over its runs (4 decimals), their number, and how they were made
(its protocol: "10 folds x 1 seed", "10 splits x 1 init", "1 split x 5 seeds"). Rows are ranked by test mean (competition ranking: equal
means share a rank); a row whose difference from the best is not significant (Welch's t-test,
p >= 0.05) is marked as tied with it.

Only records made with isolation (the default, :mod:`harness.isolation`) are ranked: a record
made with ``--no-isolate`` comes from a method that shared a process with the test labels, so
a row that could have read them is impossible rather than flagged (:func:`unisolated` counts
what was left out; the commands say so).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from harness import metrics
from harness.atomic import write_text_atomic
from harness.cell import AXES, FIXED, FOLDS, PER_SEED
from harness.identity import DEFAULT_ENCODER
from harness.record import Record
from harness.safe_names import path_component
from harness.stats import SIGNIFICANCE, ScoreSummary, same_mean, welch_p_value
from harness.submissions import Submission

COLUMNS = ["Rank", "Method", "Ext. data", "Test {metric}", "Validation {metric}", "Runs", "Protocol", "#Params", "Time / cell", "Hardware", "Date", "Contact", "References"]


@dataclass
class Row:
    method: str
    test: ScoreSummary
    valid: ScoreSummary | None
    ext_data: bool
    params: int | None
    hardware: str | None
    date: str | None
    references: str
    submitted: bool
    config: dict[str, Any] = field(default_factory=dict)
    contact: str | None = None
    test_scores: list[float] = field(default_factory=list)
    rank: int = 0
    tied_with_best: bool = False
    p_vs_best: float | None = None
    seconds: float | None = None  # mean wall time of one cell (our rows only)
    protocol: str = ""  # how the runs were made (our rows only): splits x seeds

    @property
    def names(self) -> dict[str, str]:
        """The component name per axis of this row's configuration (for a submitted row: the
        axes its entry declares it matches)."""
        return {axis: value["name"] for axis, value in self.config.items()}


def method_name(config: dict[str, Any], labels: dict[str, str | None]) -> str:
    parts = [labels.get("method") or config["method"]["name"], labels.get("backbone") or config["backbone"]["name"]]
    encoder = labels.get("encoder") or config["encoder"]["name"]
    name = " + ".join(parts)
    if encoder != DEFAULT_ENCODER:
        name = f"{name} [{encoder}]"
    # A labelled dataset entry (say, other node features) is a variant of the dataset: show it.
    return f"{name} {{{labels['dataset']}}}" if labels.get("dataset") else name


def config_id(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]


def rows_from_records(records: Iterable[Record | dict[str, Any]]) -> dict[str, tuple[str, bool, list[Row]]]:
    """Per table: (metric, higher_is_better, rows) from complete records (typed, or their JSON
    form). A table is a dataset, or ``<dataset>-<metric>`` when its records use several metrics:
    scores of different metrics are never ranked together."""
    groups: dict[tuple[str, str], dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
    for record in map(Record.of, records):
        if not (record.complete and record.isolated):
            continue
        groups[(record.dataset_name, record.metric)][_entry_key(record)].append(record)
    metrics_per_dataset = Counter(dataset for dataset, _ in groups)
    tables = {}
    for (dataset, metric), entries in groups.items():
        rows, higher = [], True
        for key, records_of_entry in entries.items():
            config = json.loads(key)
            first = records_of_entry[0]
            higher = _higher_is_better(metric, first.higher_is_better)
            tests = [r.test for r in records_of_entry]
            hardware = Counter(r.hardware for r in records_of_entry).most_common(1)[0][0]
            rows.append(
                Row(
                    method=method_name(config, first.labels),
                    test=ScoreSummary.of(tests),
                    valid=ScoreSummary.of([r.valid for r in records_of_entry]),
                    ext_data=any(r.external_data for r in records_of_entry),
                    params=int(round(sum(r.num_params or 0 for r in records_of_entry) / len(records_of_entry))),
                    hardware=hardware,
                    date=max(r.started[:10] for r in records_of_entry),
                    references=f"this harness (config {config_id(config)})",
                    submitted=False,
                    config=config,
                    test_scores=tests,
                    seconds=_mean_seconds(records_of_entry),
                    protocol=protocol(records_of_entry),
                )
            )
        name = dataset if metrics_per_dataset[dataset] == 1 else f"{dataset}-{metric}"
        tables[name] = (metric, higher, rows)
    return tables


def unisolated(records: Iterable[Record | dict[str, Any]]) -> int:
    """How many complete records a table leaves out because they were made without isolation
    (``--no-isolate``, or before isolation was the default): their method shared a process with
    the test labels, so their scores cannot be ranked as honest."""
    return sum(1 for record in map(Record.of, records) if record.complete and not record.isolated)


UNISOLATED_NOTE = ("left out of the tables: {count} complete record(s) made without isolation (--no-isolate, or before it was the default);"
                   " their methods shared a process with the test labels. `harness run` without --no-isolate runs those cells again.")


def _entry_key(record: Record) -> str:
    """A row's key: the configuration without the seed and without the split index (a row
    gathers its folds or per-seed splits), but with the split protocol and fold count."""
    key = {axis: record.config[axis] for axis in AXES}
    split = record.config.get("split")
    if split:
        key["split"] = {"protocol": split["protocol"], "count": split["count"]}
    return json.dumps(key, sort_keys=True)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def protocol(records: list[Record]) -> str:
    """How the runs of one row were made: its splits times its seeds."""
    split = records[0].config.get("split") or {"protocol": FIXED}
    seeds = len({r.seed for r in records})
    if split["protocol"] == FOLDS:
        folds = len({r.config["split"]["index"] for r in records})
        present = str(folds) if folds == split["count"] else f"{folds} of {split['count']}"
        return f"{present} folds x {_plural(seeds, 'seed')}"
    if split["protocol"] == PER_SEED:
        return f"{_plural(seeds, 'split')} x 1 init"
    return f"1 split x {_plural(seeds, 'seed')}"


def _higher_is_better(metric: str, recorded: bool) -> bool:
    """The metric's direction from the registry; a record of a metric no installed plugin
    registers any more keeps the direction it was written with."""
    try:
        return metrics.installed().higher_is_better(metric)
    except metrics.UnknownMetric:
        return recorded


def display_name(metric: str) -> str:
    """The registered metric's display name (the reference itself when unregistered)."""
    try:
        return metrics.installed().display(metric)
    except metrics.UnknownMetric:
        return metric


def _mean_seconds(records: list[Record]) -> float | None:
    times = [r.wall_time_s for r in records if r.wall_time_s is not None]
    return sum(times) / len(times) if times else None


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def rows_from_submissions(submissions: Iterable[Submission]) -> list[Row]:
    return [
        Row(
            method=s.method,
            test=s.test,
            valid=s.valid,
            ext_data=s.ext_data,
            params=s.params,
            hardware=s.hardware,
            date=s.date,
            references="; ".join(s.references) or s.source,
            submitted=True,
            config={axis: {"name": entry} if isinstance(entry, str) else {"params": {}, **entry} for axis, entry in s.match.items()},
            contact=s.contact,
        )
        for s in submissions
    ]


def rank(rows: list[Row], higher_is_better: bool) -> list[Row]:
    """Sort by test mean, assign competition ranks and mark rows tied with the best."""
    ordered = sorted(rows, key=lambda r: -r.test.mean if higher_is_better else r.test.mean)
    for position, row in enumerate(ordered):
        same_as_previous = position > 0 and same_mean(row.test.mean, ordered[position - 1].test.mean)
        row.rank = ordered[position - 1].rank if same_as_previous else position + 1
    if ordered:
        best = ordered[0]
        for row in ordered:
            row.p_vs_best = None if row is best else welch_p_value(row.test, best.test)
            row.tied_with_best = row.rank == 1 or (row.p_vs_best is not None and row.p_vs_best >= SIGNIFICANCE)
    return ordered


def _cells(row: Row) -> list[str]:
    rank_text = f"{row.rank}{'*' if row.tied_with_best and row.rank != 1 else ''}"
    return [
        rank_text,
        row.method + ("" if row.submitted else " (ours)"),
        "Yes" if row.ext_data else "No",
        row.test.format(),
        row.valid.format() if row.valid else "",
        str(row.test.n),
        row.protocol,
        f"{row.params:,}" if isinstance(row.params, int) else "",
        format_seconds(row.seconds),
        row.hardware or "",
        row.date or "",
        row.contact or "",
        row.references,
    ]


def render(dataset: str, metric: str, higher_is_better: bool, rows: list[Row], out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``<dataset>.md`` and ``<dataset>.csv`` into ``out_dir``; return their paths."""
    import pandas as pd
    from tabulate import tabulate

    shown = display_name(metric)
    headers = [c.format(metric=shown) for c in COLUMNS]
    table = [_cells(row) for row in rank(rows, higher_is_better)]
    direction = "higher is better" if higher_is_better else "lower is better"
    markdown = "\n".join(
        [
            f"# {dataset}",
            "",
            f"Metric: {shown} ({direction}). Mean ± unbiased standard deviation over a row's runs"
            " (Protocol: its splits x its seeds; per-seed splits draw split and initialisation from one seed).",
            "",
            tabulate(table, headers=headers, tablefmt="github", disable_numparse=True),
            "",
            f"`*` not significantly different from rank 1 (Welch's t-test, p ≥ {SIGNIFICANCE}).",
            "Rows marked (ours) come from this harness's records; the others are submitted entries",
            f"under `submissions/{dataset}/`.",
            *_configurations(rows),
            "",
        ]
    )
    out_dir = Path(out_dir)
    stem = path_component(dataset)
    md_path, csv_path = out_dir / f"{stem}.md", out_dir / f"{stem}.csv"
    write_text_atomic(md_path, markdown)
    write_text_atomic(csv_path, pd.DataFrame(table, columns=headers).to_csv(index=False))
    return md_path, csv_path


def _configurations(rows: list[Row]) -> list[str]:
    """The resolved parameters behind each of our rows, so that a table states its
    hyper-parameters as OGB asks of a submission."""
    ours = [row for row in rows if not row.submitted]
    if not ours:
        return []
    lines = ["", "## Configurations", ""]
    for row in ours:
        parts = [f"{axis} `{row.config[axis]['name']}` {json.dumps(row.config[axis]['params'], sort_keys=True)}" for axis in AXES]
        if "split" in row.config:
            parts.append(f"split {row.config['split']['protocol']}" + (f" ({row.config['split']['count']} folds)" if row.config["split"]["count"] else ""))
        lines.append(f"- config {config_id(row.config)} ({row.method}): " + "; ".join(parts))
    return lines


def build_tables(records, submissions_dir, datasets: Iterable[str] | None = None):
    """Per table: (metric, higher_is_better, rows) from records and submissions together;
    ``submissions_dir`` is one folder of entries or a list of them (see :mod:`harness.submissions`).
    Submitted entries join the table of their dataset and metric (an entry without a metric, in
    a folder without ``_dataset.yaml``, joins its dataset's only table)."""
    from harness.submissions import folder_metric, load_submissions, submitted_datasets

    tables = rows_from_records(records)
    dataset_of = {name: rows[0].config["dataset"]["name"] for name, (_, _, rows) in tables.items()}
    wanted = set(datasets) if datasets is not None else set(dataset_of.values()) | set(submitted_datasets(submissions_dir))
    result = {name: table for name, table in tables.items() if dataset_of[name] in wanted}
    for dataset in sorted(wanted):
        default = folder_metric(submissions_dir, dataset)
        by_metric: dict[str | None, list[Submission]] = defaultdict(list)
        for submission in load_submissions(submissions_dir, dataset):
            by_metric[submission.metric or default].append(submission)
        for metric, entries in by_metric.items():
            name = _table_of(result, dataset_of, dataset, metric)
            submitted = rows_from_submissions(entries)
            if name in result:
                table_metric, higher, rows = result[name]
                result[name] = (table_metric, higher, rows + submitted)
            else:
                result[name] = (metric or "score", metrics.installed().higher_is_better(metric) if metric else True, submitted)
                dataset_of[name] = dataset
    return dict(sorted(result.items()))


def _table_of(result, dataset_of, dataset: str, metric: str | None) -> str:
    """The table submitted entries of ``dataset`` with ``metric`` join (None: any metric)."""
    tables = [name for name in result if dataset_of.get(name) == dataset]
    matching = [name for name in tables if metric is None or result[name][0] == metric]
    if matching:
        return matching[0]
    return f"{dataset}-{metric}" if tables else dataset
