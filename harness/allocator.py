"""The memory allocator settings of the processes that run cells (``--allocator``).

glibc's malloc serves large blocks (a tensor above a few MiB) with ``mmap`` and gives their
pages back to the system when they are freed, so a training loop that allocates and frees the
same large tensors every step faults every page back in at the next one: measured here, a GAT
cell (synthetic-node, 3,000 nodes, 100 epochs, one thread) spent 17.8 s of its 27.7 s in the
kernel (``benchmarks/test_allocator.py``).
``tuned`` (the default) keeps freed memory in the process: no ``mmap`` for blocks (they come
from the heap) and no trimming of the heap's top below 2 GiB. The same cell then took 9.4 s,
with 0.07 s in the kernel, for a peak resident size a sixth higher (854 MB against 735 MB).
A cell's process ends with its cell, so what it keeps is given back then.

``default`` leaves glibc's own behaviour. On a C library other than glibc both are the
platform's default, and the record says so (``allocator``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

MODES = ("tuned", "default")
#: mallopt parameters, from <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
#: the largest trim threshold mallopt takes (an int)
TRIM_THRESHOLD = 2**31 - 1

_state = {"description": "default"}


def configure(mode: str) -> str:
    """Apply ``mode`` to this process (and to the processes it forks from now on); returns what
    the process runs with, as the record states it."""
    if mode not in MODES:
        raise ValueError(f"unknown allocator setting {mode!r}; valid: {', '.join(MODES)}")
    if platform.libc_ver()[0] != "glibc":
        _state["description"] = "default (not glibc)"
    elif mode == "tuned":
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        if libc.mallopt(_M_MMAP_MAX, 0) and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD):
            _state["description"] = "tuned (glibc: no mmap for blocks, trim threshold 2 GiB)"
    return _state["description"]


def current() -> str:
    """What this process runs with: ``default`` unless :func:`configure` changed it."""
    return _state["description"]
