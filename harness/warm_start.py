"""What the fork server of :mod:`harness.isolation` imports once, so that every process it forks
for a cell starts with torch, PyG and the plugins already imported (the per-cell start cost is
a fork, not an interpreter start and torch's import).

Imported only in the fork server, which holds no registry and no data afterwards: only
modules. What to load comes from the environment variable
``HARNESS_WARM_START`` (JSON: ``plugin_files``, the run's ``--plugin`` files, ``modules``,
the factory modules of the grid's components and what its metrics import, and ``allocator``, the run's ``--allocator``),
set by the process that starts the server.
Nothing here may fail the server: a module that cannot be imported is left for the cell that
needs it to report.
"""

from __future__ import annotations

import gc
import importlib
import json
import os

from harness.isolation import WARM_START_ENV
#: what every cell's processes use: the libraries and the harness's own cell modules (what a
#: grid's metrics import, such as scikit-learn's for ROC-AUC, comes with ``modules``)
CORE_MODULES = ("numpy", "torch", "torch_geometric", "harness.worker", "harness.task", "harness.loading",
                "harness.isolation", "harness.cache", "harness.memory", "harness.provenance")
#: the fork server's own pid: the parent every forked cell process asks to die with
FORKSERVER_PID = os.getpid()


def _warm() -> None:
    from harness.orphans import die_with_parent

    die_with_parent(os.getppid())  # the server goes when the harness that started it goes
    # A CUDA check must not initialise the driver here: forked children could not use it.
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    wanted = json.loads(os.environ.get(WARM_START_ENV) or "{}")
    from harness.allocator import configure

    configure(wanted.get("allocator", "default"))  # every process forked from here inherits it
    for name in (*CORE_MODULES, *wanted.get("modules", [])):
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - the cell that needs the module reports it
            pass
    try:  # imports every plugin's module; each cell's process builds its own registry (~10 ms)
        from harness.registry import load_registry

        load_registry(tuple(wanted.get("plugin_files", ())))
    except BaseException:  # noqa: BLE001 - each cell loads the plugins itself and reports
        pass
    # What is here now is shared by every forked process: frozen, a collection there neither
    # scans it (a quarter of a second with torch imported) nor copies its pages.
    gc.collect()
    gc.freeze()


_warm()
