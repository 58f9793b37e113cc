"""The results store: one JSON record per cell under ``<results>/<dataset>/<cell id>.json``.

Records are written atomically and never overwritten silently: a complete record is final; a
failed one is replaced only on request (``--retry-failed``), and the old one is kept under
``attempts/``. Every record is checked against the record schema (:class:`harness.record.Record`,
``docs/record.schema.json``) before it is written: a malformed one is refused, nothing written.

Every read checks the file the same way: it must parse, follow the schema, carry the id of its
own cell (``cell_id``) and lie where that cell's record belongs (its dataset's folder, named by
the id); a complete record must hold finite scores. A file that fails is *quarantined*: moved to
``corrupt/`` beside it (never deleted), reported in one line (``warn``, stderr by default) and
listed in :attr:`ResultStore.quarantined`; the store then treats the cell as having no record,
so a run runs it again. Reading returns the stored JSON form; :meth:`ResultStore.load` reads it
typed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from filelock import FileLock, Timeout

from harness.atomic import TEMP_PREFIX, sweep_stale_temporaries, write_json_atomic
from harness.cell import Cell
from harness.record import COMPLETE, FAILED, TIMEOUT, Record, RecordError, non_finite_score
from harness.safe_names import path_component

FAILED_STATUSES = (FAILED, TIMEOUT)
RESERVED = {"attempts", "corrupt", "runs", "locks"}


class RecordExists(Exception):
    pass


class InvalidRecord(RecordError):
    """A record to be written does not follow the record schema; nothing was written."""


@dataclass(frozen=True)
class Quarantined:
    """A record file moved aside: where it was, where it is now and why it is not a record."""

    path: Path
    moved_to: Path
    reason: str

    def message(self) -> str:
        return f"warning: quarantined {self.path} (moved to {self.moved_to}): {self.reason}"

    def to_dict(self) -> dict[str, str]:
        return {"path": str(self.path), "moved_to": str(self.moved_to), "reason": self.reason}


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class ResultStore:
    def __init__(self, root: str | Path, warn: Callable[[str], None] = _stderr):
        """``warn`` receives the one-line message of each file the store quarantines."""
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.warn = warn
        #: every file this store quarantined, in order
        self.quarantined: list[Quarantined] = []
        sweep_stale_temporaries(self.root)

    def path(self, cell: Cell) -> Path:
        return record_path(self.root, cell)

    def read(self, cell: Cell) -> dict[str, Any] | None:
        """The JSON form of ``cell``'s record; None when it has none (or had a bad one, now
        quarantined)."""
        return self._load(self.path(cell))

    def _load(self, path: Path) -> dict[str, Any] | None:
        loaded = self._load_typed(path)
        return None if loaded is None else loaded[0]

    def _load_typed(self, path: Path) -> tuple[dict[str, Any], Record] | None:
        """The record at ``path``, as stored and typed; None when there is none or when it fails
        a check (then it is quarantined)."""
        checked = check_record_file(self.root, path)
        if isinstance(checked, str):
            self._quarantine(path, checked)
            return None
        return checked

    def _quarantine(self, path: Path, reason: str) -> None:
        moved = self._move(path, "corrupt")
        item = Quarantined(path, moved, " ".join(reason.split()))  # one line, whatever the error said
        self.quarantined.append(item)
        self.warn(item.message())

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
            # only an isolated record replaces a complete one made without isolation (whose
            # method shared a process with the test labels); the old one goes to attempts/
            if not (runs_again(existing, bool(data.get("isolated"))) or (status != COMPLETE and replace_failed)):
                raise RecordExists(f"{path} already holds a {status} record")
            self._move(path, "attempts")
        write_json_atomic(path, data)
        return path

    def _move(self, path: Path, folder: str) -> Path:
        target = path.parent / folder
        target.mkdir(exist_ok=True)
        # Two moves of one cell's file within a second must not overwrite the earlier archive.
        stem = f"{path.stem}.{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        name, n = f"{stem}.json", 1
        while (target / name).exists():
            name, n = f"{stem}-{n}.json", n + 1
        os.replace(path, target / name)
        return target / name

    def records(self) -> Iterator[dict[str, Any]]:
        """Every current record (not archived attempts) in its stored JSON form, in a stable
        order."""
        for path in self._record_paths():
            loaded = self._load_typed(path)
            if loaded is not None:
                yield loaded[0]

    def load(self) -> Iterator[Record]:
        """Every current record, read typed; a file that is not one is quarantined (one warning
        line each) and the others are read on."""
        for path in self._record_paths():
            loaded = self._load_typed(path)
            if loaded is not None:
                yield loaded[1]

    def _record_paths(self) -> list[Path]:
        return [
            path
            for path in sorted(self.root.glob("*/*.json"))
            if path.parent.name not in RESERVED and not path.name.startswith(TEMP_PREFIX)
        ]

    def lock(self, cell: Cell, wait: bool = False) -> FileLock | None:
        """A held lock on the cell, or None when another process is running it (``wait``:
        until that process is done)."""
        return self._lock(cell.id, wait)

    def _lock(self, cell_id: str, wait: bool) -> FileLock | None:
        locks = self.root / "locks"
        locks.mkdir(exist_ok=True)
        lock = FileLock(str(locks / f"{path_component(cell_id)}.lock"))
        try:
            lock.acquire(timeout=-1 if wait else 0)
        except Timeout:
            return None
        return lock

    def running_id(self, cell_id: str) -> bool:
        """Whether a process holds the lock of the cell ``cell_id`` now (a run or a worker is
        running it)."""
        if not (self.root / "locks" / f"{path_component(cell_id)}.lock").exists():
            return False
        lock = self._lock(cell_id, wait=False)
        if lock is None:
            return True
        lock.release()
        return False

    def write_manifest(self, name: str, manifest: dict[str, Any]) -> Path:
        path = self.root / "runs" / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{path_component(name)}.json"
        write_json_atomic(path, manifest)
        return path


def record_path(root: str | Path, cell: Cell) -> Path:
    """Where the record of ``cell`` lives under the results folder ``root``."""
    return Path(root) / path_component(cell.dataset.name, RESERVED) / f"{cell.id}.json"


def _misplaced(root: Path, path: Path, record: Record) -> str | None:
    """Why a record does not belong at ``path`` (its ``cell_id`` is not its cell's id, or its
    cell's record lives elsewhere: another dataset's folder, another file name), or None."""
    if record.cell_id != record.cell.id:
        return f"foreign record: its cell_id {record.cell_id!r} is not the id of its cell ({record.cell.id!r})"
    expected = record_path(root, record.cell)
    if path.resolve() != expected.resolve():
        return f"foreign record: the record of its cell belongs at {expected}"
    return None


def _non_finite(record: Record) -> str | None:
    if record.complete and (score := non_finite_score(record)):
        return f"a complete record with a non-finite score ({score}); the cell counts as not run"
    return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def check_record_file(root: str | Path, path: Path) -> tuple[dict[str, Any], Record] | str | None:
    """The record at ``path`` under the results folder ``root``, as stored and typed; None when
    there is no file; else why it is not a good record (one line), changing nothing."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return "a folder, not a record file"
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return "empty file" if not _size(path) else f"not JSON (truncated or garbled): {' '.join(str(error).split())}"
    try:
        record = Record.from_dict(data)
    except RecordError as error:
        return f"not a record: {' '.join(str(error).split())}"
    return _misplaced(Path(root), path, record) or _non_finite(record) or (data, record)


def runs_again(existing: dict[str, Any] | None, isolate: bool) -> bool:
    """Whether a run (with isolation or not) runs a cell again for its complete record: an
    isolated run does when the record was made without isolation."""
    return existing is not None and existing.get("status") == COMPLETE and isolate and not existing.get("isolated")


def peek_record(root: str | Path, cell: Cell) -> Record | None:
    """``cell``'s record, read without changing anything (a file that fails the store's checks
    counts as none: a run would quarantine it and run the cell)."""
    try:
        checked = check_record_file(root, record_path(root, cell))
    except OSError:
        return None
    return checked[1] if isinstance(checked, tuple) else None


def peek_status(root: str | Path, cell: Cell) -> str | None:
    """The status of :func:`peek_record`, None when there is none."""
    record = peek_record(root, cell)
    return record.status if record is not None else None

