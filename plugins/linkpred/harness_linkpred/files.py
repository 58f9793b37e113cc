"""Each dataset's files and format, from the plugin's ``datasets.csv`` (torch-free: the
preflight check runs before any cell), found and fetched through the dataset toolkit
(:mod:`harness.data.table`).

A dataset's files are found in ``<data root>/<folder>/`` (the shared-data layout, for example
``linkpred_seal_classic/USAir.txt``) or directly in ``<data root>/``. With ``download: true``
missing files are fetched from the row's ``url`` s (sha256-checked where the source is pinned to
a commit) into ``<data root>/<folder>/``; a failure takes back what it wrote. Otherwise nothing
is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.data.table import DatasetTable

TABLE = DatasetTable("harness_linkpred")
#: the preflight of every row: the files are there, fetched first with ``download`` (nothing is read)
check = TABLE.check


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


def table() -> tuple[dict[str, str], ...]:
    return tuple(TABLE.rows.values())


def source(name: str) -> Source:
    row = TABLE.row(name)
    return Source(name, row["folder"], tuple(row["file"].split("|")), row["format"], row["ids"], row["key"], int(row["nodes"]), int(row["edges"]))


def require(root: str, name: str, download: bool = False) -> list[Path]:
    """The paths of ``name``'s files, fetched first with ``download``; else
    :class:`DatasetUnavailable` saying what to place where."""
    return TABLE.require(root, name, download)
