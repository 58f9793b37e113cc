"""Peak memory of one cell: resident set size sampled by a background thread (the process-wide
high-water mark cannot be reset between cells), plus CUDA's own counter when a GPU is used."""

from __future__ import annotations

import os
import threading

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class PeakMemory:
    """``with PeakMemory() as peak: ...`` then ``peak.rss_bytes`` and ``peak.cuda_bytes``."""

    def __init__(self, interval: float = 0.01, cuda: bool = False):
        self.interval = interval
        self.cuda = cuda
        self.rss_bytes = 0
        self.cuda_bytes: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.rss_bytes = max(self.rss_bytes, _rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        if self.cuda:
            import torch

            torch.cuda.reset_peak_memory_stats()
        self.rss_bytes = _rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.rss_bytes = max(self.rss_bytes, _rss_bytes())
        if self.cuda:
            import torch

            self.cuda_bytes = int(torch.cuda.max_memory_allocated())
