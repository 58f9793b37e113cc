"""More leaderboards from the same records, as a grid's ``leaderboards:`` section asks for:

- ``metrics: [recall@20, ndcg@20]``: for every dataset whose records also report one of these
  metrics (a task's ``extra_metrics``), a table ranked by it, ``<dataset>-<metric>`` (``@``
  written ``-at-`` in names: ``usair-ranking-recall-at-20``);
- ``groups: [eval1]``: for each named group of the grid, a table of the group's average,
  ``group-<name>-<metric>``, for the task's metric of its members and for each metric above.

A group row is one configuration of encoder, backbone and method (and split protocol): for each
seed (and split index) the mean of its score over the group's datasets that report the metric,
kept only when every one of them has a complete record for that seed, so that a row never
averages over a different set of graphs than another. Its mean and deviation are then taken
over those per-seed averages, as for a dataset's row. The table's configurations list the
datasets averaged.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from harness import metrics
from harness.cell import AXES, ComponentRef
from harness.leaderboard import rows_from_records
from harness.record import Record


@dataclass(frozen=True)
class TableRequest:
    """The extra tables a grid asks for: metrics, and groups by name with their datasets."""

    metrics: tuple[str, ...] = ()
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.metrics or self.groups)


def table_suffix(metric: str) -> str:
    """A metric as part of a table's file name: ``recall@20`` -> ``recall-at-20``."""
    return metric.replace("@", "-at-")


def metric_view(record: Record, metric: str) -> Record | None:
    """``record`` scored by another metric it reports, or None when it does not report it."""
    scores = record.metrics or {}
    if metric == record.metric or metric not in scores.get("test", {}):
        return None
    return replace(record, metric=metric, test=scores["test"][metric], valid=scores.get("valid", {}).get(metric),
                   higher_is_better=metrics.installed().higher_is_better(metric))


def _scored_by(record: Record, metric: str) -> Record | None:
    return record if record.metric == metric else metric_view(record, metric)


def metric_tables(records: Iterable[Record], metric: str) -> dict[str, tuple[str, bool, list]]:
    """``<dataset>-<metric>`` tables from the records that report ``metric`` beside their own."""
    views = [view for view in map(lambda r: metric_view(r, metric), records) if view is not None]
    return {f"{record_table}-{table_suffix(metric)}": table for record_table, table in rows_from_records(views).items()}


def _row_key(record: Record) -> str:
    key = {axis: record.config[axis] for axis in AXES if axis != "dataset"}
    split = record.config.get("split") or {}
    key["split"] = {"protocol": split.get("protocol"), "count": split.get("count")}
    return json.dumps(key, sort_keys=True)


def group_view(name: str, members: list[Record]) -> Record:
    """One record standing for the mean of ``members`` (one per dataset, same configuration and seed)."""
    first = members[0]
    datasets = sorted(record.cell.dataset.display() for record in members)
    dataset = {"name": f"group {name}", "params": {"datasets": datasets}, "version": ""}
    mean = lambda values: None if any(v is None for v in values) else sum(values) / len(values)  # noqa: E731
    return replace(
        first,
        cell=replace(first.cell, dataset=ComponentRef(name=f"group {name}", params={"datasets": datasets})),
        config={**first.config, "dataset": dataset},
        test=mean([r.test for r in members]),
        valid=mean([r.valid for r in members]),
        num_params=round(sum(r.num_params or 0 for r in members) / len(members)),
        wall_time_s=sum(r.wall_time_s or 0.0 for r in members),
        external_data=any(r.external_data for r in members),
    )


def group_tables(records: Iterable[Record], name: str, datasets: Iterable[str], extra_metrics: Iterable[str] = ()) -> dict[str, tuple[str, bool, list]]:
    """``group-<name>-<metric>`` tables (see the module docstring)."""
    wanted = set(datasets)
    members = [r for r in records if r.complete and r.isolated and r.dataset_name in wanted]
    measured = sorted({r.metric for r in members if r.metric} | set(extra_metrics))
    tables = {}
    for metric in measured:
        scored = [view for view in (_scored_by(r, metric) for r in members) if view is not None]
        reporting = {json.dumps(r.config["dataset"], sort_keys=True) for r in scored}
        runs: dict[tuple, dict[str, Record]] = defaultdict(dict)
        for record in scored:
            index = record.split.index if record.split is not None else None
            runs[(_row_key(record), record.seed, index)][json.dumps(record.config["dataset"], sort_keys=True)] = record
        views = [group_view(name, list(by_dataset.values())) for by_dataset in runs.values() if set(by_dataset) == reporting]
        for table in rows_from_records(views).values():
            tables[f"group-{name}-{table_suffix(metric)}"] = table
    return tables


def extra_tables(records: Iterable[Record | dict[str, Any]], request: TableRequest) -> dict[str, tuple[str, bool, list]]:
    """Every table ``request`` asks for, by name."""
    typed = [Record.of(record) for record in records]
    tables: dict[str, tuple[str, bool, list]] = {}
    for metric in request.metrics:
        tables.update(metric_tables(typed, metric))
    for name, datasets in request.groups.items():
        tables.update(group_tables(typed, name, datasets, request.metrics))
    return dict(sorted(tables.items()))
