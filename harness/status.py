"""``harness status``: how far a grid's cells are, read from the results folder alone, so that
it answers for cells run by workers elsewhere (``harness run --no-wait`` on Slurm) as well as
for a run on this machine.

A cell is *complete* or *failed* (failed or timed out) by its record; without a final record it
is *running* while a process holds its lock in the results folder (a worker holds it for as
long as it runs the cell), and *pending* otherwise (queued, not started, or stopped before it
wrote a record).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TextIO

from harness.record import COMPLETE
from harness.store import FAILED_STATUSES, ResultStore

STATES = ("complete", "failed", "running", "pending")


def cell_state(store: ResultStore, record: dict | None, cell_id: str) -> str:
    """One of :data:`STATES` for the cell ``cell_id`` whose record (or None) is ``record``."""
    status = record.get("status") if record else None
    if status == COMPLETE:
        return "complete"
    if store.running_id(cell_id):
        return "running"
    return "failed" if status in FAILED_STATUSES else "pending"


def grid_counts(store: ResultStore, cells) -> Counter:
    """How many of the grid's ``cells`` are in each state."""
    return Counter(cell_state(store, store.read(cell), cell.id) for cell in cells)


def manifest_counts(store: ResultStore) -> dict[str, tuple[str, Counter]]:
    """Per grid name run into this results folder: its grid file (as the newest run of it
    named it) and how many of that run's cells are in each state."""
    records = {record["cell_id"]: record for record in store.records()}
    newest: dict[str, dict] = {}
    for path in sorted((store.root / "runs").glob("*.json")):  # names start with the time: oldest first
        loaded = _manifest(path)
        if loaded is not None:
            newest[loaded["name"]] = loaded
    return {name: (manifest.get("grid", "?"), Counter(cell_state(store, records.get(cid), cid) for cid in manifest["cells"]))
            for name, manifest in sorted(newest.items())}


def _manifest(path: Path) -> dict | None:
    import json

    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(data.get("cells"), list):
        return None
    return data


def print_counts(title: str, counts: Counter, out: TextIO) -> None:
    total = sum(counts.values())
    print(f"{title}: {total} cell(s)", file=out)
    for state in STATES:
        print(f"  {state:<9}{counts.get(state, 0):>6}", file=out)
