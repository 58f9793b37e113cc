"""Slices of a grid: ``harness run --only KEY=VALUE`` keeps the cells that match.

A key is an axis (``dataset``, ``encoder``, ``backbone``, ``method``: an entry's label or its
component name), ``seed``, or ``fold`` (the fold of a ``folds`` split). Several values of one key widen the slice (either value matches);
different keys narrow it (every key must match). A key that is not one of these, or a value that
no cell of the grid has, is bad input: the error lists what the grid offers.
"""

from __future__ import annotations

from collections import defaultdict

from harness.cell import AXES, FOLDS, Cell

KEYS = (*AXES, "seed", "fold")


class SliceError(ValueError):
    """An ``--only`` filter that names no key or no value of the grid."""


def _values(cell: Cell, key: str) -> set[str]:
    if key == "seed":
        return {str(cell.seed)}
    if key == "fold":
        return {str(cell.split.index)} if cell.split.protocol == FOLDS else set()
    ref = getattr(cell, key)
    return {ref.name} | ({ref.label} if ref.label else set())


def parse(specs: list[str]) -> dict[str, set[str]]:
    """``["method=ld", "seed=0", "seed=1"]`` -> ``{"method": {"ld"}, "seed": {"0", "1"}}``."""
    from harness.suggest import suggest

    wanted: dict[str, set[str]] = defaultdict(set)
    for spec in specs:
        key, sep, value = spec.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise SliceError(f"--only {spec!r}: expected KEY=VALUE with KEY one of {', '.join(KEYS)}")
        if key not in KEYS:
            raise SliceError(f"--only {spec!r}: unknown key {key!r}; {suggest(key, list(KEYS))}")
        wanted[key].add(value)
    return dict(wanted)


def select(cells: list[Cell], wanted: dict[str, set[str]]) -> list[Cell]:
    """The cells matching every key of ``wanted``; a value no cell has is an error."""
    from harness.suggest import suggest

    for key, values in wanted.items():
        offered = sorted(set().union(*(_values(cell, key) for cell in cells))) if cells else []
        for value in sorted(values - set(offered)):
            raise SliceError(f"--only {key}={value}: no cell of the grid has this {key}; {suggest(value, offered)}")
    return [cell for cell in cells if all(_values(cell, key) & values for key, values in wanted.items())]
