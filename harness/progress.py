"""The progress display: one line per cell, and on a terminal a live line with the cell's epochs
and an estimated time left. Registered by ``harness run`` as an observer plugin.

The display shares the terminal (or a log file) with the command's own messages on stdout, so
it flushes stdout before each write: otherwise a buffered stdout lands later, in the middle of
the progress lines. A failed cell's error goes on a line of its own, never after the cell's
description."""

from __future__ import annotations

import sys
import time

from harness import hookimpl


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    def __init__(self, total: int = 0, stream=None, live: bool | None = None):
        self.total = total
        self.done = 0
        self.started = 0
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.grid_start = time.monotonic()
        self.cell_start = self.grid_start

    def _write(self, text: str) -> None:
        sys.stdout.flush()
        if self.live:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()

    def _eta(self) -> str:
        if not self.done:
            return "?"
        elapsed = time.monotonic() - self.grid_start
        return _duration(elapsed / self.done * (self.total - self.done))

    @hookimpl
    def harness_grid_started(self, grid, cells):
        self.total, self.done, self.started = len(cells), 0, 0
        self.grid_start = time.monotonic()

    @hookimpl
    def harness_run_started(self, cell):
        self.cell_start = time.monotonic()
        self.started += 1  # an executor may start several cells before the first one ends
        if not self.live:
            self._write(f"[{self.started}/{self.total}] start {cell.describe()}")

    @hookimpl
    def harness_epoch_finished(self, cell, epoch, max_epochs, metrics):
        if not self.live:
            return
        elapsed = time.monotonic() - self.cell_start
        planned = f"/{max_epochs}" if max_epochs else ""
        eta = ""
        if max_epochs:
            eta = f" ETA {_duration(elapsed / (epoch + 1) * (max_epochs - epoch - 1))}"
        shown = " ".join(f"{k} {v:.4f}" for k, v in metrics.items() if isinstance(v, float))
        self.stream.write(f"\r\033[K[{self.done + 1}/{self.total}] {cell.describe()} epoch {epoch + 1}{planned} {shown}{eta}")
        self.stream.flush()

    @hookimpl
    def harness_run_finished(self, cell, record):
        self.done += 1
        status = record.get("status")
        if status == "complete":
            detail = f": valid {record['valid']:.4f} test {record['test']:.4f} ({record['wall_time_s']:.1f}s)"
            self._write(f"[{self.done}/{self.total}] {status} {cell.describe()}{detail} | grid ETA {self._eta()}")
            return
        self._write(f"[{self.done}/{self.total}] {status} {cell.describe()} | grid ETA {self._eta()}")
        error = (record.get("error") or "no error message").splitlines()
        self._write("\n".join(f"    {line}" for line in error[:3]))
