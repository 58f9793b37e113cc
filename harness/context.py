"""The run context: what a method may ask the harness for while it runs one cell.

- ``seed``, ``device``, ``data_root``: where and how to run.
- :meth:`log_epoch`: the training curve (kept in the record, shown by the progress display);
  also where a per-cell time limit interrupts a method cooperatively.
- :meth:`encode`: node features from the cell's encoder, cached when the encoder is frozen.
- :meth:`artifact`: a cached stage output (pre-trained model, teacher predictions) keyed by
  everything that determines it, so that a stage shared by many cells runs once.
- :meth:`load_task`: another dataset (for pre-training or multi-dataset training), usually one a
  ``dataset``/``datasets`` parameter references, with its test labels hidden like the cell's own.
- :meth:`track`: modules whose parameters count toward the record's #params.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from harness.cell import Cell
from harness.registry import Registry


class CellTimeout(Exception):
    """The cell ran past its time limit."""


class RunContext:
    def __init__(self, cell: Cell, registry: Registry, plugins, cache, data_root: str, device: str, deadline: float | None):
        self.cell = cell
        self.seed = cell.seed
        self.device = device
        self.data_root = data_root
        self.curve: list[dict[str, Any]] = []
        self.max_epochs: int | None = None
        self._registry = registry
        self._plugins = plugins
        self._cache = cache
        self._deadline = deadline
        self._modules: list = []
        self.external_data = False

    # -- progress and time -------------------------------------------------------------------

    def plan_epochs(self, max_epochs: int) -> None:
        """Tell the progress display how many epochs to expect."""
        self.max_epochs = max_epochs

    def log_epoch(self, epoch: int, **metrics: float) -> None:
        self.curve.append({"epoch": epoch, **metrics})
        self._plugins.epoch_finished(self.cell, epoch, self.max_epochs, metrics)
        self.check_time()

    def check_time(self) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise CellTimeout("the cell ran past its time limit")

    # -- stages and caches -------------------------------------------------------------------

    def artifact(self, kind: str, key: dict[str, Any], build: Callable[[], Any]) -> Any:
        """A cached payload (tensors, dicts/lists of tensors, plain numbers and strings).
        ``key`` must name everything that determines the payload, versions included."""
        return self._cache.get_or_build({"kind": kind, **key}, build)

    def encode(self, task, encoder):
        """``task`` with node features from ``encoder`` (cached when the encoder is frozen)."""
        self.track(*encoder.modules())
        if not encoder.cacheable:
            features = encoder.encode(task)
        else:
            key = {"dataset": task.identity, "encoder": self.cell.encoder.identity()}
            features = self.artifact("encoder-output", key, lambda: encoder.encode(task))
        return task if features is None else task.with_features(features)

    def load_task(self, dataset: str | dict[str, Any], **params):
        """Another dataset's task as a method may see it (no test labels), with its identity
        (name, parameters, version) for cache keys.

        ``dataset`` is a dataset reference as the method received it from a ``dataset`` or
        ``datasets`` parameter (``{"name", "params", "version"}``, resolved by the grid and part
        of the cell id), or a dataset name with ``params`` over its defaults. A reference whose
        version differs from the installed dataset's is refused: the cell id promised another.
        """
        from harness.cell import ComponentRef

        if isinstance(dataset, dict):
            if params:
                raise TypeError("load_task(reference) takes no parameters: the reference carries them")
            name, params = dataset["name"], {**dataset["params"], **dataset.get("options", {})}
        else:
            name = dataset
        component = self._registry.get("dataset", name)
        if isinstance(dataset, dict) and dataset.get("version", component.version) != component.version:
            raise ValueError(f"dataset {name!r} is version {component.version}; this cell was resolved against version {dataset['version']}")
        resolved = {**component.defaults(), **params}
        task = component.load()(root=self.data_root, **resolved)
        view = task.method_view()
        identifying = {k: v for k, v in resolved.items() if component.param(k) is None or component.param(k).affects_results}
        view.identity = ComponentRef(name, identifying, component.version).identity()
        return view

    # -- accounting --------------------------------------------------------------------------

    def track(self, *modules) -> None:
        self._modules.extend(modules)

    def num_params(self) -> int:
        seen, total = set(), 0
        for module in self._modules:
            for parameter in module.parameters():
                if id(parameter) not in seen:
                    seen.add(id(parameter))
                    total += parameter.numel()
        return total
