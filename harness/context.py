"""The run context: what a method may ask the harness for while it runs one cell.

- ``seed``, ``device``: how and where to run. ``device`` is the run's ``--device`` (``auto``
  resolved), the only source of a device: the harness has put the cell's encoder there.
- :meth:`log_epoch`: the training curve (kept in the record, shown by the progress display);
  also where a per-cell time limit interrupts a method cooperatively. :meth:`log_progress`:
  the same for a long stage (pre-training), shown but not kept in the curve.
- :meth:`encode`: node features from the cell's encoder, an encoder-owned stage when the
  encoder is frozen.
- :meth:`stage`: an earlier stage of the method (pre-trained model, teacher predictions,
  fine-tuned encoder) declared with what it depends on; the harness derives its cache key, so a
  stage shared by many cells runs once, and lists it in the record (``stages``).
- :meth:`load_task`: another dataset (for pre-training or multi-dataset training), usually one a
  ``dataset``/``datasets`` parameter references, with its test labels hidden like the cell's own.
- :meth:`track`: modules whose parameters count toward the record's #params.

The context holds no registry, dataset factory or data root: it reaches datasets only through
the ``load_task`` function the harness gives it, which returns views without test labels (in a
run with isolation, from a loader process: :mod:`harness.isolation`).
"""

from __future__ import annotations

import contextlib
import random
import time
from typing import Any, Callable, Mapping, Sequence

from harness import sparse_features
from harness.cache import cache_key
from harness.cell import Cell

#: who may own a stage: the cell's method, or its encoder (outputs of the encoder alone, which
#: every method using that encoder shares)
STAGE_OWNERS = ("method", "encoder")
#: the cell's other components whose identity a stage may depend on
STAGE_USES = ("encoder", "backbone")


class CellTimeout(Exception):
    """The cell ran past its time limit."""


#: ``load_task(dataset, params)``: a dataset reference or name, and parameters, to a view
TaskLoader = Callable[[Any, dict], Any]
#: ``epoch_finished(cell, epoch, max_epochs, metrics)``: tells the run's observers
EpochObserver = Callable[[Cell, int, "int | None", dict], None]


class RunContext:
    def __init__(self, cell: Cell, cache, device: str, deadline: float | None, *, load_task: TaskLoader, epoch_finished: EpochObserver,
                 sparse_features: bool = False):
        self.cell = cell
        self.seed = cell.seed
        self.device = device
        self.curve: list[dict[str, Any]] = []
        self.max_epochs: int | None = None
        self._load_task = load_task
        #: whether the cell's method and backbone take CSR features (:mod:`harness.sparse_features`)
        self.sparse_features = sparse_features
        self._epoch_finished = epoch_finished
        self._cache = cache
        self._deadline = deadline
        self._modules: list = []
        self.external_data = False
        #: every stage this cell used, in first-use order: ``{"name", "key", "status"}``
        self.stages: list[dict[str, str]] = []

    # -- progress and time -------------------------------------------------------------------

    def plan_epochs(self, max_epochs: int) -> None:
        """Tell the progress display how many epochs to expect."""
        self.max_epochs = max_epochs

    def log_progress(self, step: int, steps: int | None, **metrics: float) -> None:
        """Tell the run's observers how a long part of the cell that is not its training curve
        advances (a pre-training stage: ``step`` of ``steps`` epochs, counted from 0, and its
        loss); nothing enters the record's curve. Like :meth:`log_epoch`, it is where the cell's
        time limit interrupts the method."""
        self._epoch_finished(self.cell, step, steps, metrics)
        self.check_time()

    def log_epoch(self, epoch: int, **metrics: float) -> None:
        self.curve.append({"epoch": epoch, **metrics})
        self._epoch_finished(self.cell, epoch, self.max_epochs, metrics)
        self.check_time()

    def check_time(self) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise CellTimeout("the cell ran past its time limit")

    # -- stages and caches -------------------------------------------------------------------

    def stage(self, name: str, build: Callable[[], Any], *, params: Mapping[str, Any], datasets: Sequence = (),
              seed: int | None = None, owner: str = "method", uses: Sequence[str] = (), family: str | None = None) -> Any:
        """The output of stage ``name``, from the cache or from ``build()`` (then cached).

        The harness derives the cache key from what the stage is declared to depend on, and from
        nothing written by hand:

        - the owner's name and version: the cell's ``method`` (the default) or its ``encoder``
          (an output of the encoder alone, shared by every method that uses it);
        - ``params``: the parameters the stage depends on, and only those, so that cells
          differing in a downstream-only parameter share the stage;
        - ``datasets``: the tasks the stage reads (each one's ``identity``: name, parameters,
          version), such as the cell's task or a pre-training corpus from :meth:`load_task`;
        - ``uses``: the cell's other components the stage depends on (``"encoder"``,
          ``"backbone"``), by identity (name, parameters, version);
        - ``seed``: the stage's own seed (a pre-training seed, or ``context.seed`` for a stage
          per cell seed); None for a stage that draws no random numbers;
        - ``family``: for a stage that several methods of one plugin build alike (Hu et al.'s
          node-level pre-training, which ``attrmasking`` fine-tunes and ``supervised-pretrain``
          continues), the family's name replaces the owning method's name in the key, so that
          they share it; the method's version still enters it, and ``params`` must then say
          everything the stage depends on.

        ``build`` runs with Python's, NumPy's and torch's generators seeded with ``seed`` (0 when
        None), and their state is restored afterwards: the payload depends on its key alone, and
        what follows draws the same numbers whether the stage was built or reused. Payloads are
        tensors, dicts and lists of them, numbers and strings. The record lists every stage the
        cell used with its key and whether it was ``built`` or ``reused``.
        """
        description = self._stage_description(name, params, datasets, seed, owner, uses, family)
        payload, built = self._cache.get_or_build_reporting(description, lambda: _seeded(seed or 0, build))
        key = cache_key(description)
        if all(entry["key"] != key for entry in self.stages):
            self.stages.append({"name": name, "key": key, "status": "built" if built else "reused"})
        return payload

    def _stage_description(self, name, params, datasets, seed, owner, uses, family=None) -> dict[str, Any]:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a stage needs a non-empty name, got {name!r}")
        if owner not in STAGE_OWNERS:
            raise ValueError(f"stage {name!r}: owner must be one of {list(STAGE_OWNERS)}, got {owner!r}")
        unknown = [use for use in uses if use not in STAGE_USES]
        if unknown:
            raise ValueError(f"stage {name!r}: uses must name components among {list(STAGE_USES)}, got {unknown}")
        if not isinstance(params, Mapping):
            raise TypeError(f"stage {name!r}: params must be a mapping of the parameters it depends on")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"stage {name!r}: seed must be an int or None, got {seed!r}")
        if family is not None and (owner != "method" or not isinstance(family, str) or not family):
            raise ValueError(f"stage {name!r}: a family is a non-empty name shared by methods, got {family!r} (owner {owner!r})")
        component = getattr(self.cell, owner)
        who = {"kind": owner, "name": component.name} if family is None else {"kind": "method-family", "name": family}
        return {
            "stage": name,
            "owner": {**who, "version": component.version},
            "params": dict(params),
            "datasets": [dict(task.identity) for task in datasets],
            "uses": {axis: getattr(self.cell, axis).identity() for axis in sorted(set(uses))},
            "seed": seed,
        }

    def encode(self, task, encoder):
        """``task`` with node features from ``encoder`` (an encoder-owned stage when the encoder
        is frozen: computed once per dataset and encoder configuration)."""
        self.track(*encoder.modules())
        if not encoder.cacheable:
            features = encoder.encode(task)
        else:
            features = self.stage("encoder-output", lambda: encoder.encode(task), params=self.cell.encoder.params, datasets=[task], owner="encoder")
        features = sparse_features.as_received(self.sparse_features, features, task)
        return task if features is None else task.with_features(features)

    def load_task(self, dataset: str | dict[str, Any], **params):
        """Another dataset's task as a method may see it (no test labels), with its identity
        (name, parameters, version) for cache keys.

        ``dataset`` is a dataset reference as the method received it from a ``dataset`` or
        ``datasets`` parameter (``{"name", "params", "version"}``, resolved by the grid and part
        of the cell id), or a dataset name with ``params`` over its defaults. A reference whose
        version differs from the installed dataset's is refused: the cell id promised another.
        """
        return sparse_features.dense_unless(self.sparse_features, self._load_task(dataset, params))

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


def _seeded(seed: int, build: Callable[[], Any]) -> Any:
    """``build()`` with the generators seeded with ``seed``, their state restored afterwards."""
    import numpy as np
    import torch

    python_state, numpy_state = random.getstate(), np.random.get_state()
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
    with contextlib.ExitStack() as restore, torch.random.fork_rng(devices=cuda):
        restore.callback(np.random.set_state, numpy_state)
        restore.callback(random.setstate, python_state)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        return build()
