"""Submitted leaderboard entries: ``leaderboards/submissions/<dataset>/*.yaml``, one entry per
file, each with its provenance. Scores are given as mean/std/seeds or as per-seed lists. An
optional ``_dataset.yaml`` in the folder names the metric of its entries (``metric: acc``); an
entry may name its own (``metric: hits@50``). Either must be a registered metric
(:mod:`harness.metrics`): an unknown one is refused with the valid choices.

A plugin ships its own entries the same way, in a ``submissions/`` folder inside its package
(``<package>/submissions/<dataset>/*.yaml``): :func:`plugin_folders` finds those of every loaded
plugin, and the leaderboard, ``compare`` and ``plot`` read them beside the submissions folder.
Every function that reads entries takes one folder or a list of folders.

Example::

    method: GAT
    test: {mean: 0.830, std: 0.007}
    valid: null
    seeds: 100
    ext_data: false
    params: null
    hardware: null
    date: 2018-02-04
    references: [https://arxiv.org/abs/1710.10903]
    source: Velickovic et al., ICLR 2018, Table 2
    match: {backbone: gat, method: supervised}   # optional: which harness rows it compares to
    metric: acc                                  # optional: else the folder's _dataset.yaml
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence, Union

import yaml

from harness import metrics
from harness.stats import ScoreSummary

REQUIRED = ("method", "test", "source")
#: The folder inside a plugin package that holds the entries it ships.
PLUGIN_FOLDER = "submissions"
Folders = Union[str, Path, Sequence[Union[str, Path]]]
KNOWN = REQUIRED + ("valid", "seeds", "ext_data", "params", "hardware", "date", "references", "contact", "match", "notes", "dataset", "metric")
DATASET_FILE = "_dataset.yaml"


class SubmissionError(ValueError):
    pass


@dataclass
class Submission:
    dataset: str
    method: str
    test: ScoreSummary
    valid: ScoreSummary | None
    source: str
    path: str
    ext_data: bool = False
    params: int | None = None
    hardware: str | None = None
    date: str | None = None
    references: list[str] = field(default_factory=list)
    contact: str | None = None
    match: dict[str, str] = field(default_factory=dict)
    #: the entry's own metric; None: the one of the folder's ``_dataset.yaml``
    metric: str | None = None


def registered_metric(path: Path, value: Any) -> str:
    """``value`` when it names a registered metric; else :class:`SubmissionError` saying which
    file, and the valid choices."""
    try:
        return metrics.installed().spec(str(value)).reference
    except metrics.UnknownMetric as error:
        raise SubmissionError(f"{path}: metric: {error}") from None


def _summary(path: Path, key: str, value: Any, seeds: int | None) -> ScoreSummary | None:
    if value is None:
        return None
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        return ScoreSummary.of(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ScoreSummary(float(value), None, seeds or 1)
    if isinstance(value, dict) and isinstance(value.get("mean"), (int, float)):
        std = value.get("std")
        if std is not None and not isinstance(std, (int, float)):
            raise SubmissionError(f"{path}: {key}.std must be a number")
        return ScoreSummary(float(value["mean"]), None if std is None else float(std), seeds or 1)
    raise SubmissionError(f"{path}: {key} must be {{mean, std}}, a number, or a list of per-seed scores; got {value!r}")


def load_submission(path: Path, dataset: str) -> Submission:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise SubmissionError(f"{path}: YAML syntax error: {error}") from None
    if not isinstance(raw, dict):
        raise SubmissionError(f"{path}: must be a mapping with keys {', '.join(REQUIRED)}")
    missing = [key for key in REQUIRED if key not in raw]
    unknown = [key for key in raw if key not in KNOWN]
    if missing or unknown:
        raise SubmissionError(f"{path}: missing {missing}, unknown {unknown}; valid keys: {', '.join(KNOWN)}")
    seeds = raw.get("seeds")
    for key in ("seeds", "params"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise SubmissionError(f"{path}: {key} must be a positive integer (e.g. 664233700, no separators); got {value!r}")
    if raw["test"] is None:
        raise SubmissionError(f"{path}: test must be {{mean, std}}, a number, or a list of per-seed scores; got None")
    references = raw.get("references") or []
    metric = registered_metric(path, raw["metric"]) if raw.get("metric") is not None else None
    return Submission(
        dataset=dataset,
        method=str(raw["method"]),
        test=_summary(path, "test", raw["test"], seeds),
        valid=_summary(path, "valid", raw.get("valid"), seeds),
        source=str(raw["source"]),
        path=str(path),
        ext_data=bool(raw.get("ext_data", False)),
        params=raw.get("params"),
        hardware=raw.get("hardware"),
        date=str(raw["date"]) if raw.get("date") else None,
        references=[references] if isinstance(references, str) else list(references),
        contact=raw.get("contact"),
        match=dict(raw.get("match") or {}),
        metric=metric,
    )


def _folders(folders: Folders) -> list[Path]:
    return [Path(folders)] if isinstance(folders, (str, Path)) else [Path(f) for f in folders]


def folder_metric(folders: Folders, dataset: str) -> str | None:
    """The metric named by the first ``<folder>/<dataset>/_dataset.yaml``, or None without one."""
    path = dataset_file(folders, dataset)
    if path is None:
        return None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SubmissionError(f"{path}: YAML syntax error: {error}") from None
    metric = raw.get("metric") if isinstance(raw, dict) else None
    return None if metric is None else registered_metric(path, metric)


def load_submissions(folders: Folders, dataset: str) -> list[Submission]:
    """The entries for ``dataset`` in one submissions folder or several, folder by folder."""
    entries = []
    for folder in _folders(folders):
        folder = folder / dataset
        if folder.is_dir():
            entries += [load_submission(path, dataset) for path in sorted(folder.glob("*.yaml")) if not path.name.startswith("_")]
    return entries


def submitted_datasets(folders: Folders) -> list[str]:
    """The datasets that have a folder of entries in any of ``folders``."""
    return sorted({p.name for folder in _folders(folders) if folder.is_dir() for p in folder.iterdir() if p.is_dir()})


def dataset_file(folders: Folders, dataset: str) -> Path | None:
    """The first ``<folder>/<dataset>/_dataset.yaml`` of ``folders`` (which names the metric)."""
    return next((f / dataset / DATASET_FILE for f in _folders(folders) if (f / dataset / DATASET_FILE).is_file()), None)


def plugin_folders(plugins) -> list[Path]:
    """The :data:`PLUGIN_FOLDER` of every loaded plugin package that ships one (a
    :class:`harness.plugins.Plugins`; single-module plugins and the core itself ship none)."""
    folders: list[Path] = []
    for info in plugins.loaded:
        module = plugins.pm.get_plugin(info.name)
        top = sys.modules.get(getattr(module, "__name__", "").partition(".")[0])
        if top is None or top.__name__ == "harness":
            continue
        for base in getattr(top, "__path__", ()):  # only packages have a __path__
            folder = Path(base) / PLUGIN_FOLDER
            if folder.is_dir() and folder not in folders:
                folders.append(folder)
    return folders
