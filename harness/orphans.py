"""Worker processes die with the process that started them; the processes below a process.

A pool worker or an isolated cell's child is killed by the kernel when the harness that
started it dies, even by SIGKILL, where the platform offers it (Linux's parent-death signal);
without that, an orphan would go on training and writing to the cache with nobody to read its
result. Called first thing in every child process the harness starts.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent_pid: int) -> None:
    """Ask to be killed when the parent dies; exit now if it already has (it died before the
    request was made, and this process was handed to another parent)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)


def descendants(root: int) -> set[int]:
    """Every live (not zombie) process below ``root``, read from Linux's /proc (empty where there
    is none). For a process that reaps what it started (the Ray executor's keeper)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs: on Linux, read from /proc (a dead process its parent has not reaped
    yet does not run); elsewhere, whether a signal could reach it."""
    if Path("/proc/self").exists():
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True
