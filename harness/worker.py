"""Running one cell: build its components, hand the method the task without test labels,
score the predictions it returns, and produce the record (a :class:`harness.record.Record`,
returned in its JSON form).

:class:`CellJob` is the picklable callable an executor runs per cell. With ``isolate`` it runs
the cell in a child process of its own, so that a crash, an out-of-memory kill or a hang ends
only that cell.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
import traceback
from typing import Any

from harness import metrics, provenance
from harness.cell import AXES, Cell
from harness.context import CellTimeout, RunContext
from harness.orphans import die_with_parent
from harness.features import CAPABILITY, after_encoder
from harness.record import COMPLETE, FAILED, TIMEOUT, Provider, Record, StageUse, non_finite_score
from harness.settings import RunSettings

_process_state: dict[str, Any] = {}


def use_plugins(plugins, registry) -> None:
    """Share the driving process's plugins with cells that run in the same process."""
    _process_state["plugins"] = (plugins, registry)


def _plugins(settings: RunSettings):
    if "plugins" not in _process_state:
        from harness.registry import load_registry

        _process_state["plugins"] = load_registry(settings.plugin_files)
    return _process_state["plugins"]


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


def run_cell(cell: Cell, settings: RunSettings) -> dict[str, Any]:
    """Run one cell in this process and return its record's JSON form (never raises for a
    failing cell)."""
    from harness.cache import ArtifactCache
    from harness.cache import use as use_cache
    from harness.memory import PeakMemory

    plugins, registry = _plugins(settings)
    metrics.use(registry)
    record = Record.begin(cell, providers(cell, plugins, registry))
    start = time.monotonic()
    deadline = start + settings.timeout if settings.timeout else None
    context = None
    try:
        _use_threads(settings.threads)
        _seed_everything(cell.seed)
        device = _device(settings.device)
        record.hardware = provenance.hardware(device)
        cache = ArtifactCache(settings.cache_dir)
        use_cache(cache)
        context = RunContext(cell, registry, plugins, cache, settings.data_root, device, deadline)
        with PeakMemory(cuda=device.startswith("cuda")) as peak:
            record.update(**_execute(cell, registry, context, deadline))
        if (score := non_finite_score(record)) is not None:
            raise NonFiniteScore(f"the method's predictions gave a non-finite metric ({score}); no score to record")
        record.update(peak_memory_bytes=peak.rss_bytes, peak_cuda_memory_bytes=peak.cuda_bytes, status=COMPLETE)
    except CellTimeout as error:
        record.update(status=TIMEOUT, error=str(error), traceback=traceback.format_exc())
    except Exception as error:
        record.update(status=FAILED, error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc())
    except SystemExit as error:  # a component's sys.exit() must not end the grid with exit code 0
        record.update(status=FAILED, error=f"the cell called sys.exit({error.code!r}); a component must raise an exception instead", traceback=traceback.format_exc())
    record.wall_time_s = time.monotonic() - start
    if context is not None:
        record.curve = context.curve
        record.stages = [StageUse.from_dict(stage, "stages") for stage in context.stages]
    return record.to_dict()


def _execute(cell: Cell, registry, context: RunContext, deadline: float | None) -> dict[str, Any]:
    """The results of a complete record (fields of :class:`harness.record.Record`). Each
    component is called as its contract in :mod:`harness.contracts` declares."""
    dataset = registry.get("dataset", cell.dataset.name)
    encoder_component = registry.get("encoder", cell.encoder.name)
    task = dataset.load()(root=context.data_root, **dataset_arguments(cell))
    view = task.method_view()
    # The split belongs to the identity: a stage trained on one fold's labels is not another's.
    view.identity = cell.dataset.identity() if cell.split.fixed else {**cell.dataset.identity(), "split": cell.split.to_record()}
    encoder = encoder_component.load()(**cell.encoder.arguments())
    if hasattr(encoder, "to"):  # the run's --device is the one place a device comes from
        encoder.to(context.device)
    categorical = after_encoder(task.categorical, encoder_component)
    backbone = BackboneFactory(registry.get("backbone", cell.backbone.name), cell.backbone.arguments(), task.task_type, categorical)
    method = registry.get("method", cell.method.name).load()(**cell.method.arguments())
    # The hard limit is armed only once imports are done: a signal that lands inside an import
    # leaves half-initialised modules behind for every later cell of this process.
    with _alarm(None if deadline is None else deadline - time.monotonic()):
        predictions = method.run(view, encoder, backbone, context)
    _check_predictions(task, predictions)
    scores = {split: task.scores(split, getattr(predictions, split)) for split in ("valid", "test")}
    return {
        "dataset": task.name,
        "task_type": task.task_type,
        "metric": task.metric,
        "higher_is_better": task.higher_is_better,
        "valid": scores["valid"][task.metric],
        "test": scores["test"][task.metric],
        "metrics": scores,
        "best_epoch": predictions.best_epoch,
        "num_params": context.num_params(),
        "external_data": _uses_external_data(encoder_component, context, task),
        "extra": predictions.extra,
    }


def dataset_arguments(cell: Cell) -> dict[str, Any]:
    """What the cell's dataset factory receives: its arguments and, unless the split is the
    dataset's own (fixed), the cell's :class:`~harness.cell.Split` as ``split_choice``."""
    arguments = cell.dataset.arguments()
    if not cell.split.fixed:
        arguments["split_choice"] = cell.split
    return arguments


def _uses_external_data(encoder_component, context, task) -> bool:
    """OGB's rule: a pretrained model, or raw attributes beyond the dataset's own features. A
    dataset marks raw attributes it brings from outside (``info['external_data']``, e.g. OGB
    arXiv's titles); they count only when the encoder reads raw attributes."""
    if encoder_component.external_data or context.external_data:
        return True
    return bool(task.info.get("external_data") and encoder_component.needs)


#: What a method's ``run`` must return, quoted by every complaint about what it returned.
METHOD_RETURNS = (
    "a method's run(task, encoder, backbone, context) must return harness.task.Predictions(valid=..., test=..., best_epoch=..., extra=...)"
    " with one row of scores per validation and test item (see harness.contracts.Method)"
)


def _check_predictions(task, predictions) -> None:
    """Refuse what a method returned unless it is :class:`harness.task.Predictions` with a
    tensor of scores per validation and test item, saying what a method must return."""
    import torch

    from harness.task import Predictions

    if not isinstance(predictions, Predictions):
        found = "None" if predictions is None else f"a {type(predictions).__module__}.{type(predictions).__qualname__}"
        raise TypeError(f"the method returned {found}; {METHOD_RETURNS}")
    for split in ("valid", "test"):
        expected = task.items[split].size(-1)
        got = getattr(predictions, split)
        if not isinstance(got, torch.Tensor):
            found = "None" if got is None else f"a {type(got).__name__}"
            raise TypeError(f"the method's Predictions.{split} is {found}, not a torch.Tensor; {METHOD_RETURNS}")
        if got.dim() == 0 or len(got) != expected:
            size = "a scalar" if got.dim() == 0 else len(got)
            raise ValueError(f"the method returned {size} {split} predictions; the task has {expected} {split} items; {METHOD_RETURNS}")


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


def _child(cell_dict, settings, connection, parent_pid: int) -> None:
    die_with_parent(parent_pid)
    record = run_cell(Cell.from_dict(cell_dict), settings)
    connection.send(record)
    connection.close()


class CellJob:
    """The picklable per-cell callable handed to executors."""

    def __init__(self, settings: RunSettings):
        self.settings = settings

    def __call__(self, cell: Cell) -> dict[str, Any]:
        if self.settings.isolate:
            return self._isolated(cell)
        return run_cell(cell, self.settings)

    def _isolated(self, cell: Cell) -> dict[str, Any]:
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(cell.to_dict(), self.settings, sender, os.getpid()), daemon=True)
        start = time.monotonic()
        process.start()
        sender.close()
        # The child enforces the limit itself; the parent's margin catches a child that hangs
        # where a signal cannot reach (inside native code).
        limit = self.settings.timeout + 10 if self.settings.timeout else None
        record = None
        if receiver.poll(limit):
            try:
                record = receiver.recv()
            except EOFError:
                record = None
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
        if record is not None:
            return record
        plugins, registry = _plugins(self.settings)
        record = Record.begin(cell, providers(cell, plugins, registry))
        record.wall_time_s = time.monotonic() - start
        if process.exitcode is None or (limit and time.monotonic() - start >= limit):
            record.update(status=TIMEOUT, error=f"the cell's process was killed after {limit:g} s")
        else:
            record.update(status=FAILED, error=_describe_exit(process.exitcode))
        return record.to_dict()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        hint = " (killed: possibly out of memory)" if -code == signal.SIGKILL else ""
        return f"the cell's process died from signal {name}{hint}"
    return f"the cell's process exited with code {code} before returning a record"
