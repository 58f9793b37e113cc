"""How many torch threads a cell gets when ``--threads`` is not given: the cores this process
may use, shared among the cells that run at once (the executor's ``workers``; one for the local
executor). torch's own default is one thread per core in every process, so cells running side by
side, or any other load on the machine, oversubscribe the cores and a cell runs several times
slower than with its share.

This module does not import torch (``harness run --help`` stays light)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def concurrent_cells(executor) -> int:
    """How many cells ``executor`` runs at once: its ``workers`` when it has them, else 1."""
    return max(1, int(getattr(executor, "workers", None) or 1))


def threads_per_cell(executor) -> int:
    """The threads the executor gives each cell (``cell_threads``: the CPUs a cluster
    scheduler reserves for it), else each concurrently running cell's share of the usable
    cores; at least one thread."""
    if getattr(executor, "cell_threads", None):
        return max(1, int(executor.cell_threads))
    return max(1, usable_cores() // concurrent_cells(executor))


def threads_reason(executor) -> str:
    """Where :func:`threads_per_cell` comes from, for the progress header."""
    if getattr(executor, "cell_threads", None):
        return "the CPUs the executor reserves per cell"
    return f"{usable_cores()} core(s) / {concurrent_cells(executor)} cell(s) at a time"
