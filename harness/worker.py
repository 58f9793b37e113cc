"""Running one cell: build its components, hand the method the task without test labels,
score the predictions it returns, and produce the record (a :class:`harness.record.Record`,
returned in its JSON form).

A cell has three parts, kept apart so that they can run in different processes:

- loading (:mod:`harness.loading`): the dataset factory gives the task, test labels included,
  and the view a method may see;
- the method (:func:`run_method`): builds the encoder, backbone factory and method, runs the
  method on the view and gives a :class:`MethodOutcome` (predictions and what the record keeps
  of the run);
- evaluation (:func:`evaluate`): scores the predictions with the task's labels.

:class:`CellJob` is the picklable callable an executor runs per cell. By default it runs the
parts in processes of their own (:mod:`harness.isolation`): the method's process never holds
test labels, and a crash, a hang or an exit ends only its cell. ``isolate=False`` (the CLI's
``--no-isolate``, for debugging) runs them all in the caller's process (:func:`run_cell`); its
records say so and leaderboards leave them out.
"""

from __future__ import annotations

import gc
import random
import signal
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from harness import allocator, metrics, provenance, sparse_features
from harness.cell import AXES, Cell
from harness.context import CellTimeout, RunContext
from harness.features import CAPABILITY, after_encoder
from harness.record import COMPLETE, FAILED, TIMEOUT, Provider, Record, StageUse, first_non_finite
from harness.settings import RunSettings

_process_state: dict[str, Any] = {}


def use_plugins(plugins, registry, plugin_files: tuple[str, ...] | None = None) -> None:
    """Share the driving process's plugins with cells that run in the same process;
    ``plugin_files``: the ``--plugin`` files they were loaded with, when known (a cell whose
    run names other files loads its own)."""
    _process_state["plugins"] = (plugins, registry)
    _process_state["plugin_files"] = plugin_files


def _plugins(settings: RunSettings):
    loaded_with = _process_state.get("plugin_files")
    if "plugins" not in _process_state or (loaded_with is not None and loaded_with != tuple(settings.plugin_files)):
        from harness.registry import load_registry

        use_plugins(*load_registry(settings.plugin_files), plugin_files=tuple(settings.plugin_files))
    return _process_state["plugins"]


def forget_plugins() -> None:
    """Drop this process's plugins and registry (a method's process does, once its components
    are built: no dataset factory stays reachable from it)."""
    _process_state.clear()
    gc.collect()


def _use_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


class BackboneFactory:
    """What a method receives for the backbone (:class:`harness.contracts.BackboneFactory`):
    ``factory(in_dim, out_dim)`` builds a module.

    It carries the task's categorical features as the cell's encoder leaves them
    (``categorical``, see :mod:`harness.features`) and hands them to backbones with the
    ``categorical-features`` capability. A method that builds a backbone over other inputs
    (learned features, another dataset) passes ``categorical=`` itself (None for numbers)."""

    def __init__(self, component, params: dict[str, Any], task_type: str, categorical=None):
        self.name = component.name
        self.params = dict(params)
        self.capabilities = component.capabilities
        self.task_type = task_type
        self.categorical = categorical
        self._build = component.load()

    def __call__(self, in_dim: int, out_dim: int, **overrides):
        categorical = overrides.pop("categorical", self.categorical)
        params = {**self.params, **overrides}
        if CAPABILITY in self.capabilities:
            params["categorical"] = categorical
        elif categorical is not None and categorical.node:
            raise TypeError(
                f"backbone {self.name!r} does not embed categorical node features (no {CAPABILITY!r} capability);"
                f" these inputs are {len(categorical.node)} integer-coded columns"
            )
        return self._build(in_dim, out_dim, self.task_type, **params)


def providers(cell: Cell, plugins, registry) -> dict[str, Provider]:
    """Per axis, the distribution and version of the plugin that declared the cell's component."""
    found = {}
    for axis in AXES:
        owner = registry.owners.get((axis, getattr(cell, axis).name))
        info = plugins.info(owner) if owner is not None else None
        if info is not None:
            found[axis] = Provider(info.distribution, info.version)
    return found


class NonFiniteScore(ValueError):
    """The cell's scores are NaN or infinite: it is recorded as failed, not complete."""


# -- the method's part -------------------------------------------------------------------------


@dataclass
class Components:
    """The cell's encoder, backbone factory and method, built from the registry."""

    encoder: Any
    encoder_component: Any
    backbone: BackboneFactory
    method: Any
    #: whether the method and the backbone both take CSR node features (:mod:`harness.sparse_features`)
    sparse_features: bool = False


def build_components(cell: Cell, registry, view, device: str) -> Components:
    """The cell's components, each built as its contract in :mod:`harness.contracts` says; the
    encoder is put on the run's device (the one place a device comes from)."""
    encoder_component = registry.get("encoder", cell.encoder.name)
    encoder = encoder_component.load()(**cell.encoder.arguments())
    if hasattr(encoder, "to"):
        encoder.to(device)
    categorical = after_encoder(view.categorical, encoder_component)
    backbone = BackboneFactory(registry.get("backbone", cell.backbone.name), cell.backbone.arguments(), view.task_type, categorical)
    method_component = registry.get("method", cell.method.name)
    method = method_component.load()(**cell.method.arguments())
    sparse = sparse_features.CAPABILITY in method_component.capabilities and sparse_features.CAPABILITY in backbone.capabilities
    return Components(encoder, encoder_component, backbone, method, sparse)


@dataclass
class MethodOutcome:
    """What the method's part of a cell gives: the predictions, and the record fields it
    knows (``facts``: curve, stages, #params, peak memory, ...); ``status`` and ``error`` when
    the method failed or ran out of time."""

    status: str = COMPLETE
    error: str | None = None
    traceback: str | None = None
    predictions: Any = None
    facts: dict[str, Any] = field(default_factory=dict)

    def fail(self, status: str, error: str) -> "MethodOutcome":
        self.status, self.error, self.traceback = status, error, traceback.format_exc()
        return self

    def stage_uses(self) -> list[StageUse]:
        """The stages the method used, as the record keeps them."""
        return [StageUse.from_dict(stage, "stages") for stage in self.facts.get("stages", [])]


def failure(error: BaseException) -> tuple[str, str]:
    """The record's status and error for what a cell raised: a time-out, a ``sys.exit()`` (which
    must not end the grid with exit code 0), or any other exception."""
    if isinstance(error, CellTimeout):
        return TIMEOUT, str(error)
    if isinstance(error, SystemExit):
        return FAILED, f"the cell called sys.exit({error.code!r}); a component must raise an exception instead"
    return FAILED, f"{type(error).__name__}: {error}"


def start_method(cell: Cell, settings: RunSettings) -> str:
    """Set up the method's process for the cell (threads, seeds, cache); returns the device."""
    from harness.cache import ArtifactCache
    from harness.cache import use as use_cache

    _use_threads(settings.threads)
    _seed_everything(cell.seed)
    use_cache(ArtifactCache(settings.cache_dir))
    return _device(settings.device)


def run_method(cell: Cell, device: str, components: Components, view, deadline: float | None,
               *, load_task, epoch_finished) -> MethodOutcome:
    """Run the cell's method on ``view`` (never raises for a failing method)."""
    from harness.cache import current
    from harness.memory import PeakMemory

    outcome = MethodOutcome(facts={"hardware": provenance.hardware(device), "allocator": allocator.current()})
    context = RunContext(cell, current(), device, deadline, load_task=load_task, epoch_finished=epoch_finished,
                         sparse_features=components.sparse_features)
    view = sparse_features.dense_unless(components.sparse_features, view)
    try:
        with PeakMemory(cuda=device.startswith("cuda")) as peak:
            # The hard limit is armed only once imports are done: a signal that lands inside an
            # import leaves half-initialised modules behind for every later cell of this process.
            with _alarm(None if deadline is None else deadline - time.monotonic()):
                predictions = components.method.run(view, components.encoder, components.backbone, context)
        check_predictions(view.items, predictions)
        outcome.predictions = predictions
        outcome.facts.update(
            best_epoch=predictions.best_epoch,
            extra=predictions.extra,
            num_params=context.num_params(),
            external_data=uses_external_data(components.encoder_component, context, view),
            peak_memory_bytes=peak.rss_bytes,
            peak_cuda_memory_bytes=peak.cuda_bytes,
        )
    except (Exception, SystemExit) as error:
        outcome.fail(*failure(error))
    outcome.facts.update(curve=context.curve, stages=list(context.stages))
    return outcome


def uses_external_data(encoder_component, context, view) -> bool:
    """OGB's rule: a pretrained model, or raw attributes beyond the dataset's own features. A
    dataset marks raw attributes it brings from outside (``info['external_data']``, e.g. OGB
    arXiv's titles); they count only when the encoder reads raw attributes."""
    if encoder_component.external_data or context.external_data:
        return True
    return bool(view.info.get("external_data") and encoder_component.needs)


#: What a method's ``run`` must return, quoted by every complaint about what it returned.
METHOD_RETURNS = (
    "a method's run(task, encoder, backbone, context) must return harness.task.Predictions(valid=..., test=..., best_epoch=..., extra=...)"
    " with one row of scores per validation and test item (see harness.contracts.Method)"
)


def check_predictions(items, predictions) -> None:
    """Refuse what a method returned unless it is :class:`harness.task.Predictions` with a
    tensor of scores per validation and test item (``items``: the task's items per split), and
    likewise for every epoch's predictions it kept, saying what a method must return."""
    from harness.task import EpochPredictions, Predictions

    if not isinstance(predictions, Predictions):
        found = "None" if predictions is None else f"a {type(predictions).__module__}.{type(predictions).__qualname__}"
        raise TypeError(f"the method returned {found}; {METHOD_RETURNS}")
    _check_scores(items, predictions, "Predictions")
    for index, epoch in enumerate(predictions.epochs):
        if not isinstance(epoch, EpochPredictions) or isinstance(epoch.epoch, bool) or not isinstance(epoch.epoch, int):
            raise TypeError(f"the method's Predictions.epochs[{index}] is not a harness.task.EpochPredictions(epoch=<int>, valid=..., test=...); {METHOD_RETURNS}")
        _check_scores(items, epoch, f"Predictions.epochs[{index}]")


def _check_scores(items, predictions, name: str) -> None:
    import torch

    for split in ("valid", "test"):
        expected = items[split].size(-1)
        got = getattr(predictions, split)
        if not isinstance(got, torch.Tensor):
            found = "None" if got is None else f"a {type(got).__name__}"
            raise TypeError(f"the method's {name}.{split} is {found}, not a torch.Tensor; {METHOD_RETURNS}")
        if got.dim() == 0 or len(got) != expected:
            size = "a scalar" if got.dim() == 0 else len(got)
            where = "" if name == "Predictions" else f" in {name}"
            raise ValueError(f"the method returned {size} {split} predictions{where}; the task has {expected} {split} items; {METHOD_RETURNS}")


# -- evaluation --------------------------------------------------------------------------------


def evaluate(task, predictions) -> dict[str, Any]:
    """The record's score fields for a method's :class:`~harness.task.Predictions` of ``task``'s
    items (and, in ``epoch_scores``, the task's metric for every epoch's predictions it kept);
    raises :class:`NonFiniteScore` when a score of the selected predictions is NaN or infinite."""
    scores = {"valid": task.scores("valid", predictions.valid), "test": task.scores("test", predictions.test)}
    fields = {
        "dataset": task.name,
        "task_type": task.task_type,
        "metric": task.metric,
        "higher_is_better": task.higher_is_better,
        "valid": scores["valid"][task.metric],
        "test": scores["test"][task.metric],
        "metrics": scores,
        "epoch_scores": [_epoch_scores(task, epoch) for epoch in predictions.epochs],
    }
    if (score := first_non_finite(fields["valid"], fields["test"], scores)) is not None:
        raise NonFiniteScore(f"the method's predictions gave a non-finite metric ({score}); no score to record")
    return fields


def _epoch_scores(task, epoch) -> dict[str, Any]:
    """One point of the scored curve; a non-finite score (a diverged epoch) is kept as null."""
    import math

    def finite(value: float) -> float | None:
        return value if math.isfinite(value) else None

    return {"epoch": epoch.epoch, "valid": finite(task.score("valid", epoch.valid)), "test": finite(task.score("test", epoch.test))}


def complete(record: Record, outcome: MethodOutcome, scores: dict[str, Any]) -> None:
    """Fill a complete record from the method's outcome and the evaluation's scores."""
    record.update(**{**outcome.facts, "stages": outcome.stage_uses()}, **scores, status=COMPLETE)


def incomplete(record: Record, outcome: MethodOutcome | None, status: str, error: str, trace: str | None = None) -> None:
    """Fill a failed or timed-out record, keeping what the method's part knows (its curve, the
    stages it used)."""
    if outcome is not None:
        record.update(hardware=outcome.facts.get("hardware"), allocator=outcome.facts.get("allocator"), curve=outcome.facts.get("curve", []),
                      stages=outcome.stage_uses())
    record.update(status=status, error=error, traceback=trace)


# -- one cell in this process ------------------------------------------------------------------


def run_cell(cell: Cell, settings: RunSettings) -> dict[str, Any]:
    """Run one cell entirely in this process (``--no-isolate``) and return its record's JSON
    form (never raises for a failing cell). The method shares the process with the test labels:
    such records are marked ``isolated: false``."""
    from functools import partial

    from harness.loading import cell_view, load_cell_task, referenced_view

    plugins, registry = _plugins(settings)
    metrics.use(registry)
    allocator.configure(settings.allocator)
    record = Record.begin(cell, providers(cell, plugins, registry))
    record.isolated = False
    start = time.monotonic()
    deadline = start + settings.timeout if settings.timeout else None
    outcome = None
    try:
        device = start_method(cell, settings)
        task = load_cell_task(cell, registry, settings.data_root)
        view = cell_view(cell, task)
        components = build_components(cell, registry, view, device)
        outcome = run_method(cell, device, components, view, deadline,
                             load_task=partial(referenced_view, registry, settings.data_root), epoch_finished=plugins.epoch_finished)
        if outcome.status != COMPLETE:
            incomplete(record, outcome, outcome.status, outcome.error, outcome.traceback)
        else:
            complete(record, outcome, evaluate(task, outcome.predictions))
    except (Exception, SystemExit) as error:
        incomplete(record, outcome, *failure(error), traceback.format_exc())
    record.wall_time_s = time.monotonic() - start
    return record.to_dict()


class _alarm:
    """A hard per-cell time limit through SIGALRM where possible (main thread, POSIX)."""

    def __init__(self, seconds_left: float | None):
        self.seconds = seconds_left
        self.armed = False

    def _fire(self, signum, frame):
        raise CellTimeout("the cell ran past its time limit")

    def __enter__(self):
        import threading

        if self.seconds is not None and self.seconds <= 0:
            raise CellTimeout("the cell ran past its time limit before its method started")
        if self.seconds and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


class CellJob:
    """The picklable per-cell callable handed to executors."""

    def __init__(self, settings: RunSettings):
        self.settings = settings

    def __call__(self, cell: Cell) -> dict[str, Any]:
        if self.settings.isolate:
            from harness.isolation import run_isolated

            return run_isolated(cell, self.settings)
        return run_cell(cell, self.settings)
