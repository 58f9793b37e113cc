"""The on-disk layout OGB's loader expects, checked without importing torch or OGB."""

from __future__ import annotations

from pathlib import Path

DATASETS = {
    "ogbn-proteins": {
        "doc": "Protein association graph, 112 binary function labels, split by species (OGB).",
        "loader": "proteins", "metric": "rocauc", "split": "species", "nodes": 132534,
        "raw": ["edge.csv.gz", "edge-feat.csv.gz", "node-label.csv.gz", "node_species.csv.gz", "num-node-list.csv.gz", "num-edge-list.csv.gz"],
    },
    "ogbn-arxiv": {
        "doc": "arXiv CS citation graph, 40 subject areas, split by publication year (OGB).",
        "loader": "arxiv", "metric": "acc", "split": "time", "nodes": 169343,
        "raw": ["edge.csv.gz", "node-feat.csv.gz", "node-label.csv.gz", "node_year.csv.gz", "num-node-list.csv.gz", "num-edge-list.csv.gz"],
    },
    "ogbn-products": {
        "doc": "Amazon co-purchasing graph, 47 product categories, split by sales rank (OGB).",
        "loader": "products", "metric": "acc", "split": "sales_ranking", "nodes": 2449029,
        "raw": ["edge.csv.gz", "node-feat.csv.gz", "node-label.csv.gz", "num-node-list.csv.gz", "num-edge-list.csv.gz"],
    },
}
RELEASE_FILE = "RELEASE_v1.txt"


def folder_name(name: str) -> str:
    return name.replace("-", "_")


def required_files(name: str) -> list[str]:
    meta = DATASETS[name]
    split = [f"split/{meta['split']}/{part}.csv.gz" for part in ("train", "valid", "test")]
    return [RELEASE_FILE, *(f"raw/{f}" for f in meta["raw"]), *split]


def dataset_dir(root: str, name: str) -> Path:
    base = Path(root) / folder_name(name)
    pyg = Path(root) / f"{folder_name(name)}_pyg"
    return pyg if pyg.is_dir() else base


def missing_files(root: str, name: str) -> list[str]:
    folder = dataset_dir(root, name)
    return [f for f in required_files(name) if not (folder / f).is_file()]


def check(name: str, root: str, params: dict) -> list[str]:
    missing = missing_files(root, name)
    if not missing:
        return []
    folder = dataset_dir(root, name)
    return [
        f"{name} is not in the data root {root!r}: {len(missing)} file(s) missing under {folder}: "
        f"{', '.join(missing)}. Download {name} with OGB on a machine with internet "
        f"(python -c \"from ogb.nodeproppred import PygNodePropPredDataset as D; D('{name}', root='DATA_ROOT')\") "
        f"and place its {folder_name(name)}/ folder in the data root (--data-root or HARNESS_DATA_ROOT)."
    ]
