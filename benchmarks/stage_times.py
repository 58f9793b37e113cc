"""Wall time per cell and the share of each part (encoder, gnn, joint) that the node-encoder
methods record in ``extra.seconds``, per method and backbone, from a results folder:

    .venv/bin/python benchmarks/stage_times.py --results-dir results [--dataset citeseer-tag]

Cached stages cost nothing in the cells that reuse them, so the shares are per cell as run; the
first cell of a seed pays for a shared encoder stage (finetuned, giant)."""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict

from tabulate import tabulate

from harness.record import Record
from harness.store import ResultStore


def summarise(records, dataset: str | None = None) -> list[list[str]]:
    """One row per (method, backbone) of the complete records (typed, or their JSON form)."""
    groups = defaultdict(list)
    for record in map(Record.of, records):
        if not record.complete or (dataset and record.dataset_name != dataset):
            continue
        groups[(record.cell.method.name, record.cell.backbone.display())].append(record)
    rows = []
    for (method, backbone), group in sorted(groups.items()):
        walls = [r.wall_time_s or 0.0 for r in group]
        parts = defaultdict(float)
        for record in group:
            for part, seconds in record.extra.get("seconds", {}).items():
                parts[part] += seconds
        total = sum(walls)
        shares = ", ".join(f"{part} {100 * seconds / total:.0f}%" for part, seconds in sorted(parts.items()))
        rows.append([method, backbone, len(group), f"{statistics.mean(walls):.1f}", f"{min(walls):.1f}-{max(walls):.1f}", shares])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results-dir", default="results")
    parser.add_argument("--dataset", default=None)
    args = parser.parse_args()
    rows = summarise(ResultStore(args.results_dir).load(), args.dataset)
    print(tabulate(rows, headers=["method", "backbone", "cells", "mean s / cell", "range", "share of wall time"], tablefmt="github"))


if __name__ == "__main__":
    main()
