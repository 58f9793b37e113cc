"""Where the gnn-benchmark ``.npz`` files are looked for under the data root (torch-free), through
the dataset toolkit (:mod:`harness.data.table`).

A dataset's file (``amazon_electronics_computers``, ``amazon_electronics_photo``,
``ms_academic_cs``, as in ``shchur/gnn-benchmark`` and PyG) is accepted as ``.npz`` or as the
``.npz.xz`` of the shared data, in ``<root>/gnn_benchmark_npz``, ``<root>/gnn_benchmark``,
``<root>/<PyG name>/raw`` (``Computers``, ``Photo``, ``CS``: where PyG's ``Amazon`` and
``Coauthor`` put them) or the data root itself. With ``download: true`` a missing file is fetched
from the gnn-benchmark repository at a pinned commit (sha256 checked) into
``<root>/gnn_benchmark_npz``; otherwise nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.table import DatasetFiles, DatasetTable

#: dataset name -> the folder name PyG's Amazon/Coauthor use
PYG_NAMES = {"amazon-computers": "Computers", "amazon-photo": "Photo", "coauthor-cs": "CS"}
TABLE = DatasetTable("harness_gnn_benchmark", layouts=("gnn_benchmark_npz", "gnn_benchmark", "{pyg}/raw", "."))


def files(name: str) -> DatasetFiles:
    (file,) = TABLE.row(name)["file"].split("|")
    return TABLE.files(name, fields={"pyg": PYG_NAMES[name]}, alternatives={file: (f"{file}.xz",)}, source=f"data/npz/{file} of github.com/shchur/gnn-benchmark")


def require_file(root: str, name: str, download: bool = False) -> Path:
    """The dataset's file, fetched first with ``download``; else :class:`DatasetUnavailable`."""
    (path,) = files(name).require(root, download)
    return path


def check(name: str, root: str, params: dict) -> list[str]:
    return files(name).problems(root, bool(params.get("download", False)))
