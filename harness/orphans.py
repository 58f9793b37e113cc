"""Worker processes die with the process that started them.

A pool worker or an isolated cell's child is killed by the kernel when the harness that
started it dies, even by SIGKILL, where the platform offers it (Linux's parent-death signal);
without that, an orphan would go on training and writing to the cache with nobody to read its
result. Called first thing in every child process the harness starts.
"""

from __future__ import annotations

import os
import signal
import sys

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
