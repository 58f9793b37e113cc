"""The settings LTD's reference code uses, as data: a parameter left at null takes its value here.

- ``ltd_settings.csv``: per (dataset, backbone), the student's SGD step size (``lr``, the
  reference's ``my_lr``), the temperature model's (``temperature_lr``, ``my_t_lr``), the
  hard-label weight ``lam`` and the temperature scale ``k`` (``scale``), from
  ``predefined_configs`` in ``spawn_worker.py`` of github.com/BUPT-GAMMA/LTD, found there by
  Optuna; datasets are named as in this harness, backbones by their harness names.
- ``teacher_settings.csv``: per backbone, the teacher's Adam learning rate and weight decay
  (``models/train.conf.yaml`` of the same repository, which trains the teachers).

Torch-free: read when a method is built.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def _table(filename: str) -> tuple[dict[str, str], ...]:
    with resources.files("harness_distillation").joinpath(filename).open(encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def _lookup(filename: str, what: str, **key: str) -> dict[str, float]:
    rows = _table(filename)
    for row in rows:
        if all(row[column] == value for column, value in key.items()):
            return {column: float(value) for column, value in row.items() if column not in key}
    known = sorted({", ".join(row[column] for column in key) for row in rows})
    given = ", ".join(key.values())
    raise ValueError(f"LTD's reference code has no {what} for ({given}); it has them for {'; '.join(known)}: give the parameters explicitly")


def fill(params: dict, filename: str, what: str, **key: str) -> dict:
    """``params`` with every null value that the table has for ``key`` filled in from it; a
    null value the table cannot fill is an error naming what it covers."""
    missing = [name for name, value in params.items() if value is None]
    if not missing:
        return dict(params)
    reference = _lookup(filename, what, **key)
    return {**params, **{name: reference[name] for name in missing}}


def student(dataset: str, backbone: str, **params) -> dict:
    """``lr``, ``temperature_lr``, ``lam``, ``scale`` (those given as None) for a cell."""
    return fill(params, "ltd_settings.csv", "tuned student setting", dataset=dataset, backbone=backbone)


def teacher(backbone: str, **params) -> dict:
    """``lr`` and ``weight_decay`` (those given as None) of the teacher for ``backbone``."""
    return fill(params, "teacher_settings.csv", "teacher setting", backbone=backbone)
