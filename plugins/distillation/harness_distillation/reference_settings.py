"""The settings LTD's reference code uses, as data: a parameter left at null takes its value here.

- ``ltd_settings.csv``: per (dataset, backbone), the student's SGD step size (``lr``, the
  reference's ``my_lr``), the temperature model's (``temperature_lr``, ``my_t_lr``), the
  hard-label weight ``lam`` and the temperature scale ``k`` (``scale``), from
  ``predefined_configs`` in ``spawn_worker.py`` of github.com/BUPT-GAMMA/LTD, found there by
  Optuna (the appendix's Table 6 agrees, but for SGC on Amazon Photo: the code's values are
  kept); and FT's global temperature (``ft_temperature``) from the appendix's Table 5 (the
  repository has no FT code). FT's hard-label weights of that table are left out: FT's step
  size is given nowhere, and with LTD's step they can diverge (GAT on Cora: lam 50 where LTD
  uses 1, test accuracy 0.24), so FT/KD takes LTD's ``lam`` with LTD's step. Datasets are named as in this
  harness, backbones by their harness names.
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


def fill(params: dict, filename: str, what: str, columns: dict | None = None, **key: str) -> dict:
    """``params`` with every null value that the table has for ``key`` filled in from it (the
    column of the parameter's name, or the one ``columns`` maps it to); a null value the table
    cannot fill is an error naming what it covers."""
    missing = [name for name, value in params.items() if value is None]
    if not missing:
        return dict(params)
    reference = _lookup(filename, what, **key)
    columns = columns or {}
    return {**params, **{name: reference[columns.get(name, name)] for name in missing}}


#: FT/KD's own columns for its parameters
FT_COLUMNS = {"temperature": "ft_temperature"}


def student(dataset: str, backbone: str, columns: dict | None = None, **params) -> dict:
    """``lr``, ``temperature_lr``, ``lam``, ``scale``, ``temperature`` (those given as None)
    for a cell; ``columns``: :data:`FT_COLUMNS` for FT/KD."""
    return fill(params, "ltd_settings.csv", "tuned student setting", columns, dataset=dataset, backbone=backbone)


def teacher(backbone: str, **params) -> dict:
    """``lr`` and ``weight_decay`` (those given as None) of the teacher for ``backbone``."""
    return fill(params, "teacher_settings.csv", "teacher setting", backbone=backbone)
