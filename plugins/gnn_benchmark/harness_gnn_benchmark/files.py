"""Where the gnn-benchmark ``.npz`` files are looked for under the data root (torch-free).

A dataset's file (``amazon_electronics_computers``, ``amazon_electronics_photo``,
``ms_academic_cs``, as in ``shchur/gnn-benchmark`` and PyG) is accepted as ``.npz`` or as the
``.npz.xz`` of the shared data, in ``<root>/gnn_benchmark_npz``, ``<root>/gnn_benchmark``,
``<root>/<PyG name>/raw`` (``Computers``, ``Photo``, ``CS``: where PyG's ``Amazon`` and
``Coauthor`` put them) or the data root itself. With ``download: true`` a missing file is fetched
from the gnn-benchmark repository at a pinned commit (sha256 checked) into
``<root>/gnn_benchmark_npz``; otherwise nothing is written.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from harness.download import ensure_files, problems, remote_files
from harness.metadata import read_table

#: dataset name -> (file stem, the folder name PyG's Amazon/Coauthor use)
FILES = {
    "amazon-computers": ("amazon_electronics_computers", "Computers"),
    "amazon-photo": ("amazon_electronics_photo", "Photo"),
    "coauthor-cs": ("ms_academic_cs", "CS"),
}
SUFFIXES = (".npz", ".npz.xz")
LAYOUTS = ("gnn_benchmark_npz", "gnn_benchmark", "{pyg}/raw", ".")


def candidates(root: str, name: str) -> list[Path]:
    """Every path the file is looked for at, in order."""
    stem, pyg = FILES[name]
    return [Path(root) / layout.format(pyg=pyg) / f"{stem}{suffix}" for layout in LAYOUTS for suffix in SUFFIXES]


def find_file(root: str, name: str) -> Path | None:
    return next((path for path in candidates(root, name) if path.is_file()), None)


def missing_message(root: str, name: str) -> str:
    stem, pyg = FILES[name]
    return (
        f"{name}: {stem}.npz (or {stem}.npz.xz) not found under data root {root!r}. Place it in "
        f"{Path(root) / 'gnn_benchmark_npz'} (or {Path(root) / pyg / 'raw'}); it is data/npz/{stem}.npz "
        "of github.com/shchur/gnn-benchmark. Set the data root with --data-root or HARNESS_DATA_ROOT."
    )


@lru_cache(maxsize=1)
def _rows() -> dict[str, dict[str, str]]:
    return {row["name"]: row for row in read_table("harness_gnn_benchmark")}


def require_file(root: str, name: str, download: bool = False) -> Path:
    """The dataset's file, fetched first with ``download``; else :class:`DatasetUnavailable`."""
    found = find_file(root, name)
    if found is not None:
        return found
    remotes = remote_files(_rows()[name])
    folder = ensure_files(name, Path(root) / LAYOUTS[0], remotes, download, missing_message(root, name))
    return folder / remotes[0].name


def check(name: str, root: str, params: dict) -> list[str]:
    return problems(lambda: require_file(root, name, bool(params.get("download", False))))
