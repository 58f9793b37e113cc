"""Where the TU raw files are looked for under the data root (torch-free).

A dataset's ``<NAME>_*.txt`` files (TUDataset's raw format, as PyG downloads them) are looked
for in ``<root>/tudataset/<NAME>/raw``, ``<root>/TUDataset/<NAME>/raw``, ``<root>/<NAME>/raw``
(PyG's ``TUDataset`` layout) and ``<root>/<NAME>``. With ``download: true`` the collection's zip
archive (the ``url`` of ``datasets.csv``, where PyG fetches it too) is unpacked into a staging
folder renamed to ``<root>/tudataset/<NAME>/raw`` once every file is there; otherwise nothing is
written.
"""

from __future__ import annotations

from pathlib import Path

from harness.download import CreatedFolders, DatasetUnavailable, RemoteFile, ensure_permitted, fetch_archive, fetch_into, problems
from harness.metadata import read_table

ROWS = {row["name"]: row for row in read_table("harness_tudataset")}
PREFIXES = {name: row["prefix"] for name, row in ROWS.items()}
BASE = ("A", "graph_indicator", "graph_labels", "node_labels")
#: files a dataset needs beyond BASE (node attributes only when they are used)
EXTRA = {"mutag": ("edge_labels",), "proteins-tu": (), "enzymes": ()}
LAYOUTS = ("tudataset/{prefix}/raw", "TUDataset/{prefix}/raw", "{prefix}/raw", "{prefix}")


def required_files(name: str, use_node_attributes: bool = False) -> list[str]:
    parts = [*BASE, *EXTRA[name], *(("node_attributes",) if use_node_attributes else ())]
    return [f"{PREFIXES[name]}_{part}.txt" for part in parts]


def candidate_dirs(root: str, name: str) -> list[Path]:
    return [Path(root) / layout.format(prefix=PREFIXES[name]) for layout in LAYOUTS]


def find_raw_dir(root: str, name: str, use_node_attributes: bool = False) -> Path | None:
    files = required_files(name, use_node_attributes)
    return next((folder for folder in candidate_dirs(root, name) if all((folder / f).is_file() for f in files)), None)


def missing_message(root: str, name: str, use_node_attributes: bool = False) -> str:
    files = required_files(name, use_node_attributes)
    prefix = PREFIXES[name]
    for folder in candidate_dirs(root, name):  # name what a partial copy lacks
        present = [f for f in files if (folder / f).is_file()]
        if present:
            absent = [f for f in files if f not in present]
            return f"{name}: {folder} lacks {', '.join(absent)} (TU raw files of {prefix}). Place them there; set the data root with --data-root or HARNESS_DATA_ROOT."
    return (
        f"{name}: TU raw files of {prefix} not found under data root {root!r}. Place "
        f"{', '.join(files)} in {Path(root) / 'tudataset' / prefix / 'raw'} (or {Path(root) / prefix / 'raw'}); "
        f"they are in {ROWS[name]['url']} (the TUDataset collection, as PyG downloads it). "
        "Set the data root with --data-root or HARNESS_DATA_ROOT."
    )


def ensure_raw_dir(root: str, name: str, use_node_attributes: bool = False, download: bool = False) -> Path:
    """The folder of the dataset's raw files, fetched first with ``download``."""
    found = find_raw_dir(root, name, use_node_attributes)
    if found is not None:
        return found
    prefix, url = PREFIXES[name], ROWS[name]["url"]
    folder = Path(root) / "tudataset" / prefix / "raw"
    message = missing_message(root, name, use_node_attributes)
    ensure_permitted(folder, [RemoteFile(f"{prefix}.zip", url)], download, message)
    with CreatedFolders(folder.parent):
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            return fetch_into(name, folder, required_files(name, use_node_attributes), lambda staging: fetch_archive(url, prefix, staging))
        except DatasetUnavailable as error:
            raise DatasetUnavailable(f"{message} Fetching {url} failed: {error}") from None


def check(name: str, root: str, params: dict) -> list[str]:
    return problems(lambda: ensure_raw_dir(root, name, bool(params.get("use_node_attributes", False)), bool(params.get("download", False))))
