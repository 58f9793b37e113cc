"""Atomic file writes: a temporary file in the same folder, flushed to disk, then renamed over
the target, so a reader sees either the old content or the new, never a torn file.

Temporary names carry the writer's pid, so a later run can tell a leftover of a killed writer
from a write in progress (:func:`sweep_stale_temporaries`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

TEMP_PREFIX = ".tmp-"


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_temporaries(folder: Path) -> list[Path]:
    """Remove temporary files and folders left under ``folder`` by writers that no longer run.
    They were never renamed into place, so nothing ever trusted them."""
    removed = []
    if not Path(folder).is_dir():
        return removed
    for temp in Path(folder).rglob(f"{TEMP_PREFIX}*"):
        pid_text = temp.name[len(TEMP_PREFIX):].split("-", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            if temp.is_dir():
                import shutil

                shutil.rmtree(temp, ignore_errors=True)
            else:
                temp.unlink(missing_ok=True)
            removed.append(temp)
    return removed
