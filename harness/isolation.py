"""Isolation, the default way a cell runs: its parts in processes of their own, and the method
in one that never holds test labels.

For each cell the driving process (the harness, or a pool worker) has a fork server start, one
after the other:

1. a **loader**, which calls the dataset factory, sends the view a method may see (pickled) and
   exits;
2. the **method's process**, which receives the view, builds the encoder, backbone factory and
   method, drops the registry (no dataset factory stays reachable), runs the method and sends
   back its predictions (tensors, read with ``torch.load(weights_only=True)``) and what the
   record keeps of the run (JSON). Another dataset it asks for (``context.load_task``) comes from
   a loader of its own, as a view; training curves go to the driving process's observers;
3. once the method's process has exited, an **evaluator**, which loads the task again, test
   labels included, and scores the predictions.

So while a method runs, nothing in its process holds the cell's test labels or a way to them
given by the harness: not the view, the context, the caller's frames, the live objects, the
environment (the data root is not passed on) or a path in ``info``. What stays a matter of
trust is what a plugin does by itself: a method that imports a dataset plugin, or opens files
under the data root, reads what is there; a method running as root could read another process's
memory (loaders and evaluators mark themselves undumpable, which stops ordinary users).

Faults stay in their cell: a crash, ``os._exit``, ``sys.exit``, a method that swallows the time
limit or blocks SIGALRM (killed ``GRACE_S`` after the limit), each gives a failed or timed-out
record and the grid goes on. Every process involved dies with the harness, even by SIGKILL.

The fork server (Python's ``forkserver`` start method) imports torch, PyG, the plugins and the
grid's component modules once (:mod:`harness.warm_start`), so a part starts with a fork rather
than an interpreter; ``--no-isolate`` runs everything in one process, for debugging.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import pickle
import signal
import sys
import time
import traceback
import types
from dataclasses import replace
from typing import Any

from harness.cell import Cell
from harness.record import COMPLETE, FAILED, STATUSES, TIMEOUT, Record
from harness.settings import DATA_ROOT_ENV, RunSettings

#: how long after its time limit a method that does not stop is killed
GRACE_S = 10.0
#: how long a part may take to exit once it has sent its last message
EXIT_WAIT_S = 5.0

#: message tags: JSON, a pickled view (only ever sent to the method), tensors in torch's format
JSON, VIEW, TENSORS = b"J", b"V", b"T"

#: the environment variable that tells the fork server what to preload (:mod:`harness.warm_start`)
WARM_START_ENV = "HARNESS_WARM_START"

#: what the method's process may report about its run (the rest of the record is not its say)
METHOD_FACTS = ("hardware", "allocator", "curve", "stages", "best_epoch", "extra", "num_params", "external_data", "peak_memory_bytes", "peak_cuda_memory_bytes")


class PartFailed(Exception):
    """A part of the cell failed, died or ran out of time: the record's status and error."""

    def __init__(self, status: str, error: str, trace: str | None = None):
        super().__init__(error)
        self.status, self.error, self.trace = status, error, trace


# -- the driving side --------------------------------------------------------------------------


def run_isolated(cell: Cell, settings: RunSettings) -> dict[str, Any]:
    """Run ``cell`` in isolated parts and return its record's JSON form (never raises for a
    failing cell)."""
    from harness.worker import _plugins, incomplete, providers

    plugins, registry = _plugins(settings)
    record = Record.begin(cell, providers(cell, plugins, registry))
    record.isolated = True
    context = fork_server(settings)
    start = time.monotonic()
    run = _IsolatedRun(cell, settings, plugins, context, start + settings.timeout if settings.timeout else None)
    outcome = None
    try:
        view = run.load({"cell": cell.to_dict()})
        outcome, predictions = run.method(view)
        if outcome.status != COMPLETE:
            incomplete(record, outcome, outcome.status, outcome.error, outcome.traceback)
        else:
            _complete(record, outcome, run.evaluate(predictions))
    except PartFailed as failure:
        incomplete(record, outcome, failure.status, failure.error, failure.trace)
    finally:
        run.stop()
    record.wall_time_s = time.monotonic() - start
    return record.to_dict()


def _complete(record: Record, outcome, scores: dict[str, Any]) -> None:
    """Fill the complete record, refusing a method's report that does not make a record."""
    from harness.worker import complete

    try:
        complete(record, outcome, scores)
        Record.from_dict(record.to_dict())
    except (ValueError, TypeError) as error:
        raise PartFailed(FAILED, f"the method's process reported what is not a record: {error}") from None


class _IsolatedRun:
    """The processes of one cell, started from the fork server and stopped with it."""

    def __init__(self, cell: Cell, settings: RunSettings, plugins, context, deadline: float | None):
        self.cell = cell
        self.settings = settings
        self.plugins = plugins
        self.deadline = deadline
        self.context = context
        self.processes: list = []

    def _start(self, target, *args):
        mine, theirs = self.context.Pipe()
        process = self.context.Process(target=target, args=(*args, theirs), daemon=True)
        with _without_data_root(), _without_main_module():  # should this start the fork server, its environment has none
            process.start()
        theirs.close()
        self.processes.append(process)
        return _Channel(mine, process)

    def _hard_deadline(self) -> float | None:
        return None if self.deadline is None else self.deadline + GRACE_S

    def load(self, request: dict[str, Any]) -> bytes:
        """A view's pickled bytes from a loader that has exited by the time they are returned."""
        channel = self._start(_loader_main, request, self.settings)
        tag, payload = channel.receive(self._hard_deadline(), "loader")
        channel.finish()
        if tag == VIEW:
            return payload
        raise PartFailed(FAILED, *_error(_json(tag, payload)))

    def method(self, view: bytes):
        """The method's outcome and its predictions' bytes (None unless complete); the method's
        process has exited when this returns."""
        from harness.worker import MethodOutcome

        method_settings = replace(self.settings, data_root="")  # no way to the data files
        channel = self._start(_method_main, self.cell.to_dict(), method_settings, self.deadline)
        channel.send(VIEW, view)
        while True:
            tag, payload = channel.receive(self._hard_deadline(), "method")
            message = _json(tag, payload)
            if "epoch" in message:
                self._epoch(message["epoch"])
            elif "load_task" in message:
                self._serve_load(channel, message["load_task"])
            elif "outcome" in message:
                outcome = MethodOutcome(**_outcome(message["outcome"]))
                predictions = None
                if outcome.status == COMPLETE:
                    tag, predictions = channel.receive(self._hard_deadline(), "method")
                    if tag != TENSORS:
                        raise PartFailed(FAILED, "the method's process sent no predictions after reporting success")
                channel.finish()
                return outcome, predictions
            else:
                raise PartFailed(FAILED, f"the method's process sent an unknown message {sorted(message)}")

    def _epoch(self, event: Any) -> None:
        if isinstance(event, dict) and isinstance(event.get("epoch"), int) and isinstance(event.get("metrics"), dict):
            self.plugins.epoch_finished(self.cell, event["epoch"], event.get("max_epochs"), event["metrics"])

    def _serve_load(self, channel: "_Channel", request: Any) -> None:
        if not isinstance(request, dict) or not isinstance(request.get("params"), dict):
            channel.send(JSON, json.dumps({"error": "a load_task request names a dataset and its parameters"}).encode())
            return
        try:
            channel.send(VIEW, self.load({"reference": request.get("dataset"), "params": request["params"]}))
        except PartFailed as failure:
            if failure.status == TIMEOUT:
                raise  # the cell's time is up, not just this dataset's loading
            channel.send(JSON, json.dumps({"error": failure.error}).encode())

    def evaluate(self, predictions: bytes) -> dict[str, Any]:
        """The record's score fields, from an evaluator started after the method's process
        exited."""
        channel = self._start(_evaluator_main, self.cell.to_dict(), self.settings)
        channel.send(TENSORS, predictions)
        limit = None if self.settings.timeout is None else time.monotonic() + self.settings.timeout + GRACE_S
        message = _json(*channel.receive(limit, "evaluator"))
        channel.finish()
        if "scores" not in message:
            raise PartFailed(FAILED, *_error(message))
        return message["scores"]

    def stop(self) -> None:
        for process in self.processes:
            _kill_group(process.pid)  # what a part left running (the method's worker processes)
            if process.is_alive():
                process.kill()
            process.join()


class _Channel:
    """The driving side's end of a connection to one part's process."""

    def __init__(self, connection, process):
        self.connection = connection
        self.process = process

    def send(self, tag: bytes, payload: bytes) -> None:
        try:
            self.connection.send_bytes(tag + payload)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            pass  # the part died; receive() reports how

    def receive(self, deadline: float | None, part: str) -> tuple[bytes, bytes]:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not self.connection.poll(timeout):
            self.process.kill()
            raise PartFailed(TIMEOUT, f"the cell's {part} process was killed {GRACE_S:g} s after the time limit (it did not stop when told)")
        try:
            message = self.connection.recv_bytes()
        except (EOFError, OSError):
            self.process.join(EXIT_WAIT_S)
            raise PartFailed(FAILED, describe_exit(part, self.process.exitcode)) from None
        return message[:1], message[1:]

    def finish(self) -> None:
        """Wait for the part to exit (killing it if it lingers) and kill what it left running:
        no two parts overlap, and nothing of the method's outlives it into the evaluation."""
        self.connection.close()
        self.process.join(EXIT_WAIT_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        _kill_group(self.process.pid)


def _kill_group(pid: int | None) -> None:
    """Kill the process group a part leads (every part starts one of its own)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (OSError, TypeError):
        pass  # already gone


class _without_data_root:
    """The data root out of the environment while a part starts: a fork server started then
    has none in its environment, so no forked process finds it there (not even in
    ``/proc/self/environ``, which keeps the environment the server was started with)."""

    def __enter__(self):
        self.saved = os.environ.pop(DATA_ROOT_ENV, None)

    def __exit__(self, *exc):
        if self.saved is not None:
            os.environ[DATA_ROOT_ENV] = self.saved


class _without_main_module:
    """No main module while a part starts, so that the part does not import the driving
    process's main script or module first, as multiprocessing does by default (as
    ``__mp_main__``). The parts run functions of this module and need nothing from it, and it
    can be costly: in a Ray worker it is Ray's worker script, and importing it (Ray with it)
    took about 0.3 s in every part, 1 s per cell; under Slurm it is submitit's."""

    def __enter__(self):
        self.saved = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")

    def __exit__(self, *exc):
        sys.modules["__main__"] = self.saved


def _json(tag: bytes, payload: bytes) -> dict[str, Any]:
    """A JSON message from a part's process (anything else is refused, never unpickled)."""
    try:
        message = json.loads(payload) if tag == JSON else None
    except ValueError:
        message = None
    if not isinstance(message, dict):
        raise PartFailed(FAILED, "a cell's process sent a message that is not a JSON object")
    return message


def _error(message: dict[str, Any]) -> tuple[str, str | None]:
    """The error and traceback a loader or evaluator reported."""
    return str(message.get("error", "the process reported no error message")), message.get("traceback")


def _outcome(report: Any) -> dict[str, Any]:
    """The method's report, checked to the types a :class:`~harness.worker.MethodOutcome` has."""
    if not isinstance(report, dict) or report.get("status") not in STATUSES:
        raise PartFailed(FAILED, "the method's process sent a malformed report")
    facts = report.get("facts") or {}
    if not isinstance(facts, dict) or set(facts) - set(METHOD_FACTS):
        raise PartFailed(FAILED, f"the method's process reported fields outside {list(METHOD_FACTS)}")
    error, trace = report.get("error"), report.get("traceback")
    return {"status": report["status"], "error": None if error is None else str(error), "traceback": None if trace is None else str(trace), "facts": facts}


def describe_exit(part: str, code: int | None) -> str:
    """Why a part's process ended without its last message."""
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        hint = " (killed: possibly out of memory)" if -code == signal.SIGKILL else ""
        return f"the cell's {part} process died from signal {name}{hint}"
    return f"the cell's {part} process exited with code {code} before sending its result"


# -- the fork server -------------------------------------------------------------------------


_server: dict[str, Any] = {}


def fork_server(settings: RunSettings):
    """Python's ``forkserver`` context, its server preloading :mod:`harness.warm_start` (with
    this run's plugin files and component modules) when this process starts it. The server is
    started here, before any cell's clock runs: its imports are paid once, by no cell.
    Environment changes made after it started do not reach the cells' processes."""
    if "context" not in _server:
        os.environ[WARM_START_ENV] = json.dumps({"plugin_files": list(settings.plugin_files), "modules": list(settings.warm_modules),
                                                 "allocator": settings.allocator})
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["harness.warm_start"])
        with _without_data_root(), _without_main_module():
            first = context.Process(target=_started, daemon=True)
            first.start()  # returns once the server has done its imports
            first.join()
        _server["context"] = context
    return _server["context"]


def _started() -> None:
    """The first process the fork server forks: proof that it is ready."""


# -- the parts' processes --------------------------------------------------------------------


def _start_part(holds_labels: bool) -> None:
    """First thing in a part's process: die with the fork server, and (a process that reads
    test labels) refuse to be traced or have its memory read by other processes of the user."""
    from harness.orphans import die_with_parent

    warm = sys.modules.get("harness.warm_start")
    die_with_parent(warm.FORKSERVER_PID if warm is not None else os.getppid())
    os.setpgid(0, 0)  # a group of its own, which the driving side kills when the part is done
    if holds_labels and sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0)  # PR_SET_DUMPABLE, 0


def _scoring_registry(settings: RunSettings):
    """The registry of a process that loads tasks (a loader, an evaluator), its metrics in use:
    a task resolves its metric when it is built."""
    from harness import metrics
    from harness.worker import _plugins

    registry = _plugins(settings)[1]
    metrics.use(registry)
    return registry


def _send_json(connection, message: dict[str, Any]) -> None:
    connection.send_bytes(JSON + json.dumps(message, default=str).encode())


def _failure(error: BaseException) -> dict[str, Any]:
    return {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()}


def _loader_main(request: dict[str, Any], settings: RunSettings, connection) -> None:
    """Load the cell's task (``{"cell"}``) or a referenced dataset (``{"reference", "params"}``)
    and send its view."""
    _start_part(holds_labels=True)
    from harness.loading import cell_view, load_cell_task, referenced_view

    try:
        registry = _scoring_registry(settings)
        if "cell" in request:
            cell = Cell.from_dict(request["cell"])
            view = cell_view(cell, load_cell_task(cell, registry, settings.data_root))
        else:
            view = referenced_view(registry, settings.data_root, request["reference"], request["params"])
        payload = pickle.dumps(view, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as error:  # noqa: BLE001 - a dataset's sys.exit is its cell's failure
        _send_json(connection, _failure(error))
        return
    connection.send_bytes(VIEW + payload)


class _RemoteTasks:
    """``load_task`` in the method's process: asks the driving side, which has a loader send
    the view."""

    def __init__(self, connection):
        self._connection = connection

    def __call__(self, dataset, params):
        _send_json(self._connection, {"load_task": {"dataset": dataset, "params": params}})
        message = self._connection.recv_bytes()
        if message[:1] == VIEW:
            return pickle.loads(message[1:])
        raise LookupError(json.loads(message[1:]).get("error", "the dataset could not be loaded"))


class _RemoteEpochs:
    """``epoch_finished`` in the method's process: tells the driving side's observers."""

    def __init__(self, connection):
        self._connection = connection

    def __call__(self, cell, epoch, max_epochs, metrics):
        numbers = {key: float(value) for key, value in metrics.items() if isinstance(value, (int, float))}
        _send_json(self._connection, {"epoch": {"epoch": int(epoch), "max_epochs": max_epochs, "metrics": numbers}})


def _method_main(cell_dict: dict[str, Any], settings: RunSettings, deadline: float | None, connection) -> None:
    """Receive the view, run the method, send its report and predictions."""
    _start_part(holds_labels=False)
    os.environ.pop(DATA_ROOT_ENV, None)
    from harness.worker import MethodOutcome, _plugins, build_components, forget_plugins, run_method, start_method

    cell = Cell.from_dict(cell_dict)
    outcome = MethodOutcome()
    try:
        device = start_method(cell, settings)
        message = connection.recv_bytes()
        view = pickle.loads(message[1:])
        # built in a frame of its own: no registry stays among this frame's locals
        components = build_components(cell, _plugins(settings)[1], view, device)
        forget_plugins()
        outcome = run_method(cell, device, components, view, deadline,
                             load_task=_RemoteTasks(connection), epoch_finished=_RemoteEpochs(connection))
    except BaseException as error:  # noqa: BLE001 - building the components failed
        outcome.fail(FAILED, f"{type(error).__name__}: {error}")
    report = {"status": outcome.status, "error": outcome.error, "traceback": outcome.traceback, "facts": outcome.facts}
    _send_json(connection, {"outcome": report})
    if outcome.status == COMPLETE:
        import torch

        buffer = io.BytesIO()
        torch.save(_prediction_tensors(outcome.predictions), buffer)
        connection.send_bytes(TENSORS + buffer.getvalue())


def _evaluator_main(cell_dict: dict[str, Any], settings: RunSettings, connection) -> None:
    """Load the task, test labels included, and score the predictions the driving side sends."""
    _start_part(holds_labels=True)
    from harness.loading import load_cell_task
    from harness.worker import check_predictions, evaluate

    try:
        message = connection.recv_bytes()
        predictions = _predictions(message[1:])
        cell = Cell.from_dict(cell_dict)
        task = load_cell_task(cell, _scoring_registry(settings), settings.data_root)
        check_predictions(task.items, predictions)
        _send_json(connection, {"scores": evaluate(task, predictions)})
    except BaseException as error:  # noqa: BLE001 - reported as the cell's failure
        _send_json(connection, _failure(error))


def _prediction_tensors(predictions) -> dict:
    """What crosses to the evaluator: tensors, lists of them and integers, nothing else."""
    def cpu(tensor):
        return tensor.detach().cpu()

    return {
        "valid": cpu(predictions.valid),
        "test": cpu(predictions.test),
        "epochs": [int(epoch.epoch) for epoch in predictions.epochs],
        "epoch_valid": [cpu(epoch.valid) for epoch in predictions.epochs],
        "epoch_test": [cpu(epoch.test) for epoch in predictions.epochs],
    }


def _predictions(payload: bytes):
    """The method's predictions from their bytes: tensors only (``weights_only``), never an
    arbitrary object."""
    import torch

    from harness.task import EpochPredictions, Predictions

    loaded = torch.load(io.BytesIO(payload), weights_only=True)
    if not isinstance(loaded, dict) or set(loaded) != set(_PREDICTION_KEYS):
        raise TypeError(f"the method's process sent predictions that are not {list(_PREDICTION_KEYS)}")
    epochs = [EpochPredictions(epoch, valid, test) for epoch, valid, test in zip(loaded["epochs"], loaded["epoch_valid"], loaded["epoch_test"], strict=True)]
    return Predictions(valid=loaded["valid"], test=loaded["test"], epochs=epochs)


_PREDICTION_KEYS = ("valid", "test", "epochs", "epoch_valid", "epoch_test")