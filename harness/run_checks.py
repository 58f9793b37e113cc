"""Checks of ``harness run``'s options made before anything runs: a time limit that is a
finite positive number, a device this machine has, thread counts of at least one, and output
folders (records, cache, rendered tables) that can be written. Each failure is an
:class:`~harness.exit_codes.InvalidInput` naming the option, what was given and what is valid.
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

from harness.exit_codes import InvalidInput

#: ``cpu``, ``cuda`` and ``mps`` optionally with a device index, or ``auto`` (cuda when present).
DEVICE_PATTERN = re.compile(r"(cpu|cuda|mps)(:\d+)?|auto")
DEVICE_FORMS = "auto, cpu, cuda, cuda:N (N a GPU index) or mps"


def check_timeout(timeout: float | None) -> None:
    """``--timeout`` is None or a finite number of seconds above zero (``nan`` and ``inf``
    parse as floats and would disable or break the limit)."""
    if timeout is not None and (not math.isfinite(timeout) or timeout <= 0):
        raise InvalidInput(f"--timeout must be a finite number of seconds above 0, got {timeout}")


def check_at_least(option: str, value: int | None, minimum: int) -> None:
    """An integer option such as ``--threads`` is None or at least ``minimum``."""
    if value is not None and value < minimum:
        raise InvalidInput(f"{option} must be at least {minimum}, got {value}")


def check_device(device: str) -> None:
    """``--device`` is a device form this harness knows, and a ``cuda`` or ``mps`` device exists
    on this machine (torch is imported only for those)."""
    if not DEVICE_PATTERN.fullmatch(device):
        raise InvalidInput(f"--device {device!r} is not a device; valid: {DEVICE_FORMS}")
    kind, _, index = device.partition(":")
    if kind == "cuda":
        import torch

        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise InvalidInput(f"--device {device}: this machine has no CUDA device; use --device cpu or auto")
        if index and int(index) >= count:
            raise InvalidInput(f"--device {device}: this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}")
    elif kind == "mps":
        import torch

        if not torch.backends.mps.is_available():
            raise InvalidInput(f"--device {device}: this machine has no MPS device; use --device cpu or auto")


def check_output_folder(option: str, folder: str | Path) -> None:
    """``folder`` is a folder, or can become one, and a file can be created in it: refuses a
    path that is a file or lies below one, a folder without write permission and a read-only
    file system. Probes with a temporary file that is removed at once; creates no folder."""
    path = Path(folder)
    existing = path
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            raise InvalidInput(f"{option} {folder}: {existing} is a broken symbolic link; choose a folder that can be written")
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == path else f"lies below {existing}, which is a file"
        raise InvalidInput(f"{option} {folder}: {where}, not a folder; choose a folder that can be written")
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".harness-write-check-"):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        where = "" if existing == path else f" (its nearest existing folder {existing})"
        raise InvalidInput(f"{option} {folder}{where} cannot be written: {reason}; choose a folder that can be written") from None
