"""The hooks a harness plugin may implement.

Component hooks return declarations (:class:`harness.Component`); they run when the plugin
manager builds the registry and must do no work beyond building those declarations (no torch
import). Observer hooks are called while a grid runs; observers never change results.
"""

from __future__ import annotations

import pluggy

from harness import PROJECT_NAME
from harness.components import Component

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


@hookspec
def harness_datasets():
    """Declare dataset components.

    Called once when the registry is built (``harness list``, ``harness run``, ...).

    :return: a list of :class:`harness.Component` with ``kind="dataset"``. The factory is
        called as ``factory(root=<data root>, **params)`` and returns a
        :class:`harness.task.Task`.
    """


@hookspec
def harness_encoders():
    """Declare node encoder components.

    Called once when the registry is built.

    :return: a list of :class:`harness.Component` with ``kind="encoder"``. The factory is
        called as ``factory(**params)`` and returns an :class:`harness.encoder.Encoder`.
    """


@hookspec
def harness_backbones():
    """Declare GNN backbone components.

    Called once when the registry is built.

    :return: a list of :class:`harness.Component` with ``kind="backbone"``. The factory is
        called as ``factory(in_dim, out_dim, task_type, **params)`` and returns a
        ``torch.nn.Module`` whose ``forward(x, edge_index, edge_attr=None)`` gives one row per
        node.
    """


@hookspec
def harness_methods():
    """Declare training-method components.

    Called once when the registry is built.

    :return: a list of :class:`harness.Component` with ``kind="method"``. The factory is
        called as ``factory(**params)`` and returns an object with
        ``run(task, encoder, backbone, context) -> harness.task.Predictions``.
    """


@hookspec
def harness_executors():
    """Declare execution back-ends.

    Called once when the registry is built.

    :return: a list of :class:`harness.Component` with ``kind="executor"``. The factory is
        called as ``factory(**params)`` and returns an object with
        ``map(function, cells) -> iterator of (cell, record)``, where ``function`` is a
        picklable callable that runs one cell and returns its record.
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
def harness_grid_started(grid, cells):
    """Observe the start of a grid run.

    Called in the driving process once the grid is validated and cells with a complete record
    are set aside, before the first cell is handed to the executor.

    :param grid: the :class:`harness.grid.Grid` (name, path, all cells, dropped combinations).
    :param cells: the cells that will run now, in order.
    :return: ignored.
    """


@hookspec
def harness_run_started(cell):
    """Observe the start of one cell.

    Called in the process that drives the grid, just before the cell is handed to the executor.

    :param cell: the :class:`harness.cell.Cell` about to run.
    :return: ignored.
    """


@hookspec
def harness_epoch_finished(cell, epoch, max_epochs, metrics):
    """Observe one logged epoch of a running cell.

    Called from the process that runs the cell, each time the method logs an epoch.

    :param cell: the running :class:`harness.cell.Cell`.
    :param epoch: the epoch number, counted from 0.
    :param max_epochs: the planned number of epochs, or ``None`` when unknown.
    :param metrics: a dict of the epoch's logged values (for example ``train_loss`` and
        ``valid``).
    :return: ignored.
    """


@hookspec
def harness_run_finished(cell, record):
    """Observe the end of one cell.

    Called in the process that drives the grid once the cell's record is written, whatever its
    status (``complete``, ``failed``, ``timeout``), and for cells skipped because a complete
    record already exists (status ``skipped``).

    :param cell: the :class:`harness.cell.Cell` that ended.
    :param record: the record dict as written to the results folder.
    :return: ignored.
    """
