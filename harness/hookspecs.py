"""The hooks a harness plugin may implement.

Component hooks return declarations (:class:`harness.Component`); they run when the plugin
manager builds the registry and must do no work beyond building those declarations (no torch
import). What each declared factory is called with and returns is a contract of
:mod:`harness.contracts`. Observer hooks are called while a grid runs; observers never change
results. ``docs/plugin_hooks.md`` heads each hook's section with its signature as annotated
here (a test compares them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from harness import PROJECT_NAME
from harness.components import Component

if TYPE_CHECKING:
    from harness.cell import Cell
    from harness.components import Component
    from harness.grid import Grid

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def harness_datasets() -> list[Component]:
    """Declare dataset components.

    Called once when the registry is built (``harness list``, ``harness run``, ...).

    :return: a list of :class:`harness.Component` with ``kind="dataset"``. The factory is a
        :class:`harness.contracts.DatasetFactory`: ``factory(root=..., **params)`` returns the task
        bundle :class:`harness.task.Task`.
    """


@hookspec
def harness_encoders() -> list[Component]:
    """Declare node encoder components.

    Called once when the registry is built.

    :return: a list of :class:`harness.Component` with ``kind="encoder"``. The factory is an
        :class:`harness.contracts.EncoderFactory`: ``factory(**params)`` returns an
        :class:`harness.contracts.Encoder` (the base class :class:`harness.encoder.Encoder`).
    """


@hookspec
def harness_backbones() -> list[Component]:
    """Declare GNN backbone components.

    Called once when the registry is built.

    :return: a list of :class:`harness.Component` with ``kind="backbone"``. The factory is a
        :class:`harness.contracts.BackboneComponentFactory`: ``factory(in_dim, out_dim,
        task_type, **params)`` returns a ``torch.nn.Module`` whose ``forward(x, edge_index,
        edge_attr=None)`` gives one row per node. Methods receive it bound to the cell's
        parameters as a :class:`harness.contracts.BackboneFactory`.
    """


@hookspec
def harness_methods() -> list[Component]:
    """Declare training-method components.

    Called once when the registry is built.

    :return: a list of :class:`harness.Component` with ``kind="method"``. The factory is a
        :class:`harness.contracts.MethodFactory`: ``factory(**params)`` returns a
        :class:`harness.contracts.Method`, whose ``run(task, encoder, backbone, context)``
        returns :class:`harness.task.Predictions`.
    """


@hookspec
def harness_executors() -> list[Component]:
    """Declare execution back-ends.

    Called once when the registry is built.

    :return: a list of :class:`harness.Component` with ``kind="executor"``. The factory is an
        :class:`harness.contracts.ExecutorFactory`: ``factory(**params)`` returns a
        :class:`harness.contracts.Executor`. The runner calls its ``map(function, cells,
        started)`` with all three arguments, positionally: ``function`` is a picklable
        callable that runs one cell and returns its record, ``started(cell)`` must be called as
        each cell is handed over, and ``map`` yields ``(cell, record)`` as cells finish.
    """


@hookspec
def harness_metrics() -> list[Component]:
    """Declare metric components.

    Called once when the registry is built. Datasets name a registered metric (``acc``,
    ``hits@20``); the evaluator, the leaderboard (direction, display name) and submitted
    entries look it up in the same registry. The built-in metrics are declared this way by the
    internal plugin :mod:`harness.metrics`.

    :return: a list of :class:`harness.Component` with ``kind="metric"``, best built with
        :func:`harness.metrics.metric` (``higher_is_better``, ``display``, the input contract:
        ``task_types`` and ``inputs``, ``params`` and ``at``, the parameter an ``@`` suffix
        sets). The factory is called as ``factory(**params)`` when a score is first computed
        and returns a callable ``(y_true, y_pred) -> float`` that raises
        :class:`harness.evaluator.EvaluatorInputError` on malformed input.
    """


@hookspec
def harness_grid_started(grid: Grid, cells: list[Cell]) -> None:
    """Observe the start of a grid run.

    Called in the driving process once the grid is validated and cells with a complete record
    are set aside, before the first cell is handed to the executor.

    :param grid: the :class:`harness.grid.Grid` (name, path, all cells, dropped combinations).
    :param cells: the cells that will run now, in order.
    :return: ignored.
    """


@hookspec
def harness_run_started(cell: Cell) -> None:
    """Observe the start of one cell.

    Called in the process that drives the grid, just before the cell is handed to the executor.

    :param cell: the :class:`harness.cell.Cell` about to run.
    :return: ignored.
    """


@hookspec
def harness_epoch_finished(cell: Cell, epoch: int, max_epochs: int | None, metrics: dict[str, float]) -> None:
    """Observe one logged epoch of a running cell.

    Called from the process that runs the cell, each time the method logs an epoch
    (``context.log_epoch``) or the progress of a long stage (``context.log_progress``, such as
    pre-training: ``epoch`` and ``max_epochs`` are then the stage's step and steps).

    :param cell: the running :class:`harness.cell.Cell`.
    :param epoch: the epoch number, counted from 0.
    :param max_epochs: the planned number of epochs, or ``None`` when unknown.
    :param metrics: a dict of the epoch's logged values (for example ``train_loss`` and
        ``valid``).
    :return: ignored.
    """


@hookspec
def harness_run_finished(cell: Cell, record: dict[str, Any]) -> None:
    """Observe the end of one cell.

    Called in the process that drives the grid once the cell's record is written, whatever its
    status (``complete``, ``failed``, ``timeout``). Cells set aside because a record already
    exists are not run and not reported here (:func:`harness_grid_started` receives only the
    cells that run).

    :param cell: the :class:`harness.cell.Cell` that ended.
    :param record: the record as written to the results folder: the JSON form of
        :class:`harness.record.Record` (``Record.from_dict(record)`` reads it typed; its shape
        is ``docs/record.schema.json``).
    :return: ignored.
    """
