"""Loading a task and making the view a method receives: the one place where a dataset factory
is called for a cell.

With isolation (the default) these run in a loader process of their own, and the method's
process receives only the view (:mod:`harness.isolation`); without it, in the cell's process.
"""

from __future__ import annotations

from typing import Any

from harness.cell import Cell, ComponentRef


def dataset_arguments(cell: Cell) -> dict[str, Any]:
    """What the cell's dataset factory receives: its arguments and, unless the split is the
    dataset's own (fixed), the cell's :class:`~harness.cell.Split` as ``split_choice``."""
    arguments = cell.dataset.arguments()
    if not cell.split.fixed:
        arguments["split_choice"] = cell.split
    return arguments


def load_cell_task(cell: Cell, registry, data_root: str):
    """The cell's :class:`~harness.task.Task`, test labels included."""
    dataset = registry.get("dataset", cell.dataset.name)
    return dataset.load()(root=data_root, **dataset_arguments(cell))


def cell_view(cell: Cell, task):
    """The view of the cell's task a method receives, with the cell's dataset identity."""
    view = task.method_view()
    # The split belongs to the identity: a stage trained on one fold's labels is not another's.
    view.identity = cell.dataset.identity() if cell.split.fixed else {**cell.dataset.identity(), "split": cell.split.to_record()}
    return view


def referenced_view(registry, data_root: str, dataset: str | dict[str, Any], params: dict[str, Any]):
    """Another dataset's view (what :meth:`harness.context.RunContext.load_task` returns).

    ``dataset`` is a dataset reference as a ``dataset``/``datasets`` parameter resolves it
    (``{"name", "params", "version"}``), or a dataset name with ``params`` over its defaults.
    A reference whose version differs from the installed dataset's is refused: the cell id
    promised another."""
    if isinstance(dataset, dict):
        if params:
            raise TypeError("load_task(reference) takes no parameters: the reference carries them")
        name, params = dataset["name"], {**dataset["params"], **dataset.get("options", {})}
    else:
        name = dataset
    component = registry.get("dataset", name)
    if isinstance(dataset, dict) and dataset.get("version", component.version) != component.version:
        raise ValueError(f"dataset {name!r} is version {component.version}; this cell was resolved against version {dataset['version']}")
    resolved = {**component.defaults(), **params}
    view = component.load()(root=data_root, **resolved).method_view()
    identifying = {k: v for k, v in resolved.items() if component.param(k) is None or component.param(k).affects_results}
    view.identity = ComponentRef(name, identifying, component.version).identity()
    return view
