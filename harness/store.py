"""The results store: one JSON record per cell under ``<results>/<dataset>/<cell id>.json``.

Records are written atomically and never overwritten silently: a complete record is final; a
failed one is replaced only on request (``--retry-failed``), and the old one is kept under
``attempts/``. A file that cannot be parsed is moved to ``corrupt/``, never deleted. Every
record is checked against the record schema (:class:`harness.record.Record`,
``docs/record.schema.json``) before it is written: a malformed one is refused, nothing written.
Reading returns the stored JSON form; :meth:`ResultStore.load` reads it typed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Iterator

from filelock import FileLock, Timeout

from harness.atomic import TEMP_PREFIX, sweep_stale_temporaries, write_json_atomic
from harness.cell import Cell
from harness.record import COMPLETE, FAILED, TIMEOUT, Record, RecordError
from harness.safe_names import path_component

FAILED_STATUSES = (FAILED, TIMEOUT)
RESERVED = {"attempts", "corrupt", "runs", "locks"}


class RecordExists(Exception):
    pass


class InvalidRecord(RecordError):
    """A record to be written does not follow the record schema; nothing was written."""


class ResultStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        sweep_stale_temporaries(self.root)

    def path(self, cell: Cell) -> Path:
        return record_path(self.root, cell)

    def read(self, cell: Cell) -> dict[str, Any] | None:
        return self._load(self.path(cell))

    def _load(self, path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._move(path, "corrupt")
            return None

    def write(self, record: Record | dict[str, Any], replace_failed: bool = False) -> Path:
        """Write one record (a :class:`Record` or its JSON form) after checking its shape."""
        data = record.to_dict() if isinstance(record, Record) else record
        try:
            cell = Record.from_dict(data).cell
        except RecordError as error:
            described = data.get("cell_id", "?") if isinstance(data, dict) else "?"
            raise InvalidRecord(f"refusing to write the record of cell {described}: {error}") from None
        path = self.path(cell)
        existing = self._load(path)
        if existing is not None:
            status = existing.get("status") if isinstance(existing, dict) else None
            if status == COMPLETE or not replace_failed:
                raise RecordExists(f"{path} already holds a {status} record")
            self._move(path, "attempts")
        write_json_atomic(path, data)
        return path

    def _move(self, path: Path, folder: str) -> None:
        target = path.parent / folder
        target.mkdir(exist_ok=True)
        # Two moves of one cell's file within a second must not overwrite the earlier archive.
        stem = f"{path.stem}.{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        name, n = f"{stem}.json", 1
        while (target / name).exists():
            name, n = f"{stem}-{n}.json", n + 1
        os.replace(path, target / name)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every current record (not archived attempts) in its stored JSON form, in a stable
        order."""
        for path in self._record_paths():
            record = self._load(path)
            if record is not None:
                yield record

    def load(self) -> Iterator[Record]:
        """Every current record, read typed; a file that is not a record names itself."""
        for path in self._record_paths():
            data = self._load(path)
            if data is None:
                continue
            try:
                yield Record.from_dict(data)
            except RecordError as error:
                raise RecordError(f"{path}: {error}") from None

    def _record_paths(self) -> list[Path]:
        return [
            path
            for path in sorted(self.root.glob("*/*.json"))
            if path.parent.name not in RESERVED and not path.name.startswith(TEMP_PREFIX)
        ]

    def lock(self, cell: Cell) -> FileLock | None:
        """A held lock on the cell, or None when another process is running it."""
        locks = self.root / "locks"
        locks.mkdir(exist_ok=True)
        lock = FileLock(str(locks / f"{cell.id}.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return None
        return lock

    def write_manifest(self, name: str, manifest: dict[str, Any]) -> Path:
        path = self.root / "runs" / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{path_component(name)}.json"
        write_json_atomic(path, manifest)
        return path


def record_path(root: str | Path, cell: Cell) -> Path:
    """Where the record of ``cell`` lives under the results folder ``root``."""
    return Path(root) / path_component(cell.dataset.name, RESERVED) / f"{cell.id}.json"


def peek_status(root: str | Path, cell: Cell) -> str | None:
    """The status of ``cell``'s record, read without changing anything (an unreadable record
    counts as none; a run would move it aside)."""
    try:
        return json.loads(record_path(root, cell).read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        return None
