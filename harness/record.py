"""The result record of one cell: one type, :class:`Record`, described by the JSON Schema
``docs/record.schema.json``.

The worker builds a :class:`Record` and hands on its JSON form (:meth:`Record.to_dict`): that
dict is what an executor returns, what observers receive and what the store writes, one file per
cell. Everything that reads records (leaderboards, plots, comparisons, benchmarks) reads them
through :meth:`Record.from_dict`, which checks the shape and names the field that is wrong.

Fields added after records were first written (``components``, ``stages``, ``split``) are
optional, with defaults, so that older results folders stay readable. A complete record carries
the scores and what they mean (``dataset`` ... ``external_data``); a failed or timed-out one
carries its ``error``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Callable

from harness.cell import AXES, SPLIT_PROTOCOLS, Cell

SCHEMA = "docs/record.schema.json"
COMPLETE = "complete"
FAILED = "failed"
TIMEOUT = "timeout"
STATUSES = (COMPLETE, FAILED, TIMEOUT)
STAGE_STATUSES = ("built", "reused")


class RecordError(ValueError):
    """A record does not have the shape of ``docs/record.schema.json``."""


# -- value checks: (what the schema calls it, the test) --------------------------------------

Check = tuple[str, Callable[[Any], bool]]
STRING: Check = ("a string", lambda v: isinstance(v, str))
INTEGER: Check = ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool))
NUMBER: Check = ("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
BOOLEAN: Check = ("a boolean", lambda v: isinstance(v, bool))
OBJECT: Check = ("an object", lambda v: isinstance(v, dict))
ARRAY: Check = ("an array", lambda v: isinstance(v, list))


def nullable(check: Check) -> Check:
    name, test = check
    return (f"{name} or null", lambda v: v is None or test(v))


def one_of(values: tuple[str, ...]) -> Check:
    return (f"one of {', '.join(map(repr, values))}", lambda v: v in values)


def _require(value: Any, check: Check, where: str) -> Any:
    """``value`` when it passes ``check``; ``where`` is the field's path (``split.index``)."""
    name, test = check
    if not test(value):
        raise RecordError(f"record field {where!r} must be {name}, got {value!r} ({type(value).__name__})")
    return value


def _object(value: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    _require(value, OBJECT, where)
    missing = [key for key in required if key not in value]
    if missing:
        raise RecordError(f"record field {where!r} lacks {', '.join(map(repr, missing))}")
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        raise RecordError(f"record field {where!r} has unknown field(s) {', '.join(map(repr, unknown))}; {_valid(required + optional, unknown[0])}")
    return value


def _valid(names, wrong: str) -> str:
    from harness.suggest import suggest

    return suggest(wrong, sorted(names))


# -- the parts of a record ---------------------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """The plugin distribution (and its version) that provided one component of the cell."""

    distribution: str
    version: str

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "Provider":
        _object(data, where, ("distribution", "version"))
        return cls(_require(data["distribution"], STRING, f"{where}.distribution"), _require(data["version"], STRING, f"{where}.version"))

    def to_dict(self) -> dict[str, str]:
        return {"distribution": self.distribution, "version": self.version}


@dataclass(frozen=True)
class StageUse:
    """One stage a method used (a pre-trained model, teacher predictions ...): its name, the key
    the harness derived for it and whether this cell ``built`` it or ``reused`` it."""

    name: str
    key: str
    status: str

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "StageUse":
        _object(data, where, ("name", "key", "status"))
        return cls(
            _require(data["name"], STRING, f"{where}.name"),
            _require(data["key"], STRING, f"{where}.key"),
            _require(data["status"], one_of(STAGE_STATUSES), f"{where}.status"),
        )

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "key": self.key, "status": self.status}


@dataclass(frozen=True)
class SplitUse:
    """The split the cell was scored on: its protocol, and the fold number or split seed
    (``index``) and number of folds (``count``) where they apply."""

    protocol: str
    index: int | None = None
    count: int | None = None

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "SplitUse":
        _object(data, where, ("protocol",), ("index", "count"))
        return cls(
            _require(data["protocol"], one_of(SPLIT_PROTOCOLS), f"{where}.protocol"),
            _require(data.get("index"), nullable(INTEGER), f"{where}.index"),
            _require(data.get("count"), nullable(INTEGER), f"{where}.count"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "index": self.index, "count": self.count}


def _cell(data: Any) -> Cell:
    _object(data, "cell", (*AXES, "seed"), ("split",))
    if data.get("split") is not None:
        SplitUse.from_dict(data["split"], "cell.split")
    for axis in AXES:
        ref = _object(data[axis], f"cell.{axis}", ("name",), ("params", "version", "label", "options"))
        _require(ref["name"], STRING, f"cell.{axis}.name")
        for key, check in (("params", OBJECT), ("options", OBJECT), ("version", STRING), ("label", nullable(STRING))):
            if key in ref:
                _require(ref[key], check, f"cell.{axis}.{key}")
    _require(data["seed"], INTEGER, "cell.seed")
    return Cell.from_dict(data)


def _components(data: Any) -> dict[str, Provider]:
    _object(data, "components", (), AXES)
    return {axis: Provider.from_dict(value, f"components.{axis}") for axis, value in data.items()}


def _stages(data: Any) -> list[StageUse]:
    _require(data, ARRAY, "stages")
    return [StageUse.from_dict(item, f"stages[{i}]") for i, item in enumerate(data)]


def _split(data: Any) -> SplitUse | None:
    return None if data is None else SplitUse.from_dict(data, "split")


def _versions(data: Any) -> dict[str, str | None]:
    _require(data, OBJECT, "versions")
    for package, version in data.items():
        _require(version, nullable(STRING), f"versions.{package}")
    return data


def _git(data: Any) -> dict[str, Any]:
    _require(data, OBJECT, "git")
    for key, check in (("commit", nullable(STRING)), ("dirty", nullable(BOOLEAN))):
        _require(data.get(key), check, f"git.{key}")
    return data


def _metrics(data: Any) -> dict[str, dict[str, float | None]]:
    _object(data, "metrics", (), ("valid", "test"))
    for split, scores in data.items():
        _require(scores, OBJECT, f"metrics.{split}")
        for reference, score in scores.items():
            _require(score, nullable(NUMBER), f"metrics.{split}.{reference}")
    return data


def _curve(data: Any) -> list[dict[str, Any]]:
    _require(data, ARRAY, "curve")
    for i, point in enumerate(data):
        _require(point, OBJECT, f"curve[{i}]")
    return data


def _epoch_scores(data: Any) -> list[dict[str, Any]]:
    _require(data, ARRAY, "epoch_scores")
    for i, point in enumerate(data):
        _object(point, f"epoch_scores[{i}]", ("epoch", "valid", "test"))
        _require(point["epoch"], INTEGER, f"epoch_scores[{i}].epoch")
        for split in ("valid", "test"):
            _require(point[split], nullable(NUMBER), f"epoch_scores[{i}].{split}")
    return data


# -- the record --------------------------------------------------------------------------------


def _spec(check: Check | None = None, parse: Callable[[Any], Any] | None = None, *, default: Any = None,
          factory: Callable[[], Any] | None = None, result: bool = False, required: bool = False):
    """A record field: how its JSON value is checked (``check``) or parsed (``parse``), its
    default when absent, and whether it belongs to the results of a complete record."""
    metadata = {"check": check, "parse": parse, "result": result, "required": required}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class Record:
    """One cell's record. Fields are in the order they are written."""

    cell: Cell = _spec(parse=_cell, required=True)
    status: str = _spec(one_of(STATUSES), default=FAILED, required=True)
    cell_id: str = _spec(STRING, default="", required=True)
    config: dict[str, Any] = _spec(OBJECT, factory=dict, required=True)
    seed: int = _spec(INTEGER, default=0, required=True)
    #: when the cell started, ISO 8601 in UTC
    started: str = _spec(STRING, default="", required=True)
    versions: dict[str, str | None] = _spec(parse=_versions, factory=dict)
    git: dict[str, Any] = _spec(parse=_git, factory=dict)
    #: per axis, the plugin distribution that provided the component (absent in old records)
    components: dict[str, Provider] = _spec(parse=_components, factory=dict)
    stages: list[StageUse] = _spec(parse=_stages, factory=list)
    split: SplitUse | None = _spec(parse=_split)
    hardware: str | None = _spec(nullable(STRING))
    #: the memory allocator settings the method's process ran with (harness.allocator); absent
    #: in records written before they were set
    allocator: str | None = _spec(nullable(STRING))
    wall_time_s: float | None = _spec(nullable(NUMBER))
    curve: list[dict[str, Any]] = _spec(parse=_curve, factory=list)
    error: str | None = _spec(nullable(STRING))
    traceback: str | None = _spec(nullable(STRING))
    # -- the results of a complete record ---------------------------------------------------
    #: the task's name as the dataset reports it (the cell's dataset entry is ``cell.dataset``)
    dataset: str | None = _spec(STRING, result=True)
    task_type: str | None = _spec(STRING, result=True)
    metric: str | None = _spec(STRING, result=True)
    higher_is_better: bool | None = _spec(BOOLEAN, result=True)
    valid: float | None = _spec(nullable(NUMBER), result=True)
    test: float | None = _spec(nullable(NUMBER), result=True)
    best_epoch: int | None = _spec(nullable(INTEGER), result=True)
    #: the task's metric on validation and test after every epoch whose predictions the method
    #: kept (``Predictions.epochs``), scored by the harness; empty when it kept none
    epoch_scores: list[dict[str, Any]] = _spec(parse=_epoch_scores, factory=list, result=True)
    num_params: int | None = _spec(INTEGER, result=True)
    external_data: bool | None = _spec(BOOLEAN, result=True)
    #: every metric the harness reported per split (the task's and its extra ones), by reference;
    #: absent in records written before metrics were components
    metrics: dict[str, dict[str, float | None]] = _spec(parse=_metrics, factory=dict, result=True)
    extra: dict[str, Any] = _spec(OBJECT, factory=dict, result=True)
    peak_memory_bytes: int | None = _spec(nullable(INTEGER), result=True)
    peak_cuda_memory_bytes: int | None = _spec(nullable(INTEGER), result=True)
    #: whether the method ran in a process of its own that never held test labels (the
    #: default); False for ``--no-isolate`` runs and for records written before isolation was
    #: the default. Leaderboards rank isolated records only.
    isolated: bool = _spec(BOOLEAN, default=False)

    @classmethod
    def begin(cls, cell: Cell, components: dict[str, Provider] | None = None) -> "Record":
        """The record of a cell about to run, with its provenance (status ``failed`` until the
        cell says otherwise)."""
        from harness import provenance

        return cls(
            cell=cell,
            cell_id=cell.id,
            config=cell.config(),
            seed=cell.seed,
            started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            versions=provenance.versions(),
            git=provenance.git_state(),
            components=dict(components or {}),
            split=SplitUse.from_dict(cell.split.to_record(), "split"),
        )

    def update(self, **values: Any) -> "Record":
        """Set fields by name (refusing names that are not fields); returns the record."""
        names = {f.name for f in fields(self)}
        for name, value in values.items():
            if name not in names:
                raise RecordError(f"no record field {name!r}; {_valid(names, name)}")
            setattr(self, name, value)
        return self

    @classmethod
    def of(cls, record: "Record | dict[str, Any]") -> "Record":
        """``record`` typed: a :class:`Record` as it is, its JSON form read by :meth:`from_dict`."""
        return record if isinstance(record, Record) else cls.from_dict(record)

    @classmethod
    def from_dict(cls, data: Any) -> "Record":
        """Read a record's JSON form, checking its shape; raises :class:`RecordError` naming the
        field that does not follow ``docs/record.schema.json``."""
        if not isinstance(data, dict):
            raise RecordError(f"a record must be a JSON object, got {type(data).__name__}")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise RecordError(f"unknown record field {unknown[0]!r} (see {SCHEMA}); {_valid(known, unknown[0])}")
        missing = [name for name, f in known.items() if f.metadata["required"] and name not in data]
        status = data.get("status")
        if status == COMPLETE:
            missing += [name for name in RESULT_REQUIRED if name not in data]
        elif status in (FAILED, TIMEOUT) and "error" not in data:
            missing.append("error")
        if missing:
            raise RecordError(f"the record lacks the field(s) {', '.join(map(repr, missing))} (see {SCHEMA})")
        values = {}
        for name, value in data.items():
            spec = known[name].metadata
            if spec["parse"] is not None:
                values[name] = spec["parse"](value)
            else:
                values[name] = _require(value, spec["check"], name)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: every field that is set (the results only in a complete record;
        ``stages`` always, empty when the method used none)."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.metadata["result"] and self.status != COMPLETE:
                continue
            # None stands for "absent", except for results whose schema allows null
            if value is None and not (f.metadata["result"] and f.metadata["check"][1](None)):
                continue
            if f.name == "components" and not value:  # unknown (a record from before it existed)
                continue
            data[f.name] = _plain(value)
        return data

    # -- typed accessors ---------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        return self.status == COMPLETE

    @property
    def dataset_name(self) -> str:
        """The dataset entry of the cell (the folder and the leaderboard it belongs to)."""
        return self.cell.dataset.name

    @property
    def entry(self) -> dict[str, Any]:
        """The configuration without the seed: the records of one leaderboard row share it."""
        return {axis: self.config[axis] for axis in AXES}

    @property
    def labels(self) -> dict[str, str | None]:
        """Display labels per axis, as the grid gave them."""
        return {axis: getattr(self.cell, axis).label for axis in AXES}

    @property
    def traces(self) -> dict[str, list[list[float]]]:
        """The method's traces (name -> one vector per training step), if it kept any."""
        return (self.extra or {}).get("traces", {})

    @property
    def trace_labels(self) -> dict[str, list[str]]:
        """The names of each trace's components, where the method gave them (AUX-TS's task names)."""
        return (self.extra or {}).get("trace_labels", {})


#: results every complete record has (the other result fields default when absent)
RESULT_REQUIRED = ("dataset", "task_type", "metric", "higher_is_better", "valid", "test")


def non_finite_score(record: "Record") -> str | None:
    """The first score of ``record`` that is NaN or infinite, named by its field
    (``"test = nan"``, ``"metrics.valid.acc = inf"``), or None when every score is finite (or
    absent). A complete record never holds one: the method's predictions gave no usable metric."""
    return first_non_finite(record.valid, record.test, record.metrics)


def first_non_finite(valid: float | None, test: float | None, metrics: dict[str, dict[str, float | None]]) -> str | None:
    """:func:`non_finite_score` of a record's score fields."""
    scores = [("valid", valid), ("test", test)]
    scores += [(f"metrics.{split}.{ref}", score) for split, values in metrics.items() for ref, score in values.items()]
    return next((f"{name} = {score}" for name, score in scores if score is not None and not math.isfinite(score)), None)


def _plain(value: Any) -> Any:
    """JSON-able form of a field's value (nested record parts become dicts)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
