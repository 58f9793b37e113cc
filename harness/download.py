"""Fetching datasets with bounded time and no half-written folders.

Dataset loaders (PyG's, OGB's) set no timeout: against a server that accepts a connection and
never answers they hang. Plugins therefore fetch through :func:`fetch_into`, which bounds every
read and the whole transfer, builds the dataset folder under a temporary name and renames it
into place only when every required file is there. Offline, or with ``HARNESS_OFFLINE=1``, the
error names the dataset, the files and the folder to place them in, within seconds.
"""

from __future__ import annotations

import os
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Callable, Sequence

from harness.atomic import TEMP_PREFIX

OFFLINE_ENV = "HARNESS_OFFLINE"
DEFAULT_TIMEOUT = 60.0
CHUNK = 1 << 20


class DatasetUnavailable(FileNotFoundError):
    """A dataset is not on disk and could not be fetched."""


def missing(folder: Path, required: Sequence[str]) -> list[str]:
    return [name for name in required if not (Path(folder) / name).is_file()]


def unavailable_message(name: str, folder: Path, required: Sequence[str], reason: str = "") -> str:
    absent = missing(folder, required)
    text = f"{name}: {len(absent)} file(s) missing under {folder}: {', '.join(absent)}. "
    text += "Place them there (set the data root with --data-root or HARNESS_DATA_ROOT)"
    return text + (f"; the download failed: {reason}" if reason else ".")


def download(url: str, target: Path, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Fetch ``url`` to ``target``. Each read waits at most ``timeout`` seconds and the whole
    transfer at most ``10 * timeout``; a partial file never survives."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{target.name}")
    deadline = time.monotonic() + 10 * timeout
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                if time.monotonic() > deadline:
                    raise TimeoutError(f"downloading {url} took longer than {10 * timeout:g} s")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def fetch_into(name: str, folder: Path, required: Sequence[str], fetch: Callable[[Path], None] | None) -> Path:
    """Make sure ``folder`` holds ``required``; otherwise run ``fetch(temporary_folder)`` and
    rename its result into place. Raises :class:`DatasetUnavailable` with what to place where."""
    folder = Path(folder)
    if not missing(folder, required):
        return folder
    if fetch is None or os.environ.get(OFFLINE_ENV, "").strip() not in ("", "0"):
        raise DatasetUnavailable(unavailable_message(name, folder, required))
    staging = folder.parent / f"{TEMP_PREFIX}{os.getpid()}-{folder.name}"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        fetch(staging)
        if missing(staging, required):
            raise DatasetUnavailable(unavailable_message(name, folder, required, f"the download lacks {', '.join(missing(staging, required))}"))
        if folder.exists():  # a partial folder of the user's own: keep it aside, never delete it
            folder.rename(folder.with_name(f"{folder.name}.incomplete-{int(time.time())}"))
        staging.rename(folder)
    except DatasetUnavailable:
        raise
    except (OSError, TimeoutError, ValueError) as error:
        raise DatasetUnavailable(unavailable_message(name, folder, required, str(error))) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
