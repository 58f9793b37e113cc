"""Where the TU raw files are looked for under the data root (torch-free), through the dataset
toolkit (:mod:`harness.data.table`).

A dataset's ``<NAME>_*.txt`` files (TUDataset's raw format, as PyG downloads them;
:func:`harness.data.readers.tu_file_names`: the edge labels where the table counts some, the node
attributes only when they are used) are looked for in ``<root>/tudataset/<NAME>/raw``,
``<root>/TUDataset/<NAME>/raw``, ``<root>/<NAME>/raw`` (PyG's ``TUDataset`` layout) and
``<root>/<NAME>``. With ``download: true`` the collection's zip archive (the ``url`` of
``datasets.csv``, where PyG fetches it too) is unpacked into a staging folder renamed to
``<root>/tudataset/<NAME>/raw`` once every file is there; otherwise nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.readers import tu_file_names
from harness.data.table import Archive, DatasetFiles, DatasetTable

TABLE = DatasetTable("harness_tudataset", layouts=("tudataset/{prefix}/raw", "TUDataset/{prefix}/raw", "{prefix}/raw", "{prefix}"))


def prefix(name: str) -> str:
    """TU's name of the dataset (``MUTAG``), the prefix of its files."""
    return TABLE.row(name)["prefix"]


def files(name: str, use_node_attributes: bool = False) -> DatasetFiles:
    row = TABLE.row(name)
    names = tu_file_names(row["prefix"], edge_labels=int(row["edge_labels"]) > 0, node_attributes=use_node_attributes)
    source = f"{row['url']} (the TUDataset collection, as PyG downloads it)"
    return TABLE.files(name, files=names, archive=Archive(row["url"], row["prefix"]), source=source)


def ensure_raw_dir(root: str, name: str, use_node_attributes: bool = False, download: bool = False) -> Path:
    """The folder of the dataset's raw files, fetched first with ``download``."""
    return files(name, use_node_attributes).require(root, download)[0].parent


def check(name: str, root: str, params: dict) -> list[str]:
    return files(name, bool(params.get("use_node_attributes", False))).problems(root, bool(params.get("download", False)))
