"""Every contract between the harness and a plugin's components, in one place.

A component declared through a hook (see :mod:`harness.hookspecs` and ``docs/plugin_hooks.md``)
has a factory; what the factory is called with and what it returns is written here as a typed
:class:`typing.Protocol` (or, for encoders, the base class :class:`harness.encoder.Encoder`):

- dataset: :class:`DatasetFactory` returns the task bundle :class:`harness.task.Task`;
- encoder: :class:`EncoderFactory` returns an :class:`Encoder`;
- backbone: :class:`BackboneComponentFactory` returns a ``torch.nn.Module``; a method receives it
  bound to the cell's parameters as a :class:`BackboneFactory`;
- method: :class:`MethodFactory` returns a :class:`Method`, whose ``run`` returns
  :class:`harness.task.Predictions`;
- executor: :class:`ExecutorFactory` returns an :class:`Executor`, which runs a
  :data:`CellFunction` per cell and yields each cell with its record (the JSON form of
  :class:`harness.record.Record`).

The harness calls each exactly as declared here (the runner calls ``executor.map(function,
cells, started)``, all three positionally). :func:`problems` checks that an object (or class)
has a protocol's methods with compatible signatures; the test suite runs it on every built-in
component, and plugin authors can run it on theirs.

Importing this module does not import torch: the task types resolve lazily
(``harness.contracts.Task`` imports :mod:`harness.task` on first use).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol, runtime_checkable

from harness.encoder import Encoder

if TYPE_CHECKING:
    import torch

    from harness.cell import Cell
    from harness.context import RunContext
    from harness.task import EpochPredictions, Predictions, Task, TaskView

__all__ = [
    "BackboneComponentFactory",
    "BackboneFactory",
    "CellFunction",
    "DatasetFactory",
    "Encoder",
    "EncoderFactory",
    "EpochPredictions",
    "Executor",
    "ExecutorFactory",
    "Method",
    "MethodFactory",
    "Predictions",
    "Task",
    "TaskView",
    "problems",
]

#: What an executor runs for each cell: takes the cell, returns its record as a JSON-able dict
#: (:meth:`harness.record.Record.to_dict`). Picklable, so that it can cross process boundaries.
CellFunction = Callable[["Cell"], dict[str, Any]]


@runtime_checkable
class DatasetFactory(Protocol):
    """A dataset component's factory: ``factory(root=..., **params)`` loads the task.

    ``root`` is the data root (``--data-root``); ``params`` are the component's resolved
    parameters, all passed by keyword. Returns the full :class:`harness.task.Task`, test labels
    included: the harness hides them from the method.
    """

    def __call__(self, *, root: str, **params: Any) -> Task: ...


@runtime_checkable
class EncoderFactory(Protocol):
    """An encoder component's factory: ``factory(**params)`` returns an :class:`Encoder`."""

    def __call__(self, **params: Any) -> Encoder: ...


@runtime_checkable
class BackboneComponentFactory(Protocol):
    """A backbone component's factory: ``factory(in_dim, out_dim, task_type, **params)``.

    Returns a ``torch.nn.Module`` whose ``forward(x, edge_index, edge_attr=None)`` gives one row
    of width ``out_dim`` per node. A backbone declaring the ``no-propagation`` capability also
    has ``hops`` and ``forward_without_propagation(x)``.
    """

    def __call__(self, in_dim: int, out_dim: int, task_type: str, **params: Any) -> torch.nn.Module: ...


@runtime_checkable
class BackboneFactory(Protocol):
    """The backbone as a method receives it: the component bound to the cell's parameters and
    task type (the harness builds it as :class:`harness.worker.BackboneFactory`).

    ``backbone(in_dim, out_dim)`` builds a fresh module; keyword ``overrides`` replace the
    cell's parameters for this one module (a method building a second, smaller head, say).
    """

    name: str
    params: dict[str, Any]
    capabilities: frozenset[str]
    task_type: str

    def __call__(self, in_dim: int, out_dim: int, **overrides: Any) -> torch.nn.Module: ...


@runtime_checkable
class Method(Protocol):
    """A training method, as its component's factory returns it.

    ``run`` trains on ``task`` (a :class:`harness.task.TaskView`: no test labels), with the
    cell's encoder, backbone factory and :class:`harness.context.RunContext`, selects on
    validation only and returns the scores of the validation and test items. The harness
    computes the reported metrics from them.
    """

    def run(self, task: TaskView, encoder: Encoder, backbone: BackboneFactory, context: RunContext) -> Predictions: ...


@runtime_checkable
class MethodFactory(Protocol):
    """A method component's factory: ``factory(**params)`` returns a :class:`Method`."""

    def __call__(self, **params: Any) -> Method: ...


@runtime_checkable
class Executor(Protocol):
    """An execution back-end (local, a process pool; Ray or Slurm plug in the same way).

    The runner calls ``executor.map(function, cells, started)`` positionally, all three
    arguments given. ``map`` calls ``started(cell)`` as it hands each cell over (in the calling
    process), runs ``function(cell)`` wherever it likes, and yields ``(cell, record)`` as cells
    finish, in any order; ``record`` is what ``function`` returned. It must yield every cell it
    was given unless the caller stops iterating (``--fail-fast``), and clean up when it does.

    An executor whose cells run where the driver may not see them finish (other nodes, jobs
    that outlive ``harness run``) sets a true class attribute ``writes_records``: ``function``
    then writes each cell's record itself and skips a cell already complete when it starts
    (:mod:`harness.worker_records`); for a cell whose worker could not return (killed more often
    than its retry limit), ``map`` yields a failed record saying why, which the runner writes
    unless a worker wrote a complete one. Such an executor may also yield nothing and return at
    once after submitting (``wait=False``): the workers record the cells.
    """

    def map(
        self,
        function: CellFunction,
        cells: Iterable[Cell],
        started: Callable[[Cell], None],
    ) -> Iterator[tuple[Cell, dict[str, Any]]]: ...


@runtime_checkable
class ExecutorFactory(Protocol):
    """An executor component's factory: ``factory(**params)`` returns an :class:`Executor`."""

    def __call__(self, **params: Any) -> Executor: ...


def problems(candidate: Any, protocol: type) -> list[str]:
    """Why ``candidate`` (an object, a function or a class) does not satisfy ``protocol``: each
    method of the protocol must exist and accept the protocol's parameters as the harness passes
    them (positional ones in the same order and with the same names, keyword ones by name); any
    further parameter needs a default unless the protocol also passes ``**params``. For a
    factory protocol a class is checked through its constructor. Empty when it satisfies it
    (``isinstance`` with the protocol also checks its data attributes)."""
    found = []
    for name in _protocol_methods(protocol):
        member = _member(candidate, name)
        if member is None:
            found.append(f"{_name(candidate)} has no method {name}()")
            continue
        expected = _parameters(getattr(protocol, name))
        try:
            actual = _parameters(member)
        except (TypeError, ValueError):
            continue  # a builtin without an inspectable signature: nothing to compare
        problem = _mismatch(expected, actual)
        if problem:
            found.append(f"{_name(candidate)}.{name}{_signature(actual)}: {problem}; the contract is {name}{_signature(expected)}")
    return found


def _protocol_methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items() if callable(value) and (not name.startswith("_") or name == "__call__")]


def _member(candidate: Any, name: str):
    """The callable that answers ``candidate.<name>(...)``; for ``__call__``, calling the
    candidate itself (a function, or a class through its constructor)."""
    if name == "__call__" and callable(candidate):
        return candidate.__init__ if inspect.isclass(candidate) else candidate
    member = getattr(candidate, name, None)
    return member if callable(member) else None


def _parameters(function) -> list[inspect.Parameter]:
    parameters = list(inspect.signature(function).parameters.values())
    # Drop the bound instance: compare what a caller passes.
    if parameters and parameters[0].name == "self":
        parameters = parameters[1:]
    return parameters


def _mismatch(expected: list[inspect.Parameter], actual: list[inspect.Parameter]) -> str | None:
    positional_kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    by_name = {p.name: p for p in actual}
    takes_more_positional = any(p.kind is p.VAR_POSITIONAL for p in actual)
    takes_any_keyword = any(p.kind is p.VAR_KEYWORD for p in actual)
    positional = [p for p in actual if p.kind in positional_kinds]
    # what the caller passes by position: same order, same names
    for index, want in enumerate(p for p in expected if p.kind in positional_kinds):
        if index >= len(positional):
            if takes_more_positional:
                break
            return f"missing parameter {want.name!r}"
        if positional[index].name != want.name:
            return f"parameter {index + 1} is {positional[index].name!r}, expected {want.name!r}"
    # what the caller passes by name
    for want in (p for p in expected if p.kind is p.KEYWORD_ONLY):
        got = by_name.get(want.name)
        if got is None and not takes_any_keyword:
            return f"missing keyword parameter {want.name!r}"
        if got is not None and got.kind not in (got.POSITIONAL_OR_KEYWORD, got.KEYWORD_ONLY):
            return f"parameter {want.name!r} must be accepted by keyword"
    # anything else must have a default, unless the caller also passes **params (the
    # component's parameters, which fill them)
    if not any(p.kind is p.VAR_KEYWORD for p in expected):
        named = {p.name for p in expected}
        for extra in actual:
            if extra.name not in named and extra.kind not in (extra.VAR_POSITIONAL, extra.VAR_KEYWORD) and extra.default is extra.empty:
                return f"extra required parameter {extra.name!r}"
    return None


def _signature(parameters: list[inspect.Parameter]) -> str:
    return str(inspect.Signature([p.replace(annotation=inspect.Parameter.empty) for p in parameters]))


def _name(candidate: Any) -> str:
    return candidate.__qualname__ if inspect.isclass(candidate) or inspect.isfunction(candidate) else type(candidate).__qualname__


def __getattr__(name: str):
    # The task types live beside torch; importing them here only on use keeps this module light.
    if name in ("Task", "TaskView", "Predictions", "EpochPredictions"):
        from harness import task

        return getattr(task, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
