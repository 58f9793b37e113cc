"""Run settings: everything besides the cell that a worker needs. Plain and picklable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DATA_ROOT_ENV = "HARNESS_DATA_ROOT"
CACHE_DIR_ENV = "HARNESS_CACHE_DIR"


def default_data_root() -> str:
    return os.environ.get(DATA_ROOT_ENV) or str(Path("data").resolve())


def default_cache_dir() -> str:
    if os.environ.get(CACHE_DIR_ENV):
        return os.environ[CACHE_DIR_ENV]
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "harness")


@dataclass(frozen=True)
class RunSettings:
    results_dir: str = "results"
    data_root: str = field(default_factory=default_data_root)
    cache_dir: str = field(default_factory=default_cache_dir)
    timeout: float | None = None
    #: run each cell's loading, method and evaluation in processes of their own (the method's
    #: never holds test labels: harness.isolation); False runs them in the caller's process
    isolate: bool = True
    plugin_files: tuple[str, ...] = ()
    #: the memory allocator settings of the processes that run cells (harness.allocator)
    allocator: str = "tuned"
    #: modules the fork server of isolated cells imports once (the grid's component factories)
    warm_modules: tuple[str, ...] = ()
    device: str = "auto"
    #: torch CPU threads per cell; None keeps torch's default (the CLI passes harness.threads.threads_per_cell)
    threads: int | None = None
