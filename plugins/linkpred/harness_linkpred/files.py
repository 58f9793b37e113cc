"""Where each dataset's files are looked for under the data root, from the plugin's
``datasets.csv`` (torch-free: the preflight check runs before any cell).

A dataset's files are found in ``<data root>/<folder>/`` (the shared-data layout, for example
``linkpred_seal_classic/USAir.txt``) or directly in ``<data root>/``. With ``download: true``
missing files are fetched from the row's ``url`` s (sha256-checked where the source is pinned to
a commit) into ``<data root>/<folder>/``; a failure takes back what it wrote. Otherwise nothing
is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from harness.download import ensure_files, problems, remote_files
from harness.metadata import read_table

PACKAGE = "harness_linkpred"


@dataclass(frozen=True)
class Source:
    """How one dataset is stored: its folder, file(s), format and node-id convention."""

    name: str
    folder: str
    files: tuple[str, ...]
    format: str  # edgelist | mat | tsv-pairs | string-actions
    ids: str  # 0-based | 1-based | relabel ('' where the format fixes it)
    key: str  # the variable of a .mat file
    nodes: int  # what the loader yields after cleaning (checked by the tests)
    edges: int


@lru_cache(maxsize=1)
def table() -> tuple[dict[str, str], ...]:
    return tuple(read_table(PACKAGE))


def source(name: str) -> Source:
    for row in table():
        if row["name"] == name:
            return Source(name, row["folder"], tuple(row["file"].split("|")), row["format"], row["ids"], row["key"], int(row["nodes"]), int(row["edges"]))
    known = ", ".join(row["name"] for row in table())
    raise KeyError(f"unknown dataset {name!r}; known: {known}")


def _candidates(root: str, src: Source) -> list[Path]:
    return [Path(root) / src.folder, Path(root)]


def find_files(root: str, name: str) -> list[Path] | None:
    """The paths of ``name``'s files, or None when some are missing in every layout."""
    src = source(name)
    for folder in _candidates(root, src):
        paths = [folder / f for f in src.files]
        if all(p.is_file() for p in paths):
            return paths
    return None


def missing_message(root: str, name: str) -> str:
    src = source(name)
    return (
        f"{name}: file(s) {', '.join(src.files)} not found under data root {root!r}. Place them in "
        f"{Path(root) / src.folder} (or directly in the data root); set the data root with "
        "--data-root or HARNESS_DATA_ROOT."
    )


def _row(name: str) -> dict[str, str]:
    return next(row for row in table() if row["name"] == name)


def require(root: str, name: str, download: bool = False) -> list[Path]:
    """The paths of ``name``'s files, fetched first with ``download``; else
    :class:`DatasetUnavailable` saying what to place where."""
    paths = find_files(root, name)
    if paths is not None:
        return paths
    src = source(name)
    folder = ensure_files(name, Path(root) / src.folder, remote_files(_row(name)), download, missing_message(root, name))
    return [folder / f for f in src.files]


def check(name: str, root: str, params: dict) -> list[str]:
    """Preflight: the files are there, fetched first with ``download`` (nothing is read)."""
    return problems(lambda: require(root, name, bool(params.get("download", False))))
