"""Submitted leaderboard entries: ``leaderboards/submissions/<dataset>/*.yaml``, one entry per
file, each with its provenance. Scores are given as mean/std/seeds or as per-seed lists. An
optional ``_dataset.yaml`` in the folder names the metric of its entries (``metric: acc``); an
entry may name its own (``metric: hits@50``). Either must be a registered metric
(:mod:`harness.metrics`): an unknown one is refused with the valid choices.

A plugin ships its own entries the same way, in a ``submissions/`` folder inside its package
(``<package>/submissions/<dataset>/*.yaml``): :func:`plugin_folders` finds those of every loaded
plugin, and the leaderboard, ``compare`` and ``plot`` read them beside the submissions folder.
Every function that reads entries takes one folder or a list of folders.

A dataset's folder is named by :func:`harness.safe_names.path_component`, as its records' folder
is: a plain name (``cora``, ``ogbn-arxiv``) is its own folder, and any other name (``..``,
``a/b``) gets a cleaned one inside the submissions folder, never a path elsewhere. A folder whose
name is neither plain nor such a cleaned name is refused, with the folder its dataset's entries
belong in. An entry's optional ``dataset`` must name the dataset of its folder.

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
                                                 # (an axis may also be {name: ..., params: {...}})
    metric: acc                                  # optional: else the folder's _dataset.yaml
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence, Union

import yaml

from harness import metrics
from harness.safe_names import path_component
from harness.stats import ScoreSummary
from harness.suggest import suggest

REQUIRED = ("method", "test", "source")
#: The folder inside a plugin package that holds the entries it ships.
PLUGIN_FOLDER = "submissions"
Folders = Union[str, Path, Sequence[Union[str, Path]]]
KNOWN = REQUIRED + ("valid", "seeds", "ext_data", "params", "hardware", "date", "references", "contact", "match", "notes", "dataset", "metric")
#: the keys of a score given as a mapping (``test: {mean: 0.83, std: 0.007}``)
SCORE_KEYS = ("mean", "std")
#: the axes an entry's ``match`` may name (the dataset is its folder's)
MATCH_AXES = ("encoder", "backbone", "method")
DATASET_FILE = "_dataset.yaml"
SCORE_FORMS = "{mean, std}, a number, or a list of per-seed scores"
#: the folder name :func:`path_component` gives a name that is not a plain file name
CLEANED_FOLDER = re.compile(r".*~[0-9a-f]{12}")
PLAIN_NAMES = "ASCII letters, digits, '-', '_' and '.', not starting with '.'"


def _matchable(entry: Any) -> bool:
    """A ``match`` value: a component name, or a name with the parameter values that tell its
    row apart (``{name: supervised-pretrain, params: {init: contextpred}}``)."""
    if isinstance(entry, str):
        return True
    return (isinstance(entry, dict) and set(entry) <= {"name", "params"} and isinstance(entry.get("name"), str)
            and isinstance(entry.get("params", {}), dict))


class SubmissionError(ValueError):
    """Entries that cannot be read; ``problems`` holds one line per problem (file, field, what
    is valid), across every file read."""

    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            super().__init__(self.problems[0])
        else:
            super().__init__(f"{len(self.problems)} problems in submitted entries:\n" + "\n".join(f"  {p}" for p in self.problems))


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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Problems:
    """The problems found in one file, each as ``<file>: <field>: <what is wrong and valid>``."""

    def __init__(self, path: Path):
        self.path = path
        self.found: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.found.append(f"{self.path}: {where}: {problem}")


def _score(problems: _Problems, where: str, value: Any) -> float | None:
    """``value`` as a finite score, or None after noting why it is not one."""
    if not _is_number(value):
        problems.add(where, f"must be a number, got {value!r}")
        return None
    if not math.isfinite(value):
        problems.add(where, f"must be a finite number, got {value!r}")
        return None
    return float(value)


def _summary(problems: _Problems, key: str, value: Any, seeds: int | None) -> ScoreSummary | None:
    if value is None:
        return None
    if isinstance(value, list) and value:
        scores = [_score(problems, f"{key}[{i}]", v) for i, v in enumerate(value)]
        return None if None in scores else ScoreSummary.of(scores)
    if _is_number(value):
        mean = _score(problems, key, value)
        return None if mean is None else ScoreSummary(mean, None, seeds or 1)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in SCORE_KEYS]
        for name in unknown:
            problems.add(f"{key}.{name}", f"unknown key; {suggest(str(name), list(SCORE_KEYS))}")
        if "mean" not in value:
            problems.add(key, f"lacks 'mean'; give {SCORE_FORMS}")
            return None
        mean = _score(problems, f"{key}.mean", value["mean"])
        std = value.get("std")
        if std is not None:
            std = _score(problems, f"{key}.std", std)
            if std is not None and std < 0:
                problems.add(f"{key}.std", f"must not be negative, got {std!r}")
                std = None
            elif std is not None and seeds is None:
                problems.add(f"{key}.std", "is given without the number of runs it is over: add seeds: N")
        return None if mean is None or unknown else ScoreSummary(mean, std, seeds or 1)
    problems.add(key, f"must be {SCORE_FORMS}; got {value!r}")
    return None


def _in_range(problems: _Problems, key: str, summary: ScoreSummary | None, raw: Any, reference: str | None) -> None:
    """Every score of ``key`` lies in the declared range of the entry's metric."""
    if summary is None or reference is None:
        return
    try:
        bounds = metrics.installed().spec(reference).range
    except metrics.UnknownMetric:
        return  # reported where the metric is read
    if bounds is None:
        return
    low, high = bounds
    scores = raw if isinstance(raw, list) else [summary.mean]
    for score in scores:
        if not low <= score <= high:
            hint = " (a percentage? give it as a fraction)" if high == 1 and 1 < score <= 100 else ""
            problems.add(key, f"{score!r} is outside the range of metric {reference!r}, [{low:g}, {high:g}]{hint}")
            return


def _text(problems: _Problems, raw: dict, key: str, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(key, f"must be {'a non-empty' if required else 'a'} string, got {value!r}")
        return None
    return value


def _read(path: Path, problems: _Problems) -> Any:
    """The YAML document of ``path``; None after noting why it cannot be read."""
    if path.is_dir():
        problems.add("file", "is a folder, not an entry file (an entry is one YAML file)")
        return None
    try:
        return yaml.safe_load(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        problems.add("file", "is not a UTF-8 text file (binary?); an entry is one YAML mapping")
    except yaml.YAMLError as error:
        problems.add("file", f"YAML syntax error: {' '.join(str(error).split())}")
    except OSError as error:
        problems.add("file", f"cannot be read: {error.strerror or error}")
    return None


def _check(path: Path, dataset: str, problems: _Problems, folder_metric: str | None = None) -> Submission | None:
    """Read one entry, noting every problem it has; None when it has any."""
    raw = _read(path, problems)
    if problems.found:
        return None
    if not isinstance(raw, dict):
        problems.add("file", f"must be a mapping with keys {', '.join(REQUIRED)} (got {type(raw).__name__})")
        return None
    missing = [key for key in REQUIRED if key not in raw]
    if missing:
        problems.add("keys", f"missing {missing} (required: {', '.join(REQUIRED)})")
    for key in raw:
        if key not in KNOWN:
            problems.add(str(key), f"unknown {[key]}; {suggest(str(key), list(KNOWN))}")
    seeds = raw.get("seeds")
    for key in ("seeds", "params"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            problems.add(key, f"must be a positive integer (e.g. 664233700, no separators); got {value!r}")
            if key == "seeds":
                seeds = None
    metric = None
    if raw.get("metric") is not None:
        try:
            metric = registered_metric(path, raw["metric"])
        except SubmissionError as error:
            problems.found += error.problems
    if "test" in raw and raw["test"] is None:
        problems.add("test", f"must be {SCORE_FORMS}; got None")
    test = _summary(problems, "test", raw.get("test"), seeds)
    valid = _summary(problems, "valid", raw.get("valid"), seeds)
    for key, summary in (("test", test), ("valid", valid)):
        _in_range(problems, key, summary, raw.get(key), metric or folder_metric)
    method = _text(problems, raw, "method", required="method" in raw)
    source = _text(problems, raw, "source", required="source" in raw)
    hardware, contact = _text(problems, raw, "hardware"), _text(problems, raw, "contact")
    _text(problems, raw, "notes")
    ext_data = raw.get("ext_data", False)
    if ext_data is not None and not isinstance(ext_data, bool):
        problems.add("ext_data", f"must be true or false, got {ext_data!r}")
    references = raw.get("references") or []
    references = [references] if isinstance(references, str) else references
    if not (isinstance(references, list) and all(isinstance(r, str) for r in references)):
        problems.add("references", f"must be a list of strings (links or citations), got {raw.get('references')!r}")
    match = raw.get("match") or {}
    if not isinstance(match, dict):
        problems.add("match", f"must be a mapping of axis to component name (such as {{backbone: gcn, method: supervised}}), got {match!r}")
    else:
        for axis, name in match.items():
            if axis not in MATCH_AXES:
                problems.add(f"match.{axis}", f"unknown axis; {suggest(str(axis), list(MATCH_AXES))}")
            elif not _matchable(name):
                problems.add(f"match.{axis}", f"must be a component name (a string) or {{name: <component>, params: {{...}}}} (the parameters that set the row apart), got {name!r}")
    if raw.get("dataset") is not None and raw["dataset"] != dataset:
        problems.add("dataset", f"names {raw['dataset']!r}, but the entry lies in the folder of dataset {dataset!r}; move it, or leave the key out")
    if problems.found:
        return None
    return Submission(
        dataset=dataset,
        method=method,
        test=test,
        valid=valid,
        source=source,
        path=str(path),
        ext_data=bool(ext_data),
        params=raw.get("params"),
        hardware=hardware,
        date=str(raw["date"]) if raw.get("date") else None,
        references=list(references),
        contact=contact,
        match=dict(match),
        metric=metric,
    )


def load_submission(path: Path, dataset: str, folder_metric: str | None = None) -> Submission:
    """One entry; :class:`SubmissionError` listing every problem it has (``folder_metric``: the
    metric of its folder's ``_dataset.yaml``, whose range its scores must lie in)."""
    problems = _Problems(path)
    submission = _check(path, dataset, problems, folder_metric)
    if submission is None:
        raise SubmissionError(problems.found)
    return submission


def _folders(folders: Folders) -> list[Path]:
    return [Path(folders)] if isinstance(folders, (str, Path)) else [Path(f) for f in folders]


def folder_metric(folders: Folders, dataset: str) -> str | None:
    """The metric named by the first ``_dataset.yaml`` of ``dataset``'s folders, or None without one."""
    path = dataset_file(folders, dataset)
    if path is None:
        return None
    problems = _Problems(path)
    raw = _read(path, problems) or {}
    if problems.found:
        raise SubmissionError(problems.found)
    metric = raw.get("metric") if isinstance(raw, dict) else None
    return None if metric is None else registered_metric(path, metric)


def load_submissions(folders: Folders, dataset: str) -> list[Submission]:
    """The entries for ``dataset`` in one submissions folder or several, folder by folder.
    Every file is read before anything is refused: one :class:`SubmissionError` lists the
    problems of every bad file (and of the folder's ``_dataset.yaml``)."""
    entries, problems = [], []
    try:
        default = folder_metric(folders, dataset)
    except SubmissionError as error:
        default, problems = None, list(error.problems)
    for folder in _folders(folders):
        folder = dataset_folder(folder, dataset)
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            if path.name.startswith("_"):
                continue
            found = _Problems(path)
            submission = _check(path, dataset, found, default)
            if submission is None:
                problems += found.found
            else:
                entries.append(submission)
    if problems:
        raise SubmissionError(problems)
    return entries


def dataset_folder(folder: str | Path, dataset: str) -> Path:
    """The folder of ``dataset``'s entries inside one submissions folder: always a child of it,
    whatever the name (see the module docstring)."""
    return Path(folder) / path_component(dataset)


def submitted_datasets(folders: Folders) -> list[str]:
    """The datasets whose folder of entries, in any of ``folders``, is named by the dataset's
    plain name. Hidden folders and the cleaned folders of other names are left out (the latter
    are read for the datasets they belong to); :class:`SubmissionError` for any other folder,
    naming the folder its entries belong in."""
    names, problems = set(), []
    for folder in _folders(folders):
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            if not path.is_dir() or path.name.startswith(".") or CLEANED_FOLDER.fullmatch(path.name):
                continue
            if path_component(path.name) == path.name:
                names.add(path.name)
            else:
                problems.append(
                    f"{path}: folder name: {path.name!r} is not a plain file name ({PLAIN_NAMES}); "
                    f"the entries of dataset {path.name!r} belong in {dataset_folder(folder, path.name)}"
                )
    if problems:
        raise SubmissionError(problems)
    return sorted(names)


def dataset_file(folders: Folders, dataset: str) -> Path | None:
    """The first ``_dataset.yaml`` (which names the metric) in ``dataset``'s folder of ``folders``."""
    paths = (dataset_folder(folder, dataset) / DATASET_FILE for folder in _folders(folders))
    return next((path for path in paths if path.is_file()), None)


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
