"""The artifact cache: encoder outputs, tokenised inputs, pre-trained and teacher checkpoints.

Content-addressed: an entry's key is the hash of a JSON description of everything that
determines it (dataset, component names, parameters and versions, seed). An entry is a folder
holding ``payload.pt`` (tensors, or dicts and lists of them) and ``meta.json`` (the description
and the payload's sha256). It is built in a temporary folder and renamed into place, under a
file lock so that concurrent runs build it once. An entry whose payload does not match its
recorded hash is never trusted: it is moved to ``corrupt/`` (kept, never deleted), reported in one
line (``warn``, stderr by default; listed in :attr:`ArtifactCache.quarantined`) and rebuilt.
Payloads load with
``torch.load(weights_only=True)``: nothing is unpickled as an arbitrary object.

:meth:`ArtifactCache.entries`, :meth:`~ArtifactCache.remove` and :meth:`~ArtifactCache.verify`
serve ``harness cache ls|rm|verify``; they read only ``meta.json`` and the payload's bytes, never
torch.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from filelock import FileLock

from harness.atomic import TEMP_PREFIX, sweep_stale_temporaries, write_json_atomic

PAYLOAD = "payload.pt"
META = "meta.json"
#: written into a quarantined entry's folder: where it was and why it was set aside
QUARANTINE_NOTE = "quarantined.json"


_current: "ArtifactCache | None" = None


def use(cache: "ArtifactCache") -> None:
    """Make ``cache`` the one :func:`current` returns (the runner sets the cell's cache)."""
    global _current
    _current = cache


def current() -> "ArtifactCache":
    """The cache of the running cell, or the default one (``HARNESS_CACHE_DIR`` ...). Dataset
    loaders use it for processed files, since the data root may be read-only."""
    global _current
    if _current is None:
        from harness.settings import default_cache_dir

        _current = ArtifactCache(default_cache_dir())
    return _current


def cache_key(description: dict[str, Any]) -> str:
    """The entry's key: a hash of the canonical JSON of ``description``."""
    canonical = json.dumps(description, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _is_key(name: str, length: int = 32) -> bool:
    return len(name) == length and all(c in "0123456789abcdef" for c in name)


@dataclass(frozen=True)
class Entry:
    """One cache entry as ``harness cache`` lists it. ``description`` is None when its
    ``meta.json`` cannot be read (``verify`` quarantines such an entry)."""

    key: str
    path: Path
    description: dict[str, Any] | None
    size: int
    created: float | None


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class ArtifactCache:
    def __init__(self, root: str | Path, warn: Callable[[str], None] = _stderr):
        """``warn`` receives the one-line message of each entry the cache quarantines."""
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.warn = warn
        #: every entry this cache object quarantined: ``{"path", "moved_to", "reason"}``
        self.quarantined: list[dict[str, str]] = []
        sweep_stale_temporaries(self.root)

    def entry_dir(self, key: str) -> Path:
        return self.root / key[:2] / key

    def _lock(self, key: str) -> FileLock:
        locks = self.root / "locks"
        locks.mkdir(exist_ok=True)
        return FileLock(str(locks / f"{key}.lock"))

    def get(self, description: dict[str, Any]) -> Any | None:
        """The cached payload, or None when absent or not trustworthy."""
        key = cache_key(description)
        with self._lock(key):
            return self._read(key)

    def get_or_build(self, description: dict[str, Any], build: Callable[[], Any]) -> Any:
        """The cached payload; built (once, even across processes) when missing."""
        return self.get_or_build_reporting(description, build)[0]

    def get_or_build_reporting(self, description: dict[str, Any], build: Callable[[], Any]) -> tuple[Any, bool]:
        """Like :meth:`get_or_build`, and whether this call built the payload (True) or read
        it from the cache (False)."""
        key = cache_key(description)
        with self._lock(key):
            payload = self._read(key)
            if payload is not None:
                return payload, False
            payload = build()
            self._write(key, description, payload)
            return payload, True

    # -- listing, removal and verification (``harness cache``) ---------------------------------

    def entries(self) -> Iterator[Entry]:
        """Every entry, in key order (only folders laid out as the cache writes them)."""
        for shard in sorted(self.root.iterdir()):
            if not (shard.is_dir() and _is_key(shard.name, 2)):
                continue
            for entry in sorted(shard.iterdir()):
                if entry.is_dir() and _is_key(entry.name) and entry.name.startswith(shard.name):
                    yield self._describe(entry)

    def _describe(self, entry: Path) -> Entry:
        payload = entry / PAYLOAD
        size = payload.stat().st_size if payload.is_file() else 0
        try:
            meta = json.loads((entry / META).read_text())
            return Entry(entry.name, entry, meta["description"], size, meta.get("created"))
        except (OSError, ValueError, KeyError, TypeError):
            return Entry(entry.name, entry, None, size, None)

    def remove(self, key: str) -> bool:
        """Delete one entry (False when there is none). It is renamed aside first, so a reader
        never sees it half deleted."""
        entry = self.entry_dir(key)
        with self._lock(key):
            if not entry.is_dir():
                return False
            doomed = entry.parent / f"{TEMP_PREFIX}{os.getpid()}-removed-{key}"
            os.rename(entry, doomed)
        shutil.rmtree(doomed)
        return True

    def verify(self, key: str) -> bool:
        """Re-hash the entry's payload against its recorded sha256; an entry that does not match
        (or whose files are unreadable) is moved to ``corrupt/`` and False returned."""
        entry = self.entry_dir(key)
        with self._lock(key):
            if not entry.is_dir():
                return True
            try:
                meta = json.loads((entry / META).read_text())
                digest = hashlib.sha256((entry / PAYLOAD).read_bytes()).hexdigest()
                if digest == meta["sha256"]:
                    return True
                reason = "payload does not match its recorded sha256"
            except (OSError, ValueError, KeyError, TypeError) as error:
                reason = _unreadable(error)
            self._quarantine(entry, reason)
            return False

    def _read(self, key: str) -> Any | None:
        import torch

        entry = self.entry_dir(key)
        if not entry.is_dir():
            return None
        try:
            meta = json.loads((entry / META).read_text())
            data = (entry / PAYLOAD).read_bytes()
            if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                raise ValueError("payload does not match its recorded sha256")
            return torch.load(io.BytesIO(data), weights_only=True)
        except MemoryError:
            raise
        except Exception as error:  # unreadable meta, a hash mismatch, or a payload that weights_only refuses
            self._quarantine(entry, _unreadable(error))  # (UnpicklingError, EOFError, ... are not ValueErrors)
            return None

    def _write(self, key: str, description: dict[str, Any], payload: Any) -> None:
        import torch

        buffer = io.BytesIO()
        torch.save(payload, buffer)
        data = buffer.getvalue()
        entry = self.entry_dir(key)
        entry.parent.mkdir(parents=True, exist_ok=True)
        temp = entry.parent / f"{TEMP_PREFIX}{os.getpid()}-{key}"
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir()
        (temp / PAYLOAD).write_bytes(data)
        meta = {"description": description, "sha256": hashlib.sha256(data).hexdigest(), "created": time.time()}
        write_json_atomic(temp / META, meta)
        for path in (temp / PAYLOAD, temp / META):
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        os.rename(temp, entry)

    def _quarantine(self, entry: Path, reason: str) -> None:
        corrupt = self.root / "corrupt"
        corrupt.mkdir(exist_ok=True)
        # A name not taken yet: a rename onto an earlier quarantined entry would fail (or replace it).
        stem = f"{entry.name}-{int(time.time() * 1000)}"
        name, n = stem, 1
        while (corrupt / name).exists():
            name, n = f"{stem}-{n}", n + 1
        os.rename(entry, corrupt / name)
        item = {"path": str(entry), "moved_to": str(corrupt / name), "reason": " ".join(reason.split())}
        # Kept with the entry, so that whoever started the process (the runner's manifest) can
        # list it: the cell that found it may run in another process.
        write_json_atomic(corrupt / name / QUARANTINE_NOTE, item)
        self.quarantined.append(item)
        self.warn(f"warning: quarantined cache entry {entry} (moved to {corrupt / name}): {item['reason']}")


def quarantined_entries(root: str | Path) -> list[dict[str, str]]:
    """Every entry quarantined in the cache at ``root``, as its note says (``path``,
    ``moved_to``, ``reason``), oldest first by name; never imports torch."""
    notes = sorted(Path(root).glob(f"corrupt/*/{QUARANTINE_NOTE}"))
    found = []
    for note in notes:
        try:
            found.append(json.loads(note.read_text()))
        except (OSError, ValueError):
            continue  # a note is a courtesy: the quarantined entry itself is what is kept
    return found


def _unreadable(error: Exception) -> str:
    """Why an entry could not be trusted, from the error reading it raised."""
    if isinstance(error, FileNotFoundError):
        return f"missing {Path(error.filename).name if error.filename else 'file'}"
    if isinstance(error, KeyError):
        return f"{META} lacks {error}"
    return f"unreadable ({type(error).__name__}: {error})"
