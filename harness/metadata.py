"""Dataset metadata as data: a CSV table per plugin (OGB's ``master.csv`` is the model) with one
row per dataset, read without torch. A plugin turns its rows into component declarations with
:func:`dataset_components`, so task type, metric, split and published statistics live in the
table, not in code branches.

Columns: ``name``, ``task_type``, ``metric``, ``factory`` (``module:attribute``), ``doc``, and
any others (``split``, ``nodes``, ``edges``, ``classes``, ``graphs``, ``tasks``, ``source``,
``provides`` as ``a|b``, ...) that end up in the component's metadata.
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import Callable, Iterable

from harness.components import Component, Param

REQUIRED = ("name", "task_type", "metric", "factory", "doc")


def read_table(package: str, filename: str = "datasets.csv") -> list[dict[str, str]]:
    with resources.files(package).joinpath(filename).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        absent = [column for column in REQUIRED if not row.get(column)]
        if absent:
            raise ValueError(f"{package}/{filename}: row {row.get('name')!r} lacks {absent}")
    return rows


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def dataset_components(
    rows: Iterable[dict[str, str]],
    params: Callable[[dict[str, str]], Iterable[Param]] = lambda row: (),
    preflight: str | None = None,
    version: str = "1",
    arguments: Callable[[dict[str, str]], dict] = lambda row: {},
) -> list[Component]:
    """One dataset declaration per row; ``arguments(row)`` gives the factory's fixed keyword
    arguments (for a loader shared by many rows, typically ``{"name": row["name"]}``)."""
    components = []
    for row in rows:
        extra = {key: _value(value) for key, value in row.items() if key not in (*REQUIRED, "provides", "version") and value != ""}
        components.append(
            Component(
                kind="dataset",
                name=row["name"],
                factory=row["factory"],
                doc=row["doc"],
                params=tuple(params(row)),
                version=row.get("version") or version,
                task_types={row["task_type"]},
                provides=frozenset(filter(None, (row.get("provides") or "").split("|"))),
                metadata={"metric": row["metric"], **extra},
                preflight=preflight,
                arguments=arguments(row),
            )
        )
    return components


def download_param(source: str, into: str) -> Param:
    """The ``download`` switch of a dataset fetched from ``source`` into ``into`` (an operational
    parameter: it never changes a result, so it stays out of cell ids)."""
    return Param(
        "download", "bool", False,
        f"fetch missing files from {source} into {into}, with bounded time, before any cell runs (needs a writable data root and HARNESS_OFFLINE unset)",
        affects_results=False,
    )
